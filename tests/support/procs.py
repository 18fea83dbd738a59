"""What /proc says of a process the tests or benchmarks started."""

from __future__ import annotations

from pathlib import Path


def rss_kb(pid: int) -> int | None:
    """The process's resident memory in kB; None once it has exited (a zombie has no VmRSS)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None
