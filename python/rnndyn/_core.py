"""The compiled core, chosen at import.

The core is built twice: `_core_avx2` (AVX2 and FMA, x86-64 only) and `_core_portable` (any
CPU). The AVX2 build is used where the CPU has both. The environment variable RNNDYN_SIMD
overrides the choice: "portable" or "avx2" ("auto" is the default). The two builds agree to
rounding, not bit for bit (FMA rounds once where the portable build rounds twice).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from . import _core_portable

_CHOICES = ("auto", "portable", "avx2")


def _load() -> ModuleType:
    requested = os.environ.get("RNNDYN_SIMD", "auto").strip().lower() or "auto"
    if requested not in _CHOICES:
        raise ImportError(f"RNNDYN_SIMD must be one of {list(_CHOICES)}, got {requested!r}")
    usable = _core_portable.cpu_has_avx2_fma()
    if requested == "avx2" and not usable:
        raise ImportError("RNNDYN_SIMD=avx2, but this CPU lacks AVX2 or FMA")
    if requested != "portable" and usable:
        try:
            return importlib.import_module("._core_avx2", __package__)
        except ImportError:  # built without it (RNNDYN_AVX2=OFF)
            if requested == "avx2":
                raise
    return _core_portable


globals().update({k: v for k, v in vars(_load()).items() if not k.startswith("__")})
