"""Independent jobs run in this process, on a local process pool made for one call, or on any
concurrent.futures.Executor (threads, processes, a Dask cluster's `get_executor()`).

A job is a picklable module-level function applied to a picklable value (a frozen dataclass)
that carries everything it needs: a process or a cluster worker sees nothing of the caller's
state. Each job does exactly what the serial loop does for it, so results do not depend on
where the jobs ran.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any, Literal, TypeVar

Job = TypeVar("Job")
Outcome = TypeVar("Outcome")

# the `executor` argument of the functions that map jobs
ExecutorChoice = Executor | Literal["processes"] | None


def check_executor(executor: object) -> ExecutorChoice:
    """`executor` if it is None, "processes" or an executor (a concurrent.futures.Executor, or
    anything with callable `submit` and `map`); TypeError otherwise."""
    if executor is None or isinstance(executor, Executor):
        return executor
    if isinstance(executor, str):
        if executor == "processes":
            return "processes"
    elif isinstance(executor, type):  # the class, where its instance was meant
        pass
    elif callable(getattr(executor, "submit", None)) and callable(getattr(executor, "map", None)):
        return executor  # type: ignore[return-value]  # duck-typed, e.g. a wrapper
    raise TypeError(
        "executor must be None, 'processes' or a concurrent.futures.Executor (with submit and "
        f"map; an instance, not a class), got {executor!r}"
    )


def map_jobs(
    function: Callable[[Job], Outcome],
    jobs: Sequence[Job],
    executor: ExecutorChoice,
    *,
    workers: int | None = None,
    progress: bool = False,
    desc: str = "",
    unit: str = "job",
) -> list[Outcome]:
    """[function(job) for job in jobs], in order, computed where `executor` says.

    executor: None runs the jobs here, one after the other; "processes" on a local
        ProcessPoolExecutor of min(workers or os.cpu_count(), len(jobs)) processes, created
        for this call and shut down after it (with fewer than two the jobs run here: a pool
        would only add its start-up); any other executor is used as given and left running.
    progress: a progress bar over the jobs, moved as each finishes (in any order).
    On an error or Ctrl-C the jobs not yet started are cancelled, and the processes of a
    "processes" pool are stopped at once (their results would be discarded).
    """
    if isinstance(executor, str):  # "processes", as checked
        count = pool_size(executor, workers, len(jobs))
        if not count:
            return map_jobs(function, jobs, None, progress=progress, desc=desc, unit=unit)
        pool = ProcessPoolExecutor(count, mp_context=_process_context())
        try:
            outcomes = _on_executor(pool, function, jobs, progress, desc, unit)
        except BaseException:
            _abandon(pool)
            raise
        pool.shutdown()
        return outcomes
    if executor is not None:
        return _on_executor(executor, function, jobs, progress, desc, unit)
    bar = _bar(len(jobs), progress, desc, unit)
    try:
        outcomes = []
        for job in jobs:
            outcomes.append(function(job))
            if bar is not None:
                bar.update(1)
        return outcomes
    finally:
        if bar is not None:
            bar.close()


def pool_size(executor: ExecutorChoice, workers: int | None, jobs: int) -> int:
    """The processes that `map_jobs` starts for `jobs` jobs: min(workers or os.cpu_count(),
    jobs) for "processes", unless that is under two (then they run here); 0 otherwise."""
    if not isinstance(executor, str):
        return 0
    count = min(workers or os.cpu_count() or 1, jobs)
    return count if count >= 2 else 0


def _on_executor(
    executor: Executor,
    function: Callable[[Job], Outcome],
    jobs: Sequence[Job],
    progress: bool,
    desc: str,
    unit: str,
) -> list[Outcome]:
    futures = [executor.submit(function, job) for job in jobs]
    bar = _bar(len(jobs), progress, desc, unit)
    try:
        if bar is not None and all(isinstance(f, Future) for f in futures):
            for future in as_completed(futures):
                future.result()  # raises the first failure now, not after every other job
                bar.update(1)
        return [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()  # no-op on finished jobs; after an error, the rest do not start
        if bar is not None:
            bar.close()


def _abandon(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down without waiting for the jobs in flight: after Ctrl-C, a level of a
    sweep could otherwise hold the caller for seconds."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()


def _process_context() -> multiprocessing.context.BaseContext:
    """Workers that do not inherit the caller's threads: forking a process that has threads
    (the core's, BLAS's, a progress bar's, Dask's) can deadlock the child. The fork server
    (POSIX) forks them from a clean process that has imported rnndyn once, so after the first
    pool of a session (≈ 0.5 s) a pool of two is ready in ≈ 0.05 s, where spawned workers
    import NumPy, SciPy and rnndyn (≈ 0.5 s) every time."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # Windows
    context = multiprocessing.get_context("forkserver")
    # takes effect when the server starts (the first pool); "__main__" is the default list
    context.set_forkserver_preload(["__main__", "rnndyn"])
    return context


def _bar(total: int, progress: bool, desc: str, unit: str) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit)
