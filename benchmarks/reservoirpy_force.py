"""reservoirpy's RLS readout with output feedback (optional: only if reservoirpy imports).

reservoirpy (0.4) integrates leaky rates, s ← (1 - lr) s + lr tanh(W s + W_in [u; z]), and
updates its RLS readout at every training step (it has no `train_every`); with lr = dt/τ and
the Table 1 weights its step has the same cost as rnndyn's: one N×N product, and with training
one N×N product with P and a rank-one update of P.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import rnndyn as rd


def version() -> str | None:
    """reservoirpy's version, or None if it is not installed."""
    if importlib.util.find_spec("reservoirpy") is None:
        return None
    import reservoirpy

    return reservoirpy.__version__


def feedback_model(net: rd.ESN):
    """A reservoirpy model with `net`'s weights: Reservoir >> RLS, the RLS fed back."""
    from reservoirpy.nodes import RLS, Reservoir

    reservoir = Reservoir(
        W=net.recurrent,
        Win=np.hstack([net.input, net.feedback]),
        lr=net.dt / float(np.mean(net.tau)),
        bias=np.zeros(net.size),
    )
    readout = RLS(alpha=1.0, fit_bias=False)
    return reservoir << (reservoir >> readout)
