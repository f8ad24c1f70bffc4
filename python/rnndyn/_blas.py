"""BLAS held to one thread while any of rnndyn's threads runs LAPACK on many points
(docs/mathematics.md, Threads and BLAS).

`threadpoolctl.threadpool_limits` sets a process-wide limit and restores, on exit, what it
found on entry, so two threads that overlap (sweeps on a thread pool) interleave: the first to
leave restores two BLAS threads under the other, whose LAPACK calls then round differently
from the serial run's. threadpoolctl 3.8 adds that only one thread, the first to set
OpenBLAS's limit, may change it until it is done; the others are ignored without a word. Here
the limit is counted instead: set by the first holder, restored by the last, each taking
OpenBLAS's control for that moment, whichever threads they are. BLAS pools only: OpenMP's
limits (torch's, say) are per thread, and a restore from another thread would not reach
them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import threadpoolctl

_lock = threading.Lock()
_holders = 0
_limiter: threadpoolctl.threadpool_limits | None = None


def _release_openblas() -> None:
    """No thread controls OpenBLAS's limit (threadpoolctl >= 3.8; older ones have no such
    control), so that the next to set it is obeyed."""
    controller = getattr(threadpoolctl, "OpenBLASController", None)
    clear = getattr(controller, "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS (NumPy's and SciPy's) on one thread from the first holder's entry to the last
    holder's exit, whatever threads hold it; the limits found on the first entry come back
    on the last exit."""
    global _holders, _limiter
    with _lock:
        if _holders == 0:
            _release_openblas()
            _limiter = threadpoolctl.threadpool_limits(limits=1, user_api="blas")
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _limiter is not None:
                _release_openblas()
                _limiter.restore_original_limits()
                _limiter = None
                _release_openblas()
