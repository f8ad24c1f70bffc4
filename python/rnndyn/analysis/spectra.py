"""The eigenvalues of W_r and of the closed loop W_c = W_r + W_fb W_o as FORCE changes the
readout: how the rank-O update moves the spectrum."""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from ..networks.esn import ESN
from ..networks.training import TrainingHistory, check_history


def readout_spectra(
    net: ESN, history: TrainingHistory | None = None, snapshots: ArrayLike | None = None
) -> tuple[NDArray[np.complex128], NDArray[np.complex128], NDArray[np.integer]]:
    """Eigenvalues of W_r (N,) and of W_c = W_r + W_fb W_o (K, N) for each readout W_o that
    `history` recorded (or the network's own, K = 1, without a history), with the training
    steps of those snapshots (K,). FORCE changes W_c by a rank-O term: this shows which
    eigenvalues it moves (`rnndyn.plot.readout_spectra`). `snapshots`: indices into the
    history's snapshots (default all). Each spectrum is a full LAPACK eigendecomposition
    (≈ 0.6 s at N = 1000)."""
    if not isinstance(net, ESN):
        raise TypeError(f"net must be an ESN, got {type(net).__name__}")
    if history is None:
        readouts, steps = net.readout[None], np.zeros(1, dtype=int)
    else:
        check_history(net, history)
        index = np.arange(len(history.snapshot_steps))
        if snapshots is not None:
            chosen = np.asarray(snapshots)
            if chosen.dtype.kind not in "iu" or np.any(
                (chosen < -len(index)) | (chosen >= len(index))
            ):
                raise ValueError(
                    f"snapshots must index the history's {len(index)} snapshots, got {snapshots!r}"
                )
            index = index[chosen]
        readouts, steps = history.readouts[index], history.snapshot_steps[index]
    recurrent = np.asarray(net.recurrent, dtype=float)
    feedback = np.asarray(net.feedback, dtype=float)
    closed = np.array(
        [
            scipy.linalg.eigvals(recurrent + feedback @ w, check_finite=False)
            for w in np.asarray(readouts, dtype=float)
        ]
    )
    return scipy.linalg.eigvals(recurrent, check_finite=False), closed, np.asarray(steps)
