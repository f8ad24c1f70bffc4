"""What the benchmarks ran on: CPU, caches, memory, load, library versions, git commit."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = Path("/sys/devices/system/cpu/cpu0/cache")


@dataclass(frozen=True)
class Machine:
    """A description of this machine and software, read at start-up."""

    cpu: str
    cores: int
    ram_gib: float
    caches: dict[str, int]  # "L1d", "L2", "L3" → bytes (per instance)
    versions: dict[str, str]
    commit: str
    load_average: str

    @property
    def l2_bytes(self) -> int:
        """L2 per core (1 MiB assumed if /sys does not say)."""
        return self.caches.get("L2", 1 << 20)

    @property
    def l3_bytes(self) -> int:
        """L3 (32 MiB assumed if /sys does not say)."""
        return self.caches.get("L3", 32 << 20)

    def markdown(self) -> str:
        """A bulleted description."""
        caches = ", ".join(f"{name} {size // 1024} KiB" for name, size in self.caches.items())
        versions = ", ".join(f"{name} {version}" for name, version in self.versions.items())
        return "\n".join(
            [
                f"- CPU: {self.cpu}, {self.cores} cores; caches (per instance, from /sys): "
                f"{caches or 'unknown'}",
                f"- RAM: {self.ram_gib:.1f} GiB; load average at start: {self.load_average}",
                f"- Python {platform.python_version()} on {platform.platform()}",
                f"- {versions}",
                f"- git commit: {self.commit}",
            ]
        )


def describe_machine() -> Machine:
    """Read the machine's description from /proc, /sys, the packages and git."""
    import numpy
    import rnndyn
    import scipy

    versions = {
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "rnndyn": rnndyn.__version__,
    }
    for optional in ("reservoirpy", "matplotlib"):
        try:
            versions[optional] = __import__(optional).__version__
        except ImportError:
            versions[optional] = "not installed"
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 0,
        ram_gib=_ram_bytes() / 2**30,
        caches=_caches(),
        versions=versions,
        commit=git_commit(),
        load_average=load_average(),
    )


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def git_commit() -> str:
    """HEAD's hash, noting uncommitted changes to tracked files."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    changed = [line[3:] for line in dirty.splitlines()]
    return head + (f" plus uncommitted changes to {', '.join(changed)}" if changed else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _caches() -> dict[str, int]:
    caches = {}
    for index in sorted(CACHE_DIR.glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if kind == "Instruction":
            continue
        name = f"L{level}" + ("d" if kind == "Data" else "")
        units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
        caches[name] = int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)
    return caches
