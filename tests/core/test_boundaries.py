"""The rooms' boundaries (docs/design.md §2) as rules that fail the suite.

import-linter checks the contracts in pyproject.toml (the core imports no
capability, capabilities are independent, pages touch no SQL...); this module
adds what a module-level import graph cannot say.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Table

from tests.support.web import ROOT

PACKAGES = ("scc", "dashboard", "streams", "callcenter")
MAX_LINES = 450  # "split a module that grows past ~400 lines"
CAPABILITIES = ("cameras", "metrics", "callcenter")


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts)


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import in a file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            out.append((base, [alias.name for alias in node.names]))
    return out


def test_import_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and "KEPT" in result.stdout


def test_pages_use_status_types_but_no_table():
    """A page may import a domain's status Literal from scc.storage, never one of its tables."""
    import importlib

    for path in python_files("dashboard/pages", "dashboard/components"):
        for module, names in imports_of(path):
            if not module.startswith("scc.storage"):
                continue
            imported = importlib.import_module(module)
            for name in names:
                assert not isinstance(getattr(imported, name, None), Table), (
                    f"{path.relative_to(ROOT)} imports table {module}.{name}: read through dashboard.queries"
                )


def test_agent_imports_only_the_standard_library_paho_and_itself():
    allowed_roots = set(sys.stdlib_module_names) | {"paho", "__future__"}
    for path in python_files("streams/agent"):
        for module, _ in imports_of(path):
            root = module.split(".")[0]
            ok = root in allowed_roots or module == "streams.agent" or module.startswith("streams.agent.")
            assert ok, f"{path.relative_to(ROOT)} imports {module}: the agent installs with Python and paho alone"


def test_no_dumping_ground_and_no_oversized_module():
    for path in python_files(*PACKAGES):
        assert path.stem not in ("utils", "helpers", "misc", "common"), f"{path}: name the module after its job"
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by concern"


def test_every_room_exists_in_every_layer():
    for domain in ("platform", *CAPABILITIES):
        assert (ROOT / "scc/storage" / f"{domain}.py").exists()
        assert (ROOT / "dashboard/queries" / f"{domain}.py").exists()
        assert (ROOT / "dashboard/pages" / f"{domain}.py").exists() or domain == "platform"
    for room in ("streams/cameras", "streams/metrics", "streams/agent", "callcenter"):
        assert (ROOT / room / "__init__.py").exists(), room


# Layers shared by every capability, where a module, stylesheet, script or text file that belongs to one
# capability is named after it: the capability's name, or its name, an underscore and what part it is.
SHARED_LAYERS = (
    "scc", "scc/settings", "scc/storage", "dashboard", "dashboard/queries", "dashboard/pages",
    "dashboard/components", "dashboard/assets", "dashboard/locales",
)  # fmt: skip
# Other names a capability or one of its parts has gone by: never a name's first word.
NOT_A_ROOM = {
    "call", "calls", "camera", "metric", "complaint", "complaints", "incident", "incidents", "case", "cases",
    "history", "intake", "board", "own", "skpd", "rtsp", "district", "publishing", "figures",
}  # fmt: skip


def test_one_name_per_capability_in_every_layer():
    """`callcenter_history.py` in queries, pages and components alike; never `calls_history` or `history_view`."""
    for layer in SHARED_LAYERS:
        for path in sorted((ROOT / layer).iterdir()):
            if not path.is_file():
                continue
            stem = path.name.split(".")[1] if layer == "dashboard/locales" and path.name.count(".") > 1 else path.stem
            first = stem.split("_")[0]
            assert first not in NOT_A_ROOM, f"{path.relative_to(ROOT)}: name it {'/'.join(CAPABILITIES)}_..."


def test_a_capability_runs_its_demo_from_its_sim_package():
    for package in ("callcenter", "streams/cameras", "streams/metrics"):
        assert (ROOT / package / "sim" / "__main__.py").exists(), package
        assert not list((ROOT / package).glob("sim_*.py")) and not (ROOT / package / "simulator.py").exists()
