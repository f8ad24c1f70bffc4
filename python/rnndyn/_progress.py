"""Chunked driving of long core calls, so that progress bars update and Ctrl-C is honoured."""

from __future__ import annotations

from collections.abc import Iterator

CHUNK_STEPS = 1000
# A step costs about N² (FORCE: a few passes over P); pieces of at most this many N² steps take
# 0.1 s (N = 1000) to 0.5 s (N = 4000, out of cache) here, so Ctrl-C, honoured between pieces,
# stops a run of any size within a second. Smaller pieces cost time: each call re-enters the
# core (threads, a pass over P at its end), ~5% more for FORCE at N = 1000 with half this.
CHUNK_WORK = 1e9


def chunks(
    total: int,
    *,
    size: int = 1,
    every: int | None = None,
    progress: bool = False,
    desc: str = "",
) -> Iterator[tuple[int, int]]:
    """Yield (start, stop) covering range(total) in pieces of at most CHUNK_STEPS steps, and
    at most CHUNK_WORK / size² for a network of `size` units.

    Pieces also break at every multiple of `every`, so per-chunk work (snapshots) lands on
    those steps.
    """
    piece = max(1, min(CHUNK_STEPS, int(CHUNK_WORK / size**2)))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc, unit="step")
    start = 0
    try:
        while start < total:
            stop = min(total, start + piece)
            if every is not None:
                stop = min(stop, (start // every + 1) * every)
            yield start, stop
            if bar is not None:
                bar.update(stop - start)
            start = stop
    finally:
        if bar is not None:
            bar.close()
