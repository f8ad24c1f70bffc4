"""The compiled core, chosen at import.

The core is built twice: `_core_avx2` (AVX2 and FMA, x86-64 only) and `_core_portable` (any
CPU). The AVX2 build is used where the CPU has both; on a CPU with AVX-512F its batched
products take AVX-512 kernels, which give the same numbers bit for bit. The environment
variable RNNDYN_SIMD overrides the choice: "portable", or "avx2" (AVX2 only, no AVX-512
kernels); "auto" is the default. The two builds agree to rounding, not bit for bit (FMA rounds
once where the portable build rounds twice).
"""

from __future__ import annotations

import importlib
import os
import warnings
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
        name = f"{__package__}._core_avx2"
        try:
            module = importlib.import_module(name)
            module.set_avx512_kernels(requested == "auto")
            return module
        except ImportError as error:
            if requested == "avx2":
                raise
            # built without it (RNNDYN_AVX2=OFF) is silent; a module there that fails to load
            # (a truncated file, a missing symbol) would otherwise halve the speed unseen
            if not (isinstance(error, ModuleNotFoundError) and error.name == name):
                warnings.warn(
                    f"rnndyn: the AVX2 build failed to load ({error}); using the portable "
                    "build, about half as fast (reinstall rnndyn to repair it)",
                    RuntimeWarning,
                    stacklevel=2,
                )
    return _core_portable


globals().update({k: v for k, v in vars(_load()).items() if not k.startswith("__")})
