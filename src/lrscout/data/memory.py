"""How much memory this process can still take, so that work which cannot fit is refused
before it allocates anything (a ``MemoryError`` halfway through costs the time spent and
says nothing useful).

The answer is the least of what the machine, the container and the process allow:

- the kernel's estimate of memory available without swapping (``MemAvailable`` in
  ``/proc/meminfo``; free physical pages where that file does not exist);
- a cgroup's memory limit less what the cgroup already uses, not counting page cache it can
  drop (v2 ``memory.max``, v1 ``memory.limit_in_bytes``): a container often sees the whole
  machine's memory in ``/proc/meminfo`` but is killed at its own limit;
- the address-space limit (``ulimit -v``, ``RLIMIT_AS``) less what the process already maps.

Where none of them can be read (an unusual platform), the answer is None and nothing is
refused on memory grounds.
"""

from __future__ import annotations

import os
from pathlib import Path

UNLIMITED = 1 << 60   # cgroups spell "no limit" as a huge number (v1: 2**63 rounded to pages)


def available_bytes() -> int | None:
    """Bytes this process can still allocate, or None when that cannot be told."""
    limits = [x for x in (_physical(), _cgroup(), _address_space()) if x is not None]
    return max(0, min(limits)) if limits else None


def format_bytes(n: float) -> str:
    """``1.9 GB``, ``850 MB``, ``12 kB``: decimal units, one decimal below 10."""
    for unit, size in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            value = n / size
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{int(n)} bytes"


def _read(path: Path | str) -> str | None:
    try:
        return Path(path).read_text(encoding="ascii", errors="replace")
    except OSError:
        return None


def _physical() -> int | None:
    meminfo = _read("/proc/meminfo")
    if meminfo:
        for line in meminfo.splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _stat_value(text: str | None, key: str) -> int:
    for line in (text or "").splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return 0


def _cgroup_folders() -> list[tuple[Path, bool]]:
    """(folder, is_v2) for this process's memory cgroup, most specific first; the mount's root
    is tried too, since inside a container the cgroup's own path is usually not mounted."""
    root = Path("/sys/fs/cgroup")
    folders: list[tuple[Path, bool]] = []
    for line in (_read("/proc/self/cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            folders.append((root / path.lstrip("/"), True))
        elif "memory" in controllers.split(","):
            folders.append((root / "memory" / path.lstrip("/"), False))
    folders += [(root, True), (root / "memory", False)]
    return folders


def _cgroup() -> int | None:
    for folder, v2 in _cgroup_folders():
        limit_text = _read(folder / ("memory.max" if v2 else "memory.limit_in_bytes"))
        usage_text = _read(folder / ("memory.current" if v2 else "memory.usage_in_bytes"))
        if limit_text is None or usage_text is None:
            continue
        limit_text = limit_text.strip()
        if limit_text == "max" or not limit_text.isdigit() or int(limit_text) >= UNLIMITED:
            return None
        stat = _read(folder / "memory.stat")
        cache = _stat_value(stat, "inactive_file" if v2 else "total_inactive_file")
        used = max(0, int(usage_text.strip() or 0) - cache)
        return int(limit_text) - used
    return None


def _address_space() -> int | None:
    try:
        import resource
    except ImportError:   # Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    statm = _read("/proc/self/statm")
    mapped = int(statm.split()[0]) * os.sysconf("SC_PAGE_SIZE") if statm else 0
    return soft - mapped
