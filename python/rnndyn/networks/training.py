"""Training the readout: FORCE (recursive least squares, online) and ridge regression."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from .. import _core
from .._io import SavedResult
from .._progress import chunks
from .._validation import as_array, as_float, as_int, as_jobs
from ..errors import DivergenceError
from .activations import activation_functions
from .esn import ESN, Inputs, RunResult, previous_target, split_sample


@dataclass(frozen=True)
class TrainingHistory(SavedResult):
    """What FORCE training recorded.

    - errors: (T, O) output error z_t - f_t before each step's update.
    - outputs: (T, O) outputs after each step (after the update, where there was one).
    - running_mse: (T,) mean squared error over outputs, averaged over the trailing
      `mse_window` steps (fewer at the start).
    - snapshot_steps: (K,) steps after which the readout was recorded (0: before training).
    - readouts: (K, O, N) the readout W_o at those steps.
    - mean_abs_readout: (K,) mean absolute entry of W_o at those steps (the paper's
      figure 5d).
    - inverse_correlation: (N, N) P at the end of training, symmetric.
    - states: (T, N) states after each step, if recorded.
    """

    errors: np.ndarray
    outputs: np.ndarray
    running_mse: np.ndarray
    snapshot_steps: np.ndarray
    readouts: np.ndarray
    mean_abs_readout: np.ndarray
    inverse_correlation: np.ndarray
    states: np.ndarray | None = None
    train_every: int = 2
    alpha: float = 1.0
    mse_window: int = 100

    @property
    def mse(self) -> float:
        """Mean squared pre-update error over the whole run."""
        return float(np.mean(self.errors**2))


def check_history(net: ESN, history: object) -> TrainingHistory:
    """`history`, if it is a TrainingHistory whose readouts (K, O, N) fit the readout of
    `net`; TypeError or ValueError otherwise."""
    if not isinstance(history, TrainingHistory):
        raise TypeError(f"history must be a TrainingHistory, got {type(history).__name__}")
    if history.readouts.shape[1:] != net.readout.shape:
        raise ValueError(
            f"history's readouts have shape {history.readouts.shape[1:]}, the network's "
            f"readout {net.readout.shape}: pass the network the history was recorded from"
        )
    return history


def train_force(
    net: ESN,
    inputs: Inputs,
    targets: ArrayLike | None = None,
    train_every: int = 2,
    alpha: float = 1.0,
    snapshot_every: int | None = None,
    teacher_forcing: bool = False,
    inverse_correlation: ArrayLike | None = None,
    record_states: bool = False,
    mse_window: int = 100,
    progress: bool = False,
    n_jobs: int | None = None,
) -> TrainingHistory:
    """Train `net.readout` in place by FORCE (docs/mathematics.md, FORCE learning), continuing
    from `net.state`.

    - inputs: (T, I) array, an int T for a network without inputs, or a task's
      `(inputs, targets)` pair; targets: (T, O).
    - train_every: steps between updates (an update ends step t when
      (t+1) % train_every == 0).
    - alpha: P(0) = I/alpha, unless `inverse_correlation` (N, N, symmetric positive
      definite) continues an earlier run's P.
    - snapshot_every: record the readout every this many steps (and at 0 and T); None
      records only the readout before and after training.
    - teacher_forcing: feed back the target f_{t-1} instead of the output while training.
    - record_states: keep the (T, N) states in the history.
    - n_jobs: threads for each step (up to 4; None: the cores this process may use from
      N = 500; RNNDYN_NUM_THREADS overrides); results do not depend on it.

    Training runs in the network's dtype (float32 is about twice as fast as float64; P and the
    history are in that dtype too). The network's readout and state change only if the whole
    run succeeds; a non-finite state, output or P raises DivergenceError.
    """
    u, f = _training_sequence(net, inputs, targets)
    settings = _ForceSettings(
        train_every=as_int("train_every", train_every, minimum=1),
        alpha=as_float("alpha", alpha, positive=True),
        mse_window=as_int("mse_window", mse_window, minimum=1),
        n_jobs=as_jobs("n_jobs", n_jobs, net.size),
        snapshot_every=None
        if snapshot_every is None
        else as_int("snapshot_every", snapshot_every, minimum=1),
        teacher_forcing=bool(teacher_forcing),
        record_states=bool(record_states),
        progress=progress,
    )
    P = _starting_inverse_correlation(net, settings.alpha, inverse_correlation)
    trained = _force_in_chunks(net, u, f, P, settings)
    P = symmetrized(P)
    if not np.all(np.isfinite(P)):
        raise DivergenceError("FORCE diverged: P became non-finite; the network is unchanged")
    net.readout = trained.readout
    net.state = trained.state
    return _history(trained, P, settings)


@dataclass(frozen=True)
class _ForceSettings:
    """train_force's checked settings."""

    train_every: int
    alpha: float
    mse_window: int
    n_jobs: int
    snapshot_every: int | None
    teacher_forcing: bool
    record_states: bool
    progress: bool


@dataclass(frozen=True)
class _Trained:
    """What the chunked FORCE run leaves: the new readout and state, and its recordings."""

    readout: np.ndarray
    state: np.ndarray
    outputs: np.ndarray
    errors: np.ndarray
    states: np.ndarray | None
    snapshot_steps: list[int]
    readouts: list[np.ndarray]


def _starting_inverse_correlation(
    net: ESN, alpha: float, inverse_correlation: ArrayLike | None
) -> np.ndarray:
    """P at the start, in the network's dtype: I/alpha, or a copy of an earlier run's P
    (N, N), which must be symmetric positive definite."""
    n = net.size
    if inverse_correlation is None:
        identity: np.ndarray = np.eye(n, dtype=net.dtype) / net.dtype.type(alpha)
        return identity
    P = as_array("inverse_correlation", inverse_correlation, (n, n), dtype=net.dtype).copy()
    try:
        np.linalg.cholesky(symmetrized(P))
    except np.linalg.LinAlgError:
        raise ValueError("inverse_correlation must be symmetric positive definite") from None
    return P


def _force_in_chunks(
    net: ESN, u: np.ndarray, f: np.ndarray, P: np.ndarray, settings: _ForceSettings
) -> _Trained:
    """FORCE over the whole sequence, in chunks (for progress, Ctrl-C and the readout's
    snapshots), on copies of the readout and state; P is updated in place (its lower
    triangle). The network itself is not changed."""
    steps, n, n_outputs = u.shape[0], net.size, net.n_outputs
    readout, state = net.readout.copy(), net.state.copy()
    outputs = np.empty((steps, n_outputs), net.dtype)
    errors = np.empty((steps, n_outputs), net.dtype)
    states = np.empty((steps if settings.record_states else 0, n), net.dtype)
    snapshot_steps, readouts = [0], [readout.copy()]
    network = net.core_network()
    every = settings.snapshot_every
    for start, stop in chunks(steps, size=n, every=every, progress=settings.progress, desc="FORCE"):
        bad = _core.train_force(
            network,
            readout=readout,
            state=state,
            inputs=u[start:stop],
            targets=f[start:stop],
            teacher_forcing=settings.teacher_forcing,
            previous_target=previous_target(f, start, n_outputs, net.dtype),
            inverse_correlation=P,
            train_every=settings.train_every,
            step_offset=start,
            states=states[start:stop] if settings.record_states else states,
            outputs=outputs[start:stop],
            errors=errors[start:stop],
            n_jobs=settings.n_jobs,
            previous_output=outputs[start - 1] if start else outputs[:0, 0],
        )
        if bad >= 0:  # the core checks every step
            raise DivergenceError(
                f"FORCE diverged at step {start + bad}: a non-finite state, output or readout, "
                "or P no longer positive definite (1 + rᵀPr <= 0); the network is unchanged"
            )
        if every is not None and (stop % every == 0 or stop == steps):
            snapshot_steps.append(stop)
            readouts.append(readout.copy())
    if snapshot_steps[-1] != steps:
        snapshot_steps.append(steps)
        readouts.append(readout.copy())
    recorded = states if settings.record_states else None
    return _Trained(readout, state, outputs, errors, recorded, snapshot_steps, readouts)


def _history(trained: _Trained, P: np.ndarray, settings: _ForceSettings) -> TrainingHistory:
    """The TrainingHistory of a FORCE run, P being its final (symmetric) inverse correlation."""
    readout_stack = np.stack(trained.readouts)
    return TrainingHistory(
        errors=trained.errors,
        outputs=trained.outputs,
        running_mse=trailing_mean(np.mean(trained.errors**2, axis=1), settings.mse_window),
        snapshot_steps=np.asarray(trained.snapshot_steps),
        readouts=readout_stack,
        mean_abs_readout=np.mean(np.abs(readout_stack), axis=(1, 2)),
        inverse_correlation=P,
        states=trained.states,
        train_every=settings.train_every,
        alpha=settings.alpha,
        mse_window=settings.mse_window,
    )


def train_ridge(
    net: ESN,
    inputs: Inputs,
    targets: ArrayLike | None = None,
    ridge: float = 1e-6,
    washout: int = 100,
) -> RunResult:
    """Fit `net.readout` offline by ridge regression, the classic ESN way.

    The network runs with its feedback clamped to the targets (teacher forcing) from
    `net.state`; after `washout` steps, W_o minimises `Σ_t |W_o r_t - f_t|² + ridge |W_o|²`
    over the rates r_t = φ(x_t). Returns the teacher-forced run with outputs recomputed by the
    new readout (T - washout steps), so `result.mse` is the training error.
    """
    u, f = _training_sequence(net, inputs, targets)
    ridge = as_float("ridge", ridge, minimum=0.0)
    washout = as_int("washout", washout, minimum=0)
    if washout >= u.shape[0]:
        raise ValueError(f"washout must be < T = {u.shape[0]}, got {washout}")
    run = net.run(u, f, teacher_forcing=True)
    phi = activation_functions(net.activation)[0]
    rates = phi(run.states[washout:])
    kept = f[washout:]
    gram = rates.T @ rates + ridge * np.eye(net.size)
    net.readout = scipy.linalg.solve(gram, rates.T @ kept, assume_a="sym").T
    return RunResult(run.states[washout:], rates @ net.readout.T, kept)


def _training_sequence(
    net: ESN, inputs: Inputs, targets: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray]:
    """Validated (T, I) inputs and (T, O) targets, which training cannot do without."""
    inputs, targets = split_sample(inputs, targets)
    if targets is None:
        raise ValueError("targets (T, O) are required to train")
    u, f = net.check_sequence(inputs, targets)
    assert f is not None
    return u, f


def symmetrized(lower: np.ndarray) -> np.ndarray:
    """The symmetric matrix whose lower triangle is that of `lower` (the core updates only it)."""
    symmetric: np.ndarray = np.tril(lower) + np.tril(lower, -1).T
    return symmetric


def trailing_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of each value with up to `window - 1` before it, shape of `values`."""
    sums = np.cumsum(values)
    result = sums.copy()
    result[window:] = sums[window:] - sums[:-window]
    counts = np.minimum(np.arange(1, values.size + 1), window)
    return result / counts
