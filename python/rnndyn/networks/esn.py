"""The Echo State Network with output feedback and its simulation (docs/mathematics.md, The
network)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .. import _core
from .._io import load_archive, save_archive
from .._progress import chunks
from .._validation import as_array, as_choice, as_dtype, as_float, as_int, as_jobs, as_rng
from ..errors import DivergenceError
from .activations import RATE_ACTIVATIONS, Activation, activation_functions
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


# The sizes a weight's shape is written in, what each counts, and the least it may be.
Size = Literal["N", "I", "O"]
SIZES: dict[Size, tuple[str, int]] = {"N": ("units", 1), "I": ("inputs", 0), "O": ("outputs", 1)}


@dataclass(frozen=True, eq=False)
class WeightSpec:
    """One weight array of an ESN, described once; the ESN's class attributes of this type
    (`WEIGHTS`, in their order) drive validation, copy, save and load, equality, `grow` and
    the core's calls. Each is also the attribute itself: it reads the array and, on
    assignment, checks the new value (the network's dtype, its shape, finite) as the
    constructor does.

    - shape: in the sizes N (units), I (inputs), O (outputs); the first weight with a size
      sets it, and later weights must agree.
    - fixed: fixed during a run, and bound once into the core's Network for it; the readout
      (trained) and the state (advanced) are passed to each call instead.
    - grown: how `grow` fills new columns or rows of a grown size: "uniform" in [-1, 1] (as
      the constructor draws them, in the order of WEIGHTS) or "zeros"; None if the shape has
      no size that grows.
    - zeros_if_none: `ESN.from_weights` takes None for zeros (the state).
    - optional (an OptionalWeight): None stands for no such term (the bias); archives then
      omit it.
    """

    shape: tuple[Size, ...]
    fixed: bool = True
    grown: Literal["uniform", "zeros"] | None = None
    zeros_if_none: bool = False
    name: str = field(default="", init=False)
    optional: ClassVar[bool] = False

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "name", name)

    def checked(self, value: object, sizes: dict[Size, int], dtype: np.dtype) -> np.ndarray:
        """`value` as this weight's array of `dtype`; the sizes it is the first to have are
        added to `sizes`, the others must match."""
        array = as_array(self.name, value, [sizes.get(size) for size in self.shape], dtype=dtype)
        for size, length in zip(self.shape, array.shape, strict=True):
            if size not in sizes:
                what, least = SIZES[size]
                if length < least:
                    raise ValueError(
                        f"{self.name} must have {size} >= {least} ({what}), got {array.shape}"
                    )
                sizes[size] = length
            elif sizes[size] != length:  # a size twice in a shape no earlier weight had set
                shape = ", ".join(self.shape)
                raise ValueError(f"{self.name} must be square ({shape}), got {array.shape}")
        return array

    def core_value(self, net: ESN) -> np.ndarray:
        """The array handed to the core: the weight, or an empty one for an absent term."""
        value = net._weights[self.name]
        return np.zeros((0,) * len(self.shape), net.dtype) if value is None else value


class Weight(WeightSpec):
    """A weight an ESN always has."""

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Weight: ...
    @overload
    def __get__(self, obj: ESN, objtype: type | None = None) -> np.ndarray: ...
    def __get__(self, obj: ESN | None, objtype: type | None = None) -> Weight | np.ndarray:
        if obj is None:
            return self
        value = obj._weights[self.name]
        assert value is not None
        return value

    def __set__(self, obj: ESN, value: ArrayLike) -> None:
        obj._weights[self.name] = self.checked(value, obj._sizes, obj.dtype)


class OptionalWeight(WeightSpec):
    """A weight whose term may be absent (None)."""

    optional: ClassVar[bool] = True

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> OptionalWeight: ...
    @overload
    def __get__(self, obj: ESN, objtype: type | None = None) -> np.ndarray | None: ...
    def __get__(
        self, obj: ESN | None, objtype: type | None = None
    ) -> OptionalWeight | np.ndarray | None:
        return self if obj is None else obj._weights[self.name]

    def __set__(self, obj: ESN, value: ArrayLike | None) -> None:
        checked = None if value is None else self.checked(value, obj._sizes, obj.dtype)
        obj._weights[self.name] = checked


class ESN:
    """A continuous-time rate network with output feedback, integrated by forward Euler.

        τ dx/dt = -x + W_r φ(x) + W_fb z + B u + b,   z = W_o φ(x)

    Parameters:

    n, inputs, outputs:
        Numbers of units N, input channels I (0 for autonomous generators) and outputs O.
    g:
        Gain: W_r has entries N(0, g²/(pN)), each kept with probability `p`, rounded to the
        nearest float32 (unless `spectral_radius` rescales them): the values of a float64
        network are those of a float32 one, and its steps read them at half the bytes.
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

    # The weights, described once (WeightSpec, WEIGHTS): a new weight is one more line here
    # and a parameter of from_weights, plus its term in the equations (and the core's). In
    # this order the sizes N, O, I are set, and grow draws.
    recurrent = Weight(("N", "N"))  # W_r
    feedback = Weight(("N", "O"), grown="uniform")  # W_fb
    input = Weight(("N", "I"), grown="uniform")  # B
    readout = Weight(("O", "N"), fixed=False, grown="zeros")  # W_o, trained by FORCE
    bias = OptionalWeight(("N",))  # b, or None
    state = Weight(("N",), fixed=False, zeros_if_none=True)  # x, advanced by runs

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
        if spectral_radius is None:
            # float32 resolution: the core then streams W_r in 4 bytes an entry, the arithmetic
            # still float64 (docs/mathematics.md, The network)
            recurrent = recurrent.astype(np.float32).astype(np.float64)
        else:
            radius = _spectral_radius(recurrent)
            if radius == 0:
                raise ValueError("spectral_radius: the drawn W_r is zero; raise p or n")
            recurrent *= spectral_radius / radius
        feedback = rng.uniform(-1.0, 1.0, size=(n, outputs))
        input_weights = rng.uniform(-1.0, 1.0, size=(n, inputs))
        bias_vector = rng.uniform(-bias_scale, bias_scale, size=n) if bias_scale else None
        state = 0.5 * rng.standard_normal(n)
        weights = {
            "recurrent": recurrent,
            "feedback": feedback,
            "input": input_weights,
            "readout": np.zeros((outputs, n)),
            "bias": bias_vector,
            "state": state,
        }
        self._assign(weights, tau, dt, activation, dtype)

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
        weights = {
            "recurrent": recurrent,
            "feedback": feedback,
            "input": input,
            "readout": readout,
            "bias": bias,
            "state": state,
        }
        return cls._from(weights, tau, dt, activation, dtype)

    @classmethod
    def _from(
        cls,
        weights: dict[str, Any],
        tau: float | ArrayLike,
        dt: float,
        activation: str,
        dtype: DTypeLike,
    ) -> ESN:
        """A network from a value for each weight of WEIGHTS, by name, and the settings."""
        net = cls.__new__(cls)
        net._assign(weights, tau, dt, activation, dtype)
        return net

    def _assign(
        self,
        weights: dict[str, Any],
        tau: float | ArrayLike,
        dt: float,
        activation: str,
        dtype: DTypeLike,
    ) -> None:
        self._dtype = as_dtype(dtype)
        self._sizes: dict[Size, int] = {}
        self._weights: dict[str, np.ndarray | None] = {}
        for weight in WEIGHTS:
            value = weights[weight.name]
            if value is None and weight.zeros_if_none:
                value = np.zeros([self._sizes[size] for size in weight.shape])
            if value is None and weight.optional:
                self._weights[weight.name] = None
            else:
                self._weights[weight.name] = weight.checked(value, self._sizes, self._dtype)
        self.dt = as_float("dt", dt, positive=True)
        self.tau = _as_tau(tau, self.size)
        self.activation = as_choice("activation", activation, RATE_ACTIVATIONS)

    def _settings(self) -> dict[str, Any]:
        """Everything but the weights: τ (a copy, if one per unit), dt, activation, dtype."""
        tau = np.copy(self.tau) if np.ndim(self.tau) else self.tau
        return {"tau": tau, "dt": self.dt, "activation": self.activation, "dtype": self._dtype}

    # -- sizes and derived quantities ----------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        """The precision of weights, state, simulation and training: float64 or float32."""
        return self._dtype

    @property
    def size(self) -> int:
        """Number of units N."""
        return self._sizes["N"]

    @property
    def n_inputs(self) -> int:
        """Number of input channels I."""
        return self._sizes["I"]

    @property
    def n_outputs(self) -> int:
        """Number of outputs O."""
        return self._sizes["O"]

    @property
    def leak(self) -> NDArray[np.float64]:
        """dt/τ per unit, shape (N,)."""
        leak: NDArray[np.float64] = np.broadcast_to(self.dt / np.asarray(self.tau), (self.size,))
        return leak.copy()

    def closed_loop_matrix(self) -> NDArray[np.float64]:
        """W_c = W_r + W_fb W_o (N, N), float64: the recurrence seen with the readout fed back."""
        return _f64(self.recurrent) + _f64(self.feedback) @ _f64(self.readout)

    def offset(self, inputs: ArrayLike | None = None) -> NDArray[np.float64]:
        """B u + b (N,) at a constant input u (I,); u = 0 if None."""
        u = (
            np.zeros(self.n_inputs)
            if inputs is None
            else as_array("inputs", inputs, (self.n_inputs,))
        )
        return _f64(self.input) @ u + (0.0 if self.bias is None else _f64(self.bias))

    def core_system(self, inputs: ArrayLike | None = None) -> _core.ClosedLoopSystem:
        """The C++ closed-loop system F(x) = -x + W_c φ(x) + B u + b at a constant input u,
        in float64 whatever the network's dtype. Given W_r as well, it takes W_c's products
        through W_r's nonzeros where W_r is sparse (at most 15 % nonzero)."""
        return _core.ClosedLoopSystem(
            self.closed_loop_matrix(),
            self.offset(inputs),
            self.activation,
            _f64(self.feedback),
            _f64(self.readout),
            _f64(self.recurrent),
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
        outputs: NDArray[np.float64] = phi(np.asarray(states, dtype=float)) @ self.readout.T
        return outputs

    def copy(self, dtype: DTypeLike | None = None) -> ESN:
        """An independent copy (arrays copied), converted to `dtype` if given."""
        weights = {
            name: None if value is None else value.copy() for name, value in self._weights.items()
        }
        settings = self._settings()
        if dtype is not None:
            settings["dtype"] = dtype
        return ESN._from(weights, **settings)

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

    def core_network(self, float64: bool = False) -> _core.Network | _core.NetworkF32:
        """The C++ core's view of the weights fixed during a run (those of WEIGHTS marked
        `fixed`), with the leak and activation, in the network's dtype (float64 with
        `float64`: a float32 network's weights widened, as free runs take them); it holds the
        arrays of its dtype without copying them. Build it once per run: a weight assigned
        later is not seen."""
        dtype = np.float64 if float64 else self._dtype
        network = _core.Network if dtype == np.float64 else _core.NetworkF32
        fixed = {
            weight.name: weight.core_value(self).astype(dtype, copy=False)
            for weight in WEIGHTS
            if weight.fixed
        }
        return network(**fixed, leak=self.leak.astype(dtype), activation=self.activation)

    # -- simulation ----------------------------------------------------------------------------
    def run(
        self,
        inputs: Inputs,
        targets: ArrayLike | None = None,
        teacher_forcing: bool = False,
        progress: bool = False,
        n_jobs: int | None = None,
    ) -> RunResult:
        """Simulate T steps from `self.state`, which advances to the last state.

        - inputs: (T, I) array; an int T for a network without inputs; or a task's
          `(inputs, targets)` pair.
        - targets: (T, O) or None. Needed for `teacher_forcing`, where step t feeds back
          f_{t-1} (0 at t = 0) instead of the network's output.
        - n_jobs: threads for each step (up to 4; worth it from N ≈ 1000; None: the cores
          this process may use from N = 500; RNNDYN_NUM_THREADS overrides); results do not
          depend on it.

        Returns states (T, N), outputs (T, O) and the targets.
        """
        inputs, targets = split_sample(inputs, targets)
        u, f = self.check_sequence(inputs, targets)
        n_jobs = as_jobs("n_jobs", n_jobs, self.size)
        if teacher_forcing and f is None:
            raise ValueError("teacher_forcing=True needs targets of shape (T, O)")
        steps = u.shape[0]
        states = np.empty((steps, self.size), self._dtype)
        outputs = np.empty((steps, self.n_outputs), self._dtype)
        state = self.state.copy()
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
        self.state = state
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
        arrays = {name: value for name, value in self._weights.items() if value is not None}
        arrays["tau"] = np.asarray(self.tau)
        meta = {"dt": self.dt, "activation": self.activation, "dtype": self._dtype.name}
        return save_archive(path, "ESN", arrays, meta)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ESN:
        """Load a network written by `save`."""
        arrays, meta = load_archive(path, "ESN")
        try:
            weights = {
                weight.name: arrays.get(weight.name) if weight.optional else arrays[weight.name]
                for weight in WEIGHTS
            }
            tau = arrays["tau"]
            return cls._from(
                weights,
                tau if tau.ndim else float(tau),
                meta["dt"],
                meta["activation"],
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
    settings = net._settings()
    return {
        **{weight.name: getattr(net, weight.name) for weight in WEIGHTS},
        "tau": np.asarray(settings["tau"]),
        "dt": settings["dt"],
        "activation": settings["activation"],
        "dtype": settings["dtype"].name,
    }


# The weights of an ESN, in the order of its class attributes: the one description (see
# WeightSpec).
WEIGHTS: tuple[WeightSpec, ...] = tuple(
    value for value in vars(ESN).values() if isinstance(value, WeightSpec)
)
