"""The Echo State Network with output feedback and its simulation (docs/mathematics.md, The
network)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .. import _core
from .._io import load_archive, save_archive
from .._progress import chunks
from .._validation import as_array, as_choice, as_dtype, as_float, as_int, as_rng
from ..errors import DivergenceError
from .activations import ACTIVATIONS, Activation, activation_functions
from .spectral import spectral_radius as _spectral_radius


@dataclass(frozen=True)
class RunResult:
    """A simulated trajectory.

    - states: (T, N) activations x_t after each step.
    - outputs: (T, O) readouts z_t after each step.
    - targets: (T, O) the targets given to the run, or None.
    """

    states: np.ndarray
    outputs: np.ndarray
    targets: np.ndarray | None = None

    @property
    def mse(self) -> float | None:
        """Mean squared error of outputs against targets over all steps and channels."""
        if self.targets is None:
            return None
        return float(np.mean((self.outputs - self.targets) ** 2))


# What runs and training take as `inputs`: (T, I) values, a step count T for a network without
# inputs, or a task's (inputs, targets) pair in place of both arguments.
Inputs = ArrayLike | int | tuple[ArrayLike, ArrayLike]


def split_sample(inputs: Inputs, targets: ArrayLike | None) -> tuple[Inputs, ArrayLike | None]:
    """Accept `(inputs, targets)` as returned by a task's `sample` in place of `inputs`."""
    if targets is None and isinstance(inputs, tuple) and len(inputs) == 2:
        return inputs
    return inputs, targets


class _Weight:
    """A weight array attribute: of the network's dtype, C-contiguous, finite, and of the shape
    it had."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = "_" + name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Weight: ...
    @overload
    def __get__(self, obj: ESN, objtype: type | None = None) -> np.ndarray: ...
    def __get__(self, obj: ESN | None, objtype: type | None = None) -> _Weight | np.ndarray:
        return self if obj is None else getattr(obj, self.slot)

    def __set__(self, obj: ESN, value: ArrayLike) -> None:
        current = getattr(obj, self.slot)
        setattr(obj, self.slot, as_array(self.name, value, current.shape, dtype=obj.dtype))


class ESN:
    """A continuous-time rate network with output feedback, integrated by forward Euler.

        τ dx/dt = -x + W_r φ(x) + W_fb z + B u + b,   z = W_o φ(x)

    Parameters:

    n, inputs, outputs:
        Numbers of units N, input channels I (0 for autonomous generators) and outputs O.
    g:
        Gain: W_r has entries N(0, g²/(pN)), each kept with probability `p`.
    p:
        Connection probability of W_r, in (0, 1].
    tau, dt:
        Time constant (a scalar, or one per unit, shape (N,)) and Euler step, in the same
        time unit; the step is x ← x + (dt/τ) F(x, u).
    activation:
        "tanh" or "logistic".
    spectral_radius:
        If given, W_r is rescaled to exactly this spectral radius (then `g` only sets the
        draw's scale).
    bias:
        False for none; True (or a positive scale s) draws b uniform in [-s, s], s = 1 for True.
    seed:
        int or numpy Generator. Draws happen in this order: W_r values, W_r mask (p < 1),
        W_fb, B, b, x(0); W_fb and B are uniform in [-1, 1], W_o = 0, x(0) ~ N(0, 0.5²).
    dtype:
        float64 (default) or float32: the precision of the weights, of simulation and of FORCE
        training (float32 is about twice as fast; the draws are those of float64, rounded).
        Fixed-point analysis always works in float64.
    """

    recurrent = _Weight()
    feedback = _Weight()
    input = _Weight()
    readout = _Weight()
    state = _Weight()

    def __init__(
        self,
        n: int,
        inputs: int,
        outputs: int,
        g: float = 1.5,
        p: float = 1.0,
        tau: float | ArrayLike = 10.0,
        dt: float = 1.0,
        activation: Activation = "tanh",
        spectral_radius: float | None = None,
        bias: bool | float = False,
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        n = as_int("n", n, minimum=1)
        inputs = as_int("inputs", inputs, minimum=0)
        outputs = as_int("outputs", outputs, minimum=1)
        g = as_float("g", g, positive=True)
        p = as_float("p", p, positive=True)
        if p > 1:
            raise ValueError(f"p must be in (0, 1], got {p}")
        if spectral_radius is not None:
            spectral_radius = as_float("spectral_radius", spectral_radius, positive=True)
        bias_scale = _bias_scale(bias)
        rng = as_rng(seed)

        recurrent = rng.normal(0.0, g / np.sqrt(p * n), size=(n, n))
        if p < 1:
            recurrent *= rng.random((n, n)) < p
        if spectral_radius is not None:
            radius = _spectral_radius(recurrent)
            if radius == 0:
                raise ValueError("spectral_radius: the drawn W_r is zero; raise p or n")
            recurrent *= spectral_radius / radius
        feedback = rng.uniform(-1.0, 1.0, size=(n, outputs))
        input_weights = rng.uniform(-1.0, 1.0, size=(n, inputs))
        bias_vector = rng.uniform(-bias_scale, bias_scale, size=n) if bias_scale else None
        state = 0.5 * rng.standard_normal(n)
        self._assign(
            recurrent,
            feedback,
            input_weights,
            np.zeros((outputs, n)),
            bias_vector,
            tau,
            dt,
            activation,
            state,
            dtype,
        )

    @classmethod
    def from_weights(
        cls,
        recurrent: ArrayLike,
        feedback: ArrayLike,
        input: ArrayLike,
        readout: ArrayLike,
        bias: ArrayLike | None = None,
        tau: float | ArrayLike = 10.0,
        dt: float = 1.0,
        activation: Activation = "tanh",
        state: ArrayLike | None = None,
        dtype: DTypeLike = np.float64,
    ) -> ESN:
        """A network from given weights: recurrent (N, N), feedback (N, O), input (N, I),
        readout (O, N), bias (N,) or None, state (N,) (zeros if None), all converted to
        `dtype` (float64 or float32)."""
        net = cls.__new__(cls)
        net._assign(recurrent, feedback, input, readout, bias, tau, dt, activation, state, dtype)
        return net

    def _assign(
        self,
        recurrent: ArrayLike,
        feedback: ArrayLike,
        input: ArrayLike,
        readout: ArrayLike,
        bias: ArrayLike | None,
        tau: float | ArrayLike,
        dt: float,
        activation: str,
        state: ArrayLike | None,
        dtype: DTypeLike,
    ) -> None:
        self._dtype = as_dtype(dtype)
        self._recurrent = as_array("recurrent", recurrent, (None, None), dtype=self._dtype)
        n = self._recurrent.shape[0]
        if self._recurrent.shape != (n, n) or n == 0:
            raise ValueError(
                f"recurrent must be square (N, N), N >= 1, got {self._recurrent.shape}"
            )
        self._feedback = as_array("feedback", feedback, (n, None), dtype=self._dtype)
        n_out = self._feedback.shape[1]
        if n_out == 0:
            raise ValueError("feedback must have at least one output column, got (N, 0)")
        self._input = as_array("input", input, (n, None), dtype=self._dtype)
        self._readout = as_array("readout", readout, (n_out, n), dtype=self._dtype)
        self.bias = None if bias is None else as_array("bias", bias, (n,), dtype=self._dtype)
        self.dt = as_float("dt", dt, positive=True)
        self.tau = _as_tau(tau, n)
        self.activation = as_choice("activation", activation, ACTIVATIONS)
        self._state = as_array(
            "state", np.zeros(n) if state is None else state, (n,), dtype=self._dtype
        )

    # -- sizes and derived quantities ----------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        """The precision of weights, state, simulation and training: float64 or float32."""
        return self._dtype

    @property
    def size(self) -> int:
        """Number of units N."""
        return int(self._recurrent.shape[0])

    @property
    def n_inputs(self) -> int:
        """Number of input channels I."""
        return int(self._input.shape[1])

    @property
    def n_outputs(self) -> int:
        """Number of outputs O."""
        return int(self._feedback.shape[1])

    @property
    def leak(self) -> NDArray[np.float64]:
        """dt/τ per unit, shape (N,)."""
        leak: NDArray[np.float64] = np.broadcast_to(self.dt / np.asarray(self.tau), (self.size,))
        return leak.copy()

    def closed_loop_matrix(self) -> NDArray[np.float64]:
        """W_c = W_r + W_fb W_o (N, N), float64: the recurrence seen with the readout fed back."""
        return _f64(self._recurrent) + _f64(self._feedback) @ _f64(self._readout)

    def offset(self, inputs: ArrayLike | None = None) -> NDArray[np.float64]:
        """B u + b (N,) at a constant input u (I,); u = 0 if None."""
        u = (
            np.zeros(self.n_inputs)
            if inputs is None
            else as_array("inputs", inputs, (self.n_inputs,))
        )
        return _f64(self._input) @ u + (0.0 if self.bias is None else _f64(self.bias))

    def core_system(self, inputs: ArrayLike | None = None) -> _core.ClosedLoopSystem:
        """The C++ closed-loop system F(x) = -x + W_c φ(x) + B u + b at a constant input u,
        in float64 whatever the network's dtype."""
        return _core.ClosedLoopSystem(
            self.closed_loop_matrix(),
            self.offset(inputs),
            self.activation,
            _f64(self._feedback),
            _f64(self._readout),
        )

    def velocity(self, states: ArrayLike, inputs: ArrayLike | None = None) -> NDArray[np.float64]:
        """F(x) = τ dx/dt with the readout fed back, at a constant input u (zeros if None).

        states: (N,) or (K, N); returns the same shape.
        """
        x = np.asarray(states)
        rows = as_array("states", x.reshape(-1, x.shape[-1]) if x.ndim else x, (None, self.size))
        result = self.core_system(inputs).velocity(rows)
        return result.reshape(x.shape)

    def jacobian(self, state: ArrayLike, inputs: ArrayLike | None = None) -> NDArray[np.float64]:
        """J(x) = -I + W_c diag(φ'(x)), (N, N), at one state (N,); it does not depend on u."""
        return self.core_system(inputs).jacobian(as_array("state", state, (self.size,)))

    def output_of(self, states: ArrayLike) -> NDArray[np.float64]:
        """The readout z = W_o φ(x) of states (K, N) → (K, O) (or (N,) → (O,))."""
        phi = activation_functions(self.activation)[0]
        outputs: NDArray[np.float64] = phi(np.asarray(states, dtype=float)) @ self._readout.T
        return outputs

    def copy(self, dtype: DTypeLike | None = None) -> ESN:
        """An independent copy (arrays copied), converted to `dtype` if given."""
        return ESN.from_weights(
            self._recurrent.copy(),
            self._feedback.copy(),
            self._input.copy(),
            self._readout.copy(),
            None if self.bias is None else self.bias.copy(),
            np.copy(self.tau) if np.ndim(self.tau) else self.tau,
            self.dt,
            self.activation,
            self._state.copy(),
            self._dtype if dtype is None else dtype,
        )

    def __eq__(self, other: object) -> bool:
        """Same settings, dtype, weights and state, bit for bit."""
        if not isinstance(other, ESN):
            return NotImplemented
        mine, theirs = _contents(self), _contents(other)
        return mine.keys() == theirs.keys() and all(
            np.array_equal(mine[key], theirs[key]) for key in mine
        )

    # mutable: weights and state change in place (object's __hash__ is a method: hence the ignore)
    __hash__ = None  # type: ignore[assignment]

    def core_network(self) -> _core.Network | _core.NetworkF32:
        """The C++ core's view of the weights fixed during a run (recurrent, feedback, input,
        bias), with the leak and activation, in the network's dtype; it holds the arrays
        without copying them. Build it once per run: a weight assigned later is not seen."""
        network = _core.Network if self._dtype == np.float64 else _core.NetworkF32
        return network(
            recurrent=self._recurrent,
            feedback=self._feedback,
            input=self._input,
            bias=np.zeros(0, self._dtype) if self.bias is None else self.bias,
            leak=self.leak.astype(self._dtype),
            activation=self.activation,
        )

    # -- simulation ----------------------------------------------------------------------------
    def run(
        self,
        inputs: Inputs,
        targets: ArrayLike | None = None,
        teacher_forcing: bool = False,
        progress: bool = False,
        n_jobs: int = 1,
    ) -> RunResult:
        """Simulate T steps from `self.state`, which advances to the last state.

        - inputs: (T, I) array; an int T for a network without inputs; or a task's
          `(inputs, targets)` pair.
        - targets: (T, O) or None. Needed for `teacher_forcing`, where step t feeds back
          f_{t-1} (0 at t = 0) instead of the network's output.
        - n_jobs: threads for each step (up to 4; worth it from N ≈ 1000); results do not
          depend on it.

        Returns states (T, N), outputs (T, O) and the targets.
        """
        inputs, targets = split_sample(inputs, targets)
        u, f = self.check_sequence(inputs, targets)
        n_jobs = as_int("n_jobs", n_jobs, minimum=1)
        if teacher_forcing and f is None:
            raise ValueError("teacher_forcing=True needs targets of shape (T, O)")
        steps = u.shape[0]
        states = np.empty((steps, self.size), self._dtype)
        outputs = np.empty((steps, self.n_outputs), self._dtype)
        state = self._state.copy()
        network = self.core_network()
        empty_targets = np.zeros((0, self.n_outputs), self._dtype)
        for start, stop in chunks(steps, size=self.size, progress=progress, desc="run"):
            bad = _core.simulate(
                network,
                readout=self.readout,
                state=state,
                inputs=u[start:stop],
                targets=empty_targets if f is None else f[start:stop],
                teacher_forcing=bool(teacher_forcing),
                previous_target=previous_target(f, start, self.n_outputs, self._dtype),
                states=states[start:stop],
                outputs=outputs[start:stop],
                n_jobs=n_jobs,
                previous_output=outputs[start - 1] if start else outputs[:0, 0],
            )
            if bad >= 0:  # the core checks every step
                raise DivergenceError(
                    f"the simulation diverged at step {start + bad} (a non-finite state or "
                    "output); the network's state is unchanged"
                )
        self._state = state
        return RunResult(states, outputs, f)

    def check_sequence(
        self, inputs: Inputs, targets: ArrayLike | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Validate (T, I) inputs (or an int T when I = 0) and optional (T, O) targets; both
        come back in the network's dtype."""
        if isinstance(inputs, int | np.integer) and not isinstance(inputs, bool):
            if self.n_inputs != 0:
                raise ValueError(
                    f"inputs: an int (step count) needs a network without inputs; this one "
                    f"has {self.n_inputs}: pass an array of shape (T, {self.n_inputs})"
                )
            u = np.zeros((as_int("inputs", inputs, minimum=1), 0), self._dtype)
        else:
            u = as_array("inputs", inputs, (None, self.n_inputs), dtype=self._dtype)
        if u.shape[0] == 0:
            raise ValueError("inputs must have at least one step (T >= 1)")
        f = (
            None
            if targets is None
            else as_array("targets", targets, (u.shape[0], self.n_outputs), dtype=self._dtype)
        )
        return u, f

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save weights, state and settings to `path` (.npz, no pickle); returns the path."""
        arrays = {
            "recurrent": self._recurrent,
            "feedback": self._feedback,
            "input": self._input,
            "readout": self._readout,
            "state": self._state,
            "tau": np.asarray(self.tau),
        }
        if self.bias is not None:
            arrays["bias"] = self.bias
        meta = {"dt": self.dt, "activation": self.activation, "dtype": self._dtype.name}
        return save_archive(path, "ESN", arrays, meta)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ESN:
        """Load a network written by `save`."""
        arrays, meta = load_archive(path, "ESN")
        try:
            tau = arrays["tau"]
            return cls.from_weights(
                arrays["recurrent"],
                arrays["feedback"],
                arrays["input"],
                arrays["readout"],
                arrays.get("bias"),
                tau if tau.ndim else float(tau),
                meta["dt"],
                meta["activation"],
                arrays["state"],
                meta.get("dtype", "float64"),
            )
        except KeyError as exc:
            raise ValueError(f"{path}: the ESN archive lacks {exc}") from None

    def __repr__(self) -> str:
        return (
            f"ESN(n={self.size}, inputs={self.n_inputs}, outputs={self.n_outputs}, "
            f"activation={self.activation!r}, dt={self.dt}, bias={self.bias is not None}"
            + ("" if self._dtype == np.float64 else f", dtype={self._dtype.name}")
            + ")"
        )


def previous_target(
    targets: np.ndarray | None, start: int, n_outputs: int, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """The teacher signal fed back at step `start`: f_{start-1}, or 0 at the first step."""
    if targets is None or start == 0:
        return np.zeros(n_outputs, dtype)
    target: np.ndarray = targets[start - 1]
    return target


def _f64(array: np.ndarray) -> NDArray[np.float64]:
    return np.asarray(array, dtype=np.float64)


def _bias_scale(bias: bool | float) -> float:
    if isinstance(bias, bool):
        return 1.0 if bias else 0.0
    return as_float("bias", bias, positive=True)


def _as_tau(tau: float | ArrayLike, n: int) -> float | np.ndarray:
    if np.ndim(tau) == 0:
        return as_float("tau", tau, positive=True)
    values = as_array("tau", tau, (n,))
    if np.any(values <= 0):
        raise ValueError("tau must be > 0 for every unit")
    return values


def _contents(net: ESN) -> dict[str, Any]:
    """Everything that defines a network's behaviour and state, for comparison."""
    return {
        "recurrent": net.recurrent,
        "feedback": net.feedback,
        "input": net.input,
        "readout": net.readout,
        "state": net.state,
        "bias": net.bias,
        "tau": np.asarray(net.tau),
        "dt": net.dt,
        "activation": net.activation,
        "dtype": net.dtype.name,
    }
