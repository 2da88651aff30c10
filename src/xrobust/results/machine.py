"""What /proc/cpuinfo says about the CPU (Linux; elsewhere nothing): its model, recorded with
every result (platform.processor() is empty on most Linux systems), and its feature flags,
which decide whether `--precision auto` picks bf16 (encoders/devices.py)."""

from functools import lru_cache
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def cpu_model(path: Path = CPUINFO) -> str | None:
    return _first_field(path, "model name")


def read_cpu_flags(path: Path = CPUINFO) -> set[str]:
    flags = _first_field(path, "flags")
    return set(flags.split()) if flags else set()


@lru_cache(maxsize=4)
def _first_field(path: Path, name: str) -> str | None:
    """The value of the first `name : value` line (every core repeats the same lines)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None
