"""Lyapunov exponents of a simulated network: how fast nearby trajectories separate.

Along a trajectory, k tangent vectors follow the Jacobian M_t of the step map actually
simulated and are re-orthonormalised by QR after every step (Benettin et al. 1980); the
average log-growth of the diagonal of R gives the k leading exponents. For an ESN the map is the
forward-Euler step x ↦ x + (dt/τ) ⊙ F(x, u) with the readout fed back, so M_t = I +
diag(dt/τ)(-I + W_c diag(φ'(x_t))); the exponents are per step divided by dt (units of
1/time) and tend to those of the ODE τ dx/dt = F as dt → 0. At a stable fixed point they are
log|μ_i| / dt for the eigenvalues μ_i of I + diag(dt/τ) J, close to Re(λ_i)/τ for the
eigenvalues λ_i of J when dt/τ is small. For an RNN h' = φ(W h + B u + b), M_t = diag(φ'(a_t)) W
and the exponents are per step; for a GRU or an LSTM, M_t = I + J_G(s_t, u_t) from the core's
Jacobian products (docs/mathematics.md, Gated networks), per step too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _core
from .._progress import chunks
from .._validation import as_array, as_int, as_rng
from ..networks.activations import activation_functions
from ..networks.esn import ESN
from ..networks.gated import GatedNetwork
from ..networks.rnn import RNN


def lyapunov_exponents(
    system: ESN | RNN | GatedNetwork,
    inputs: ArrayLike | None = None,
    k: int | None = None,
    steps: int | None = None,
    warmup: int = 0,
    initial_state: ArrayLike | None = None,
    seed: int | np.random.Generator | None = 0,
) -> NDArray[np.float64]:
    """The k leading Lyapunov exponents of the trajectory `system` follows under `inputs`.

    - system: an ESN (simulated closed loop, its outputs fed back, from `net.state`; the
      network is not changed), an RNN, a StackedRNN, a GRU or an LSTM (from the zero state).
    - inputs: (warmup + steps, I) inputs, or None for zero input (then `steps` is required).
    - k: how many exponents (1 <= k <= N; default min(N, 10)).
    - steps: steps averaged over, after `warmup` steps that are simulated (and along which
      the tangent vectors align) but not counted; default: all the inputs after the warmup.
    - initial_state: (N,) to start from instead of the network's state (ESN) or zeros (maps).
    - seed: for the random orthonormal tangent vectors at the start.

    Returns (k,) exponents, largest first, in units of 1/time for an ESN (per step / dt) and
    per step for a map.
    """
    if not isinstance(system, ESN | RNN | GatedNetwork):
        raise TypeError(
            "system must be an ESN, an RNN, a StackedRNN, a GRU or an LSTM, got "
            f"{type(system).__name__}"
        )
    n = system.size
    warmup = as_int("warmup", warmup, minimum=0)
    width = system.n_inputs if isinstance(system, ESN) else system.input_size
    u, steps = _input_sequence(inputs, steps, warmup, width)
    k = min(n, 10) if k is None else as_int("k", k, minimum=1)
    if k > n:
        raise ValueError(f"k must be <= N = {n}, got {k}")
    rng = as_rng(seed)
    Q = np.asfortranarray(np.linalg.qr(rng.standard_normal((n, k)))[0])
    if isinstance(system, GatedNetwork):
        start = np.zeros(n) if initial_state is None else initial_state
        state = as_array("initial_state", start, (n,))
        return _gated_exponents(system, u, state, Q, warmup, steps)

    net: ESN | RNN
    if isinstance(system, ESN):
        net = system.copy(dtype="float64")
        if initial_state is not None:
            net.state = as_array("initial_state", initial_state, (n,))
        matrix, leak, dt = net.closed_loop_matrix(), net.leak, net.dt
    else:
        net = system
        h = np.zeros(n) if initial_state is None else as_array("initial_state", initial_state, (n,))
        matrix, leak, dt = system.recurrent, np.zeros(0), 1.0
    phi = activation_functions(system.activation)[0]
    growth = np.zeros(k)
    for start, stop in chunks(warmup + steps, size=n, every=warmup or None):
        if isinstance(net, ESN):
            before = net.state  # x_t: the rates where each step's nonlinearity acts
            states = net.run(u[start:stop]).states
            rates = phi(np.vstack([before[None], states[:-1]]))
        else:
            rates = net.run(u[start:stop], h)  # h_{t+1} = φ(a_t)
            h = rates[-1]
        logs = _core.tangent_log_growth(matrix, leak, system.activation, rates, Q)
        if start >= warmup:
            growth += logs
    return np.sort(growth / (steps * dt))[::-1]


def _input_sequence(
    inputs: ArrayLike | None, steps: int | None, warmup: int, n_inputs: int
) -> tuple[np.ndarray, int]:
    """The inputs (warmup + steps, I), zeros without `inputs`, and the steps measured after
    the warm-up (all the rest of `inputs` if None)."""
    if inputs is None:
        if steps is None:
            raise ValueError("steps is required without inputs")
        steps = as_int("steps", steps, minimum=1)
        return np.zeros((warmup + steps, n_inputs)), steps
    u = as_array("inputs", inputs, (None, n_inputs))
    steps = u.shape[0] - warmup if steps is None else as_int("steps", steps, minimum=1)
    if steps < 1 or warmup + steps > u.shape[0]:
        raise ValueError(
            f"inputs must hold warmup + steps = {warmup} + {steps} rows, got {u.shape[0]}"
        )
    return u, steps


def _gated_exponents(
    system: GatedNetwork,
    u: NDArray[np.float64],
    state: NDArray[np.float64],
    Q: NDArray[np.float64],
    warmup: int,
    steps: int,
) -> NDArray[np.float64]:
    """The exponents (k,) of a gated network along its run under u from `state`, with tangent
    vectors Q (N, k): each step Q ← (I + J_G) Q, one batched product, then QR."""
    growth = np.zeros(Q.shape[1])
    for t in range(warmup + steps):
        core = system.core_system(u[t])
        states = np.repeat(state[None], Q.shape[1], axis=0)
        Q, R = np.linalg.qr(Q + core.jacobian_product(states, Q.T).T)
        if t >= warmup:
            growth += np.log(np.abs(np.diag(R)))
        state = state + core.velocity(state[None])[0]
    return np.sort(growth / steps)[::-1]
