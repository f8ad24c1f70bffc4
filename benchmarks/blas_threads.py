"""One BLAS thread for every benchmark (docs/mathematics.md, Threads and BLAS).

NumPy's and SciPy's bundled OpenBLAS are separate libraries with separate thread pools; on
this 2-core machine, two threads each made steps 20-35x slower and any load on the other core
makes multithreaded BLAS collapse. Benchmarks therefore run every NumPy/SciPy baseline on one
thread. The variables only take effect if set before NumPy is first imported, so scripts call
`hold_to_one_thread()` before their other imports.
"""

from __future__ import annotations

import os

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def hold_to_one_thread() -> None:
    """Set OPENBLAS/OMP/MKL_NUM_THREADS=1 (call before the first `import numpy`), and MKL's
    AVX branch for PyTorch's networks, as tests/conftest.py sets it: the same weights on
    every machine."""
    for name in VARIABLES:
        os.environ[name] = "1"
    os.environ.setdefault("MKL_CBWR", "AVX")


def describe() -> str:
    """The variables as set, and the thread count of each BLAS/OpenMP pool loaded so far."""
    import threadpoolctl

    settings = ", ".join(f"{name}={os.environ.get(name, '(unset)')}" for name in VARIABLES)
    pools = "; ".join(
        f"{pool['internal_api']} {pool.get('version') or ''} ({pool['prefix']}): "
        f"{pool['num_threads']} thread(s)"
        for pool in threadpoolctl.threadpool_info()
    )
    return f"{settings}. Pools loaded: {pools or 'none'}"
