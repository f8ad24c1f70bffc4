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
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from ._store import JobStore

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
    store: JobStore | None = None,
) -> list[Outcome]:
    """[function(job) for job in jobs], in order, computed where `executor` says.

    executor: None runs the jobs here, one after the other; "processes" on a local
        ProcessPoolExecutor of min(workers or os.cpu_count(), len(jobs)) processes, created
        for this call and shut down after it (with fewer than two the jobs run here: a pool
        would only add its start-up); any other executor is used as given and left running.
    progress: a progress bar over the jobs, moved as each finishes (in any order).
    store: outcomes kept on disk (see _store): the jobs found there are not run, and each
        job run is saved as it finishes, here in the caller's process.
    On an error or Ctrl-C the jobs not yet started are cancelled, and the processes of a
    "processes" pool are stopped at once (their results would be discarded); with a store,
    the jobs finished until then are kept.
    """
    if store is None:
        return _map(function, jobs, executor, workers, _Bar(progress, desc, unit), None)
    paths = [store.path(function, job) for job in jobs]
    outcomes = {}
    for index, path in enumerate(paths):
        found, outcome = store.load(path)
        if found:
            outcomes[index] = outcome
    missing = [index for index in range(len(jobs)) if index not in outcomes]

    def keep(position: int, outcome: Outcome) -> None:
        store.save(paths[missing[position]], outcome)

    bar = _Bar(progress, desc, unit, stored=len(outcomes))
    computed = _map(function, [jobs[index] for index in missing], executor, workers, bar, keep)
    outcomes.update(zip(missing, computed, strict=True))
    return [outcomes[index] for index in range(len(jobs))]


def _map(
    function: Callable[[Job], Outcome],
    jobs: Sequence[Job],
    executor: ExecutorChoice,
    workers: int | None,
    bar: _Bar,
    done: Callable[[int, Outcome], None] | None,
) -> list[Outcome]:
    """map_jobs without a store; done(index, outcome) is called here as each job finishes."""
    if isinstance(executor, str):  # "processes", as checked
        count = pool_size(executor, workers, len(jobs))
        if not count:
            return _map(function, jobs, None, None, bar, done)
        pool = ProcessPoolExecutor(count, mp_context=_process_context())
        try:
            outcomes = _on_executor(pool, function, jobs, bar, done)
        except BaseException:
            _abandon(pool)
            raise
        pool.shutdown()
        return outcomes
    if executor is not None:
        return _on_executor(executor, function, jobs, bar, done)
    progress = bar.start(len(jobs))
    try:
        outcomes = []
        for index, job in enumerate(jobs):
            outcomes.append(function(job))
            if done is not None:
                done(index, outcomes[-1])
            if progress is not None:
                progress.update(1)
        return outcomes
    finally:
        if progress is not None:
            progress.close()


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
    bar: _Bar,
    done: Callable[[int, Outcome], None] | None,
) -> list[Outcome]:
    futures = [executor.submit(function, job) for job in jobs]
    progress = bar.start(len(jobs))
    try:
        watched = progress is not None or done is not None
        if watched and all(isinstance(f, Future) for f in futures):
            index = {future: position for position, future in enumerate(futures)}
            for future in as_completed(futures):
                outcome = future.result()  # raises the first failure now, not after the rest
                if done is not None:
                    done(index[future], outcome)
                if progress is not None:
                    progress.update(1)
        elif done is not None:  # duck-typed futures: in order
            for position, future in enumerate(futures):
                done(position, future.result())
        return [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()  # no-op on finished jobs; after an error, the rest do not start
        if progress is not None:
            progress.close()


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


@dataclass(frozen=True)
class _Bar:
    """A progress bar to be: shown only if `progress`, once the number of jobs to run is
    known; the `stored` jobs taken from a store count as done from the start."""

    progress: bool
    desc: str
    unit: str
    stored: int = 0

    def start(self, total: int) -> Any:
        if not self.progress:
            return None
        from tqdm.auto import tqdm

        everything = total + self.stored
        return tqdm(total=everything, initial=self.stored, desc=self.desc, unit=self.unit)
