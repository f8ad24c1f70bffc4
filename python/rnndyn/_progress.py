"""Chunked driving of long core calls, so that progress bars update and Ctrl-C is honoured."""

from __future__ import annotations

from collections.abc import Iterator

CHUNK_STEPS = 1000


def chunks(
    total: int, *, every: int | None = None, progress: bool = False, desc: str = ""
) -> Iterator[tuple[int, int]]:
    """Yield (start, stop) covering range(total) in pieces of at most CHUNK_STEPS steps.

    Pieces also break at every multiple of `every`, so per-chunk work (snapshots) lands on
    those steps.
    """
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc, unit="step")
    start = 0
    try:
        while start < total:
            stop = min(total, start + CHUNK_STEPS)
            if every is not None:
                stop = min(stop, (start // every + 1) * every)
            yield start, stop
            if bar is not None:
                bar.update(stop - start)
            start = stop
    finally:
        if bar is not None:
            bar.close()
