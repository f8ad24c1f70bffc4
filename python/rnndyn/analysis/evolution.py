"""How the fixed points of a network evolve over FORCE training (the paper's section 6.1,
figure 7): the same starting states are minimised under each recorded readout, points of
consecutive snapshots are matched, and appearances, disappearances and changes of stability
(bifurcations) are reported."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.optimize
import scipy.spatial
from numpy.typing import ArrayLike

from .._executor import check_executor, map_jobs, pool_size
from .._io import load_archive, save_archive
from .._store import NOT_IN_KEY, as_store
from .._validation import as_array, as_float, as_jobs
from ..fixedpoints.result import FixedPoints, Kind
from ..fixedpoints.search import as_kinds, find_fixed_points
from ..networks.esn import ESN
from ..networks.training import TrainingHistory, check_history

EVENT_KINDS = ("appears", "vanishes", "stability")
# the FixedPoints fields with one row per point (the others are scalar settings)
_POINT_FIELDS = tuple(
    f.name
    for f in fields(FixedPoints)
    if f.name not in ("discrete_time", "tol_q", "non_finite_starts")
)
# one row per event; dims are -1 where the point does not exist (before it appears, after it
# vanishes)
EVENT_DTYPE = np.dtype(
    [
        ("snapshot", np.int64),
        ("step", np.int64),
        ("track", np.int64),
        ("kind", "U9"),
        ("dims_before", np.int64),
        ("dims_after", np.int64),
    ]
)


@dataclass(frozen=True)
class Evolution:
    """Fixed points at K snapshots of training, linked into tracks.

    - steps: (K,) training steps of the snapshots (0: before training).
    - fixed_points: K FixedPoints, the points of the kept kinds found at each snapshot.
    - tracks: K int arrays (M_k,): the track of each point. A track is one point followed
      from snapshot to snapshot; ids count from 0 in order of first appearance.
    - events: (E,) structured array (EVENT_DTYPE), one row per change between snapshots k-1
      and k, recorded at k: snapshot (k), step (steps[k]), track, kind ("appears": a point
      of k matched by none of k-1; "vanishes": a point of k-1 matched by none of k;
      "stability": a matched point whose number of unstable dimensions changed, a
      bifurcation), dims_before and dims_after (unstable dimensions at k-1 and k, -1 where
      the point does not exist).
    - tol_match: points of consecutive snapshots closer than this (Euclidean, state units)
      could be matched.
    - kinds: the kinds of point kept (FixedPoints.kind).
    """

    steps: np.ndarray
    fixed_points: tuple[FixedPoints, ...]
    tracks: tuple[np.ndarray, ...]
    events: np.ndarray
    tol_match: float
    kinds: tuple[Kind, ...] = ("fixed",)

    def __post_init__(self) -> None:
        sizes = {len(self.steps), len(self.fixed_points), len(self.tracks)}
        if len(sizes) != 1:
            raise ValueError("steps, fixed_points and tracks must have one entry per snapshot")
        if any(len(t) != len(f) for t, f in zip(self.tracks, self.fixed_points, strict=True)):
            raise ValueError("tracks must hold one id per fixed point of each snapshot")

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def counts(self) -> np.ndarray:
        """(K,) points kept at each snapshot."""
        return np.array([len(f) for f in self.fixed_points], dtype=int)

    @property
    def stable_counts(self) -> np.ndarray:
        """(K,) stable fixed points (kind "fixed", no unstable dimension) at each snapshot."""
        return np.array([len(f.stable) for f in self.fixed_points], dtype=int)

    @property
    def n_tracks(self) -> int:
        return int(max((t.max(initial=-1) for t in self.tracks), default=-1)) + 1

    @property
    def track_dims(self) -> np.ndarray:
        """(K, n_tracks) unstable dimensions of each track's point at each snapshot, -1 where
        the track has no point."""
        table = np.full((len(self), self.n_tracks), -1, dtype=int)
        for row, (ids, fps) in enumerate(zip(self.tracks, self.fixed_points, strict=True)):
            table[row, ids] = fps.unstable_dims
        return table

    def summary(self) -> str:
        """A table: per snapshot the step, the points (stable; with unstable dimensions) and
        the events that led there."""
        header = f"{'step':>8} {'points':>6} {'stable':>6} {'unstable':>8}  events"
        lines = [
            f"{self.n_tracks} tracks over {len(self)} snapshots (kinds: {', '.join(self.kinds)};"
            f" matched within {self.tol_match:.3g})",
            header,
        ]
        stable = self.stable_counts
        for k, (step, fps) in enumerate(zip(self.steps, self.fixed_points, strict=True)):
            here = self.events[self.events["snapshot"] == k]
            changes = ", ".join(
                f"{np.sum(here['kind'] == kind)} {kind}"
                for kind in EVENT_KINDS
                if np.any(here["kind"] == kind)
            )
            unstable = int(np.sum(fps.unstable_dims > 0))
            lines.append(
                f"{int(step):>8} {len(fps):>6} {stable[k]:>6} {unstable:>8}  {changes}".rstrip()
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Evolution(\n{self.summary()}\n)"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save to `path` (.npz, no pickle); returns the path. The snapshots' FixedPoints are
        stored concatenated, each array zero-padded to the widest snapshot, with offsets and
        the true widths, so that loading gives back exactly what was saved."""
        offsets = np.concatenate([[0], np.cumsum(self.counts)])
        arrays = {
            "steps": self.steps,
            "events": self.events,
            "offsets": offsets,
            "tracks": np.concatenate([np.zeros(0, int), *self.tracks]),
        }
        for name in _POINT_FIELDS:
            stacked, widths = _stack([getattr(f, name) for f in self.fixed_points])
            arrays[f"points.{name}"] = stacked
            arrays[f"points.{name}.widths"] = widths
        first = self.fixed_points[0]
        meta = {
            "tol_match": self.tol_match,
            "kinds": list(self.kinds),
            "discrete_time": first.discrete_time,
            "tol_q": first.tol_q,
            "non_finite_starts": [list(f.non_finite_starts) for f in self.fixed_points],
        }
        return save_archive(path, "Evolution", arrays, meta)

    @classmethod
    def from_snapshots(
        cls,
        steps: ArrayLike,
        fixed_points: Sequence[FixedPoints],
        tol_match: float | None = None,
        kinds: Kind | Sequence[Kind] = ("fixed",),
    ) -> Evolution:
        """Link fixed points found at K snapshots (e.g. by your own searches) into tracks.

        steps: (K,) increasing training steps; fixed_points: K FixedPoints of one width N;
        tol_match and kinds as in `fixed_point_evolution`.
        """
        steps = np.asarray(steps)
        if steps.ndim != 1 or not np.issubdtype(steps.dtype, np.integer):
            raise TypeError(f"steps must be a 1-D array of integers, got {steps!r}")
        if np.any(np.diff(steps) <= 0):
            raise ValueError(f"steps must increase, got {steps.tolist()}")
        fixed_points = list(fixed_points)
        if not fixed_points or len(fixed_points) != len(steps):
            raise ValueError(
                f"fixed_points must hold one FixedPoints per step ({len(steps)}),"
                f" got {len(fixed_points)}"
            )
        if not all(isinstance(f, FixedPoints) for f in fixed_points):
            raise TypeError("fixed_points must hold FixedPoints")
        if len({f.points.shape[1] for f in fixed_points}) != 1:
            raise ValueError("fixed_points must all have the same width N")
        kinds = as_kinds(kinds)
        kept = tuple(f[np.isin(f.kind, kinds)] for f in fixed_points)
        points = [f.points for f in kept]
        tol_match = (
            default_tol_match(points)
            if tol_match is None
            else _as_tolerance("tol_match", tol_match)
        )
        tracks, events = build_tracks(points, [f.unstable_dims for f in kept], steps, tol_match)
        return cls(steps.astype(np.int64), kept, tuple(tracks), events, tol_match, kinds)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Evolution:
        """Load an evolution written by `save`."""
        arrays, meta = load_archive(path, "Evolution")
        try:
            offsets = arrays["offsets"]
            snapshots = []
            non_finite = meta.get("non_finite_starts", [[]] * (len(offsets) - 1))
            for k in range(len(offsets) - 1):
                rows = slice(offsets[k], offsets[k + 1])
                per_point = {
                    name: arrays[f"points.{name}"][
                        (rows, *map(slice, arrays[f"points.{name}.widths"][k]))
                    ]
                    for name in _POINT_FIELDS
                }
                snapshots.append(
                    FixedPoints(
                        **per_point,
                        discrete_time=meta["discrete_time"],
                        tol_q=meta["tol_q"],
                        non_finite_starts=non_finite[k],
                    )
                )
            tracks = np.split(arrays["tracks"], offsets[1:-1])
            return cls(
                arrays["steps"],
                tuple(snapshots),
                tuple(tracks),
                arrays["events"],
                meta["tol_match"],
                tuple(meta["kinds"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a valid Evolution archive ({exc})") from None


def fixed_point_evolution(
    net: ESN,
    history: TrainingHistory,
    initial_states: ArrayLike,
    snapshots: slice | ArrayLike | None = None,
    inputs: ArrayLike | None = None,
    tol_match: float | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
    kinds: Kind | Sequence[Kind] = ("fixed",),
    executor: Executor | Literal["processes"] | None = None,
    out: str | os.PathLike[str] | None = None,
    **find_options: Any,
) -> Evolution:
    """Find the fixed points of `net` under each readout W_o recorded in `history`, from the
    same `initial_states` each time (the paper's section 6.1), and follow them over training.

    - net: the network that was trained (only W_r, W_fb, B, b are used; `net` is not
      modified).
    - history: from `train_force(..., snapshot_every=...)`: snapshot_steps (K,), readouts
      (K, O, N).
    - initial_states: (S, N) starting states, e.g. sampled from a test run of the trained
      net.
    - snapshots: which of the history's snapshots to analyse: indices or a slice, in training
      order (default all).
    - inputs: the constant input (I,) at which the closed loop is analysed (zeros if None).
    - tol_match: points of consecutive snapshots are matched (one to one, least total
      distance, by linear_sum_assignment) only if closer than this, in state units. Default:
      half the median distance from a point to the nearest other point of its own snapshot,
      over all snapshots: a point that moved less than half the typical spacing between
      distinct points is taken to be the same point (inf if no snapshot has two points).
    - progress: show a progress bar over the snapshots.
    - n_jobs, find_options: passed to `find_fixed_points` (method, tol_q, tol_unique, ...).
    - kinds: which kinds of point to keep ("fixed", "slow", "unconverged").
    - executor: None (this process), "processes" (a local process pool for this call), or any
      concurrent.futures.Executor, e.g. `distributed.Client(...).get_executor()`; results
      are the same, bit for bit (one job per snapshot, each running the serial search with
      that snapshot's readout; matching and tracking stay here). A job uses n_jobs threads;
      "processes" instead starts min(n_jobs, snapshots) processes of one thread each
      (≈ 0.5 s the first time in a session, ≈ 0.05 s after: on POSIX they fork from a server
      that has imported rnndyn). The core's n_jobs threads already keep n_jobs cores busy
      in one search, so processes gain little over them here; a cluster pays where the
      snapshots' searches (seconds each from N ≈ 300) outgrow one machine. A process or
      cluster executor pickles each snapshot's job (the network and the starting states).
    - out: a folder (created if missing) that keeps each finished snapshot's search, keyed by
      everything it depends on (the network, the readout, the starts, inputs, kinds and
      find_options; not n_jobs or the executor). Run again with the same arguments, the
      sweep takes those searches from it and runs only the rest, saving each as it finishes:
      an interrupted run resumes where it stopped, with the result an uninterrupted one
      gives, bit for bit. The files are pickles: use a folder you trust. None (default):
      nothing is kept.
    """
    if not isinstance(net, ESN):
        raise TypeError(f"net must be an ESN, got {type(net).__name__}")
    check_history(net, history)
    indices = _snapshot_indices(snapshots, history.snapshot_steps)
    # checked before the searches, which take seconds per snapshot
    kinds = as_kinds(kinds)
    if tol_match is not None:
        tol_match = _as_tolerance("tol_match", tol_match)
    starts = as_array("initial_states", initial_states, (None, net.size))
    n_jobs = as_jobs("n_jobs", n_jobs)
    executor = check_executor(executor)
    store = as_store("out", out)

    # a local pool's processes share the cores, one thread each
    threads = 1 if pool_size(executor, n_jobs, len(indices)) else n_jobs
    jobs = [
        _Snapshot(net, history.readouts[index], starts, inputs, threads, kinds, find_options)
        for index in indices
    ]
    found = map_jobs(
        _search_snapshot,
        jobs,
        executor,
        workers=n_jobs,
        progress=progress,
        desc="snapshots",
        unit="snapshot",
        store=store,
    )
    return Evolution.from_snapshots(history.snapshot_steps[indices], found, tol_match, kinds)


@dataclass(frozen=True)
class _Snapshot:
    """One snapshot's search, picklable so that a process or cluster executor can run it."""

    net: ESN
    readout: np.ndarray
    starts: np.ndarray
    inputs: ArrayLike | None
    n_jobs: int = field(metadata=NOT_IN_KEY)  # the searches give the same points on any count
    kinds: tuple[Kind, ...]
    find_options: dict[str, Any]


def _search_snapshot(job: _Snapshot) -> FixedPoints:
    """The fixed points of the job's network with the snapshot's readout."""
    copy = job.net.copy()  # the caller's network is shared by every job: never modified
    copy.readout = job.readout
    return find_fixed_points(
        copy, job.starts, inputs=job.inputs, n_jobs=job.n_jobs, kinds=job.kinds, **job.find_options
    )


# -- matching and tracking (pure functions of the points) ---------------------------------------


def match_points(
    a: ArrayLike, b: ArrayLike, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match points a (Ma, N) to points b (Mb, N) one to one.

    The matching has as many pairs closer than `tol` (Euclidean) as possible and, among such,
    the least total distance (linear_sum_assignment with distances ≥ tol made prohibitive).
    Returns pairs (P, 2) of indices (i into a, j into b), sorted by i, and the sorted indices
    of a and of b left unmatched.
    """
    a = as_array("a", a, (None, None))
    b = as_array("b", b, (None, a.shape[1]))
    tol = _as_tolerance("tol", tol)
    distance = (
        scipy.spatial.distance.cdist(a, b) if a.size and b.size else np.zeros((len(a), len(b)))
    )
    allowed = distance < tol
    # a forbidden pair costs more than any set of allowed ones, so the assignment first
    # maximises the number of allowed pairs, then minimises their total distance
    forbidden = 1.0 + np.sum(np.where(allowed, distance, 0.0))
    rows, cols = scipy.optimize.linear_sum_assignment(np.where(allowed, distance, forbidden))
    keep = allowed[rows, cols]
    pairs = np.column_stack([rows[keep], cols[keep]]).astype(int).reshape(-1, 2)
    return (
        pairs,
        np.setdiff1d(np.arange(len(a)), pairs[:, 0]),
        np.setdiff1d(np.arange(len(b)), pairs[:, 1]),
    )


def build_tracks(
    points: Sequence[np.ndarray],
    unstable_dims: Sequence[np.ndarray],
    steps: Sequence[int] | np.ndarray,
    tol_match: float,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Link points of consecutive snapshots into tracks and list the events between them.

    points: K arrays (M_k, N); unstable_dims: K int arrays (M_k,); steps: (K,) training steps.
    Returns the track ids, K int arrays (M_k,), and the events (E,) as in `Evolution`.
    """
    if not len(points) == len(unstable_dims) == len(steps):
        raise ValueError("points, unstable_dims and steps must have one entry per snapshot")
    if not points:
        raise ValueError("points must hold at least one snapshot")
    tracks = [np.arange(len(points[0]))]
    next_id = len(points[0])
    events = []
    for k in range(1, len(points)):
        pairs, gone, new = match_points(points[k - 1], points[k], tol_match)
        before, after = unstable_dims[k - 1], unstable_dims[k]
        ids = np.empty(len(points[k]), dtype=int)
        ids[pairs[:, 1]] = tracks[k - 1][pairs[:, 0]]
        ids[new] = next_id + np.arange(len(new))
        next_id += len(new)
        tracks.append(ids)
        row = (k, int(steps[k]))
        events += [(*row, tracks[k - 1][i], "vanishes", before[i], -1) for i in gone]
        events += [(*row, ids[j], "appears", -1, after[j]) for j in new]
        events += [
            (*row, ids[j], "stability", before[i], after[j])
            for i, j in pairs
            if before[i] != after[j]
        ]
    table = np.array(events, dtype=EVENT_DTYPE)
    return tracks, table[np.lexsort((table["track"], table["snapshot"]))]


def default_tol_match(points: Sequence[np.ndarray]) -> float:
    """Half the median distance from a point to the nearest other point of its snapshot,
    over all snapshots (K arrays (M_k, N)); inf if no snapshot has two points."""
    nearest = [scipy.spatial.cKDTree(p).query(p, k=2)[0][:, 1] for p in points if len(p) >= 2]
    if not nearest:
        return float("inf")
    return 0.5 * float(np.median(np.concatenate(nearest)))


# -- the parts -----------------------------------------------------------------------------------


def _stack(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Arrays (M_k, ...) concatenated along the first axis, their other axes zero-padded to
    the widest; and those axes' true lengths, (K, ndim - 1)."""
    widths = np.array([p.shape[1:] for p in parts], dtype=int).reshape(
        len(parts), parts[0].ndim - 1
    )
    stacked = np.zeros(
        (sum(map(len, parts)), *widths.max(axis=0, initial=0)), dtype=np.result_type(*parts)
    )
    start = 0
    for part in parts:
        stacked[(slice(start, start + len(part)), *map(slice, part.shape[1:]))] = part
        start += len(part)
    return stacked, widths


def _as_tolerance(name: str, value: object) -> float:
    """A distance threshold: > 0, inf allowed (match regardless of distance)."""
    if isinstance(value, float) and value == np.inf:
        return np.inf
    return as_float(name, value, positive=True)


def _snapshot_indices(
    snapshots: slice | ArrayLike | None, snapshot_steps: np.ndarray
) -> np.ndarray:
    count = len(snapshot_steps)
    everything = np.arange(count)
    if snapshots is None:
        return everything
    if isinstance(snapshots, slice):
        indices = everything[snapshots]
    else:
        indices = np.atleast_1d(np.asarray(snapshots))
        if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
            raise TypeError(f"snapshots must be a slice or integer indices, got {snapshots!r}")
        if np.any((indices < -count) | (indices >= count)):
            raise ValueError(
                f"snapshots must index the history's {count} snapshots, got {indices.tolist()}"
            )
        indices = everything[indices]
    if indices.size == 0:
        raise ValueError("snapshots must select at least one snapshot")
    if np.any(np.diff(snapshot_steps[indices]) <= 0):
        raise ValueError(
            "snapshots must be in training order without repeats, got "
            f"steps {snapshot_steps[indices].tolist()}"
        )
    return indices
