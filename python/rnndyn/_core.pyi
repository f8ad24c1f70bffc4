"""The interface of rnndyn's compiled core, written by hand.

`rnndyn._core` re-exports one of two builds of the same C++ sources, `_core_portable` and
`_core_avx2` (see _core.py); both have exactly this API (tests/test_typing.py holds the stub to
them). Array arguments come in two sorts:

- `ArrayLike`: converted by pybind11 (copied if need be) to a C-contiguous array of the
  overload's dtype; lists and other dtypes are accepted;
- `NDArray[...]`: passed without conversion, to be written in place or read without a copy,
  so they must already be arrays of exactly that dtype in C order (`Q` of
  `tangent_log_growth`: Fortran order); anything else raises TypeError.

Shapes are in the comments: N units, O outputs, I inputs, T steps, K states.
"""

from collections.abc import Sequence
from typing import Final, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

# the build that was loaded
instruction_set: Final[Literal["portable", "avx2"]]

def cpu_has_avx2_fma() -> bool: ...

# whether the AVX2 build's batched products take its AVX-512 kernels (the same numbers bit for
# bit): on only where asked and the CPU has AVX-512F; returns whether they now do
def set_avx512_kernels(on: bool) -> bool: ...

# -- simulation and FORCE (bind_network.cpp) ----------------------------------------------------
# An ESN's fixed weights are bound once per run, as a Network (float64) or a NetworkF32
# (float32); it holds the arrays (without a copy when they have its dtype and C order) and
# checks their shapes. simulate and train_force take it and keyword arguments; the in-place
# arrays must have its dtype. Each returns -1, or the step (within this call) where the run
# diverged and stopped.

class _BoundNetwork(metaclass=_pybind11_type):
    # what Network and NetworkF32 share (a stub-only base: they are two classes at runtime)
    def __init__(
        self,
        recurrent: ArrayLike,  # (N, N)
        feedback: ArrayLike,  # (N, O)
        input: ArrayLike,  # (N, I)
        bias: ArrayLike,  # (N,) or (0,) for none
        leak: ArrayLike,  # (N,) dt / tau
        activation: str,
    ) -> None: ...
    @property
    def size(self) -> int: ...
    @property
    def n_inputs(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...
    @property
    def compact(self) -> bool: ...  # the steps read W_r as floats (always False in float32)

class Network(_BoundNetwork):
    """An ESN's fixed weights, bound once for simulate and train_force (float64)."""

class NetworkF32(_BoundNetwork):
    """An ESN's fixed weights, bound once for simulate and train_force (float32)."""

@overload
def simulate(
    network: Network,
    *,
    readout: NDArray[np.float64],  # (O, N)
    state: NDArray[np.float64],  # (N,), advanced in place
    inputs: NDArray[np.float64],  # (T, I)
    targets: NDArray[np.float64],  # (T, O), or (0, O) without teacher forcing
    teacher_forcing: bool,
    previous_target: NDArray[np.float64],  # (O,) the target before this call's first step
    states: NDArray[np.float64],  # (T, N), written
    outputs: NDArray[np.float64],  # (T, O), written
    n_jobs: int = 1,
    previous_output: NDArray[np.float64] = ...,  # (O,) the last call's last output, or (0,)
) -> int: ...
@overload
def simulate(
    network: NetworkF32,
    *,
    readout: NDArray[np.float32],
    state: NDArray[np.float32],
    inputs: NDArray[np.float32],
    targets: NDArray[np.float32],
    teacher_forcing: bool,
    previous_target: NDArray[np.float32],
    states: NDArray[np.float32],
    outputs: NDArray[np.float32],
    n_jobs: int = 1,
    previous_output: NDArray[np.float32] = ...,
) -> int: ...
@overload
def train_force(
    network: Network,
    *,
    readout: NDArray[np.float64],  # (O, N), trained in place
    state: NDArray[np.float64],
    inputs: NDArray[np.float64],
    targets: NDArray[np.float64],
    teacher_forcing: bool,
    previous_target: NDArray[np.float64],
    inverse_correlation: NDArray[np.float64],  # (N, N) P: its lower triangle updated in place
    train_every: int,
    step_offset: int,  # the first step's index in the whole run (for train_every)
    states: NDArray[np.float64],  # (T, N), or (0, N) not to record them
    outputs: NDArray[np.float64],
    errors: NDArray[np.float64],  # (T, O) z - f before each update, written
    n_jobs: int = 1,
    previous_output: NDArray[np.float64] = ...,
) -> int: ...
@overload
def train_force(
    network: NetworkF32,
    *,
    readout: NDArray[np.float32],
    state: NDArray[np.float32],
    inputs: NDArray[np.float32],
    targets: NDArray[np.float32],
    teacher_forcing: bool,
    previous_target: NDArray[np.float32],
    inverse_correlation: NDArray[np.float32],
    train_every: int,
    step_offset: int,
    states: NDArray[np.float32],
    outputs: NDArray[np.float32],
    errors: NDArray[np.float32],
    n_jobs: int = 1,
    previous_output: NDArray[np.float32] = ...,
) -> int: ...
@overload
def free_run(
    network: Network,
    *,
    readout: NDArray[np.float64],  # (O, N)
    drive: NDArray[np.float64],  # (N,) B u + b at the constant input
    states: NDArray[np.float64],  # (K, N), advanced in place
    previous: NDArray[np.float64],  # (K, N), written: the states before the last step
    velocity: NDArray[np.float64],  # (K, N), written: F there
    steps: int,
    n_jobs: int = 1,
) -> None: ...
@overload
def free_run(
    network: NetworkF32,
    *,
    readout: NDArray[np.float32],
    drive: NDArray[np.float32],
    states: NDArray[np.float32],
    previous: NDArray[np.float32],
    velocity: NDArray[np.float32],
    steps: int,
    n_jobs: int = 1,
) -> None: ...

# -- settings, methods and stop reasons (bind_options.cpp, from options.hpp) --------------------

# Every bound class has pybind11's metaclass (pybind11_builtins.pybind11_type, which cannot be
# imported); it is what makes `discrete_time` a read-only attribute of the class.
class _pybind11_type(type): ...

class MinimizeOptions(metaclass=_pybind11_type):
    """Settings of the q-minimisers (defaults in options.hpp)."""

    tol_q: float
    tol_grad: float
    tol_step: float
    max_iter: int
    max_inner: int
    exact_hessian: bool
    initial_radius: float
    learning_rate: float
    max_krylov: int
    newton_iter: int
    cluster_q: float
    cluster_radius: float
    def __init__(self) -> None: ...

# pybind11 enums: members compare equal to members only; int(member) is the code.

class Method(metaclass=_pybind11_type):
    """The minimisation methods (their public names: method_names())."""

    newton: Final[Method]
    trust_ncg: Final[Method]
    lm: Final[Method]
    cg: Final[Method]
    adam: Final[Method]
    __members__: Final[dict[str, Method]]  # by name, in the order of the codes
    def __init__(self, value: int) -> None: ...
    def __int__(self, /) -> int: ...
    def __index__(self, /) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class StopReason(metaclass=_pybind11_type):
    """Why the minimisation of a state ended; minimize's codes are its values."""

    q_tolerance: Final[StopReason]  # 0: q <= tol_q, a fixed point
    gradient_tolerance: Final[StopReason]  # 1: |grad q| <= tol_grad, a local minimum of q
    step_tolerance: Final[StopReason]  # 2: no step of relative size >= tol_step lowers q
    iteration_limit: Final[StopReason]  # 3: max_iter reached
    non_finite: Final[StopReason]  # 4: q or grad q became NaN or inf
    __members__: Final[dict[str, StopReason]]  # by name, in the order of the codes
    def __init__(self, value: int) -> None: ...
    def __int__(self, /) -> int: ...
    def __index__(self, /) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

def method_names() -> list[str]: ...  # "newton", "trust-ncg", "lm", "cg", "adam": Method's order
def default_max_iter(method: str) -> int: ...  # ValueError for an unknown name
def stop_reason_names() -> list[str]: ...  # indexed by the codes (StopReason's values)

# -- fixed points (bind_fixedpoints.cpp) --------------------------------------------------------

# The systems share their methods (bind_system_methods); each product takes K states and K
# vectors as rows and returns (K, N). `minimize` returns (points (K, N), q (K,), |grad q| (K,),
# iterations (K,), stop reasons (K,) as codes: the values of StopReason). `method` is one of
# method_names().

class _BoundSystem(metaclass=_pybind11_type):
    # what every system shares (a stub-only base: they are separate classes at runtime)
    @property
    def size(self) -> int: ...
    def velocity(self, states: ArrayLike) -> NDArray[np.float64]: ...
    def gradient(self, states: ArrayLike) -> NDArray[np.float64]: ...
    def jacobian_product(self, states: ArrayLike, vectors: ArrayLike) -> NDArray[np.float64]: ...
    def jacobian_transpose_product(
        self, states: ArrayLike, vectors: ArrayLike
    ) -> NDArray[np.float64]: ...
    def hessian_product(
        self, states: ArrayLike, vectors: ArrayLike, exact: bool = True
    ) -> NDArray[np.float64]: ...
    def jacobian(self, state: ArrayLike) -> NDArray[np.float64]: ...
    def hessian(self, state: ArrayLike, exact: bool = True) -> NDArray[np.float64]: ...
    def minimize(
        self, starts: ArrayLike, method: str, options: MinimizeOptions, n_jobs: int = 1
    ) -> tuple[
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.int32],
        NDArray[np.int32],
    ]: ...
    def precondition(self, states: ArrayLike, vectors: ArrayLike) -> NDArray[np.float64]: ...
    def least_stable(
        self,
        states: ArrayLike,
        k: int,
        transpose: bool = False,
        growth: str = "real",
        scale: ArrayLike | None = None,
        shift: float = 0.0,
        tol: float = 1e-10,
        ncv: int = 60,
        max_restarts: int = 300,
        n_jobs: int = 1,
        counts: ArrayLike | None = None,
        widen_to: int = 0,
        widen_above: float = 0.0,
    ) -> tuple[
        NDArray[np.complex128], NDArray[np.complex128], NDArray[np.bool_], NDArray[np.int64]
    ]: ...

class ClosedLoopSystem(_BoundSystem):
    """F(x) = -x + W_c phi(x) + c: an ESN's closed loop at a constant input."""

    discrete_time: Final = False
    def __init__(
        self,
        weights: ArrayLike,  # W_c (N, N)
        offset: ArrayLike,  # c (N,)
        activation: str,
        feedback: ArrayLike,  # W_fb (N, O), or (N, 0)
        readout: ArrayLike,  # W_o (O, N), or (0, N)
        recurrent: ArrayLike = ...,  # W_r = W_c - W_fb W_o (N, N), or (0, 0)
    ) -> None: ...
    @property
    def sparse(self) -> bool: ...
    @property
    def compact(self) -> bool: ...

class DiscreteSystem(_BoundSystem):
    """G(h) = phi(W h + c) - h: a discrete-time RNN's fixed-point residual."""

    discrete_time: Final = True
    def __init__(
        self,
        weights: ArrayLike,  # W (N, N)
        offset: ArrayLike,  # c (N,)
        activation: str,
    ) -> None: ...

class _GatedSystem(_BoundSystem):
    # what GRUSystem, LSTMSystem and the RNN systems share (a stub-only base)
    discrete_time: Final = True
    def __init__(
        self,
        input_weights: Sequence[ArrayLike],  # per layer weight_ih (GH, I_l)
        recurrent_weights: Sequence[ArrayLike],  # per layer weight_hh (GH, H)
        input_biases: Sequence[ArrayLike],  # per layer bias_ih (GH,)
        recurrent_biases: Sequence[ArrayLike],  # per layer bias_hh (GH,)
        inputs: ArrayLike,  # the constant input u (I,)
    ) -> None: ...

class GRUSystem(_GatedSystem):
    """G(s) = f(s, u) - s for a stack of GRU layers (s: their h, stacked)."""

class LSTMSystem(_GatedSystem):
    """G(s) = f(s, u) - s for a stack of LSTM layers (s: each layer's (h, c), stacked)."""

class RNNTanhSystem(_GatedSystem):
    """G(s) = f(s, u) - s for a stack of tanh RNN layers (s: their h, stacked)."""

class RNNReluSystem(_GatedSystem):
    """G(s) = f(s, u) - s for a stack of ReLU RNN layers (s: their h, stacked)."""

# -- Lyapunov exponents (bind_lyapunov.cpp) -----------------------------------------------------

def tangent_log_growth(
    matrix: ArrayLike,  # W_c (ESN) or W (RNN), (N, N)
    leak: ArrayLike,  # (N,) dt / tau for the ESN's Euler map, (0,) for the RNN
    activation: str,
    rates: ArrayLike,  # (T, N)
    Q: NDArray[np.float64],  # (N, k) Fortran order, advanced and re-orthonormalised in place
) -> NDArray[np.float64]: ...  # (k,) sums of log|R_ii|
