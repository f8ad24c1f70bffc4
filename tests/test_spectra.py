"""The spectra of W_r and of the closed loop W_c during training, and their plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import rnndyn as rd  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402


@pytest.fixture(scope="module")
def trained() -> tuple[rd.ESN, rd.TrainingHistory]:
    net = rd.ESN(120, 2, 2, seed=0)
    history = rd.train_force(net, rd.tasks.FlipFlop(2, seed=0).sample(1500), snapshot_every=500)
    return net, history


def test_spectra_are_those_of_W_r_and_each_closed_loop(trained):
    net, history = trained
    recurrent, closed, steps = rd.readout_spectra(net, history)
    np.testing.assert_array_equal(steps, [0, 500, 1000, 1500])
    assert closed.shape == (4, 120)
    # before training W_o = 0: W_c = W_r
    np.testing.assert_allclose(np.sort_complex(closed[0]), np.sort_complex(recurrent), atol=1e-12)
    for values, readout in zip(closed, history.readouts, strict=True):
        W_c = net.recurrent + net.feedback @ readout
        for value in values:  # each is an eigenvalue: W_c - λI is singular
            assert np.linalg.svd(W_c - value * np.eye(120), compute_uv=False)[-1] < 1e-8
    # the eigenvalues move by the trace of the rank-2 update in sum, and the training moved them
    for values, readout in zip(closed, history.readouts, strict=True):
        shift = np.trace(net.feedback @ readout)
        assert np.sum(values) - np.sum(recurrent) == pytest.approx(shift, abs=1e-9)
    assert np.max(np.abs(np.sort_complex(closed[-1]) - np.sort_complex(recurrent))) > 0.1
    # without a history: the network's own readout, which training left as the last snapshot
    _, now, now_steps = rd.readout_spectra(net)
    np.testing.assert_allclose(np.sort_complex(now[0]), np.sort_complex(closed[-1]), atol=1e-10)
    np.testing.assert_array_equal(now_steps, [0])
    _, some, some_steps = rd.readout_spectra(net, history, snapshots=[0, -1])
    np.testing.assert_array_equal(some_steps, [0, 1500])


def test_spectra_bad_input(trained):
    net, history = trained
    with pytest.raises(TypeError, match="net must be an ESN"):
        rd.readout_spectra("net")
    with pytest.raises(ValueError, match="snapshots must index the history's 4 snapshots"):
        rd.readout_spectra(net, history, snapshots=[7])
    with pytest.raises(ValueError, match="history's readouts have shape"):
        rd.readout_spectra(rd.ESN(10, 1, 1), history)


def test_plot_draws_each_spectrum(trained):
    net, history = trained
    recurrent, closed, steps = rd.readout_spectra(net, history, snapshots=[0, -1])
    ax = rd.plot.readout_spectra(recurrent, closed, steps)
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in dots] == [120, 120, 120]
    np.testing.assert_allclose(dots[2].get_offsets()[:, 0], closed[1].real)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["W_r", "W_c, step 0", "W_c, step 1500"]
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [1.0]
    with pytest.raises(ValueError, match="closed must have shape"):
        rd.plot.readout_spectra(recurrent, closed[:, :5], steps)
    plt.close("all")


def test_spectral_radius_by_krylov_beyond_the_dense_limit():
    # N = 2100 takes the ARPACK path: a diagonal with a ±3i rotation block, radius 3
    n = 2100
    matrix = np.diag(np.linspace(-1.0, 2.5, n))
    matrix[:2, :2] = [[0.0, -3.0], [3.0, 0.0]]
    assert rd.spectral_radius(matrix) == pytest.approx(3.0, rel=1e-10)
