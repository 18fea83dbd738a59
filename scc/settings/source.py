"""Reading one YAML file into plain data, remembering where every key was.

PyYAML's composed node tree carries line numbers; we walk it ourselves so an
error found later (by pydantic or by a cross-check) can still name the line.
`${NAME}` and `${NAME:-default}` in string values are replaced from the
environment here, once, so nothing downstream ever sees a reference.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

# Keys whose values are secrets: they must be written as ${ENV} references so
# that no password or key is ever committed inside config/.
SECRET_KEYS = frozenset({"password", "secret_key", "admin_password"})


class ConfigError(Exception):
    """A configuration problem, phrased for the person who has to fix it."""

    def __init__(self, file: Path | str, loc: Loc, line: int | None, message: str):
        self.file = str(file)
        self.loc = loc
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        path = format_loc(self.loc)
        return f"{where}: {path}: {self.message}" if path else f"{where}: {self.message}"


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Document:
    """One YAML file's data plus the line of every key path in it."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest enclosing key we know."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())

    def error(self, loc: Loc, message: str) -> ConfigError:
        return ConfigError(self.path, tuple(loc), self.line_of(loc), message)


def read_document(path: Path, environ: Mapping[str, str] | None = None) -> Document:
    env = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, (), None, "file not found") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(path, (), line, f"not valid YAML: {exc.problem}") from None
    doc = Document(path=path, data=None)
    if node is None:
        raise ConfigError(path, (), 1, "file is empty")
    doc.data = _build(node, (), doc, env)
    return doc


def _build(node: yaml.Node, loc: Loc, doc: Document, env: Mapping[str, str]) -> Any:
    doc.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, doc, loc)
            if not isinstance(key, str):
                raise doc.error(loc, f"keys must be text, found {key!r}")
            child = (*loc, key)
            doc.lines[child] = key_node.start_mark.line + 1
            if key in out:
                raise doc.error(child, "key appears twice")
            if key in SECRET_KEYS and isinstance(value_node, yaml.ScalarNode):
                _require_env_reference(value_node, child, doc)
            out[key] = _build(value_node, child, doc, env)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), doc, env) for i, item in enumerate(node.value)]
    value = _scalar(node, doc, loc)
    if isinstance(value, str):
        value = _substitute(value, loc, doc, env)
    return value


def _scalar(node: yaml.Node, doc: Document, loc: Loc) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise ConfigError(doc.path, loc, node.start_mark.line + 1, "complex keys are not supported")
    return yaml.SafeLoader("").construct_object(node)


def _require_env_reference(node: yaml.ScalarNode, loc: Loc, doc: Document) -> None:
    raw = node.value
    if raw in ("", "null", "~"):
        return
    ref = _ENV_REF.fullmatch(raw.strip())
    if ref and not ref.group(2):  # a default after :- would be a secret written in the file
        return
    raise doc.error(
        loc,
        "secrets are never written in config files; "
        "reference an environment variable without a default, e.g. ${SCC_CAMERA_PASSWORD}",
    )


def _substitute(value: str, loc: Loc, doc: Document, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise doc.error(loc, f"environment variable {name} is not set")

    return _ENV_REF.sub(replace, value)
