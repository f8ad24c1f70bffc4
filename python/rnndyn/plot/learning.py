"""How FORCE training went: outputs against targets, error and readout size (the paper's
figure 5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_array, as_int
from ..networks.esn import RunResult
from ..networks.training import TrainingHistory
from ._common import figure_for

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def training(
    history: TrainingHistory,
    test: RunResult | None = None,
    train_targets: ArrayLike | None = None,
    fig: Figure | None = None,
    window: int = 2000,
) -> Figure:
    """A 2×2 figure: (a) outputs (and `train_targets` (T, O), if given) over the last `window`
    training steps, (b) outputs and targets of the `test` run over its last `window` steps,
    (c) the running MSE during training (log scale), (d) the mean absolute entry of W_o at the
    snapshots.
    Channels are offset vertically so that each stays readable. Draws into `fig` (an empty
    figure) or a new one; returns the figure.
    """
    if not isinstance(history, TrainingHistory):
        raise TypeError(f"history must be a TrainingHistory, got {type(history).__name__}")
    if test is not None and not isinstance(test, RunResult):
        raise TypeError(f"test must be a RunResult or None, got {type(test).__name__}")
    window = as_int("window", window, minimum=1)
    steps = history.outputs.shape[0]
    if train_targets is not None:
        train_targets = as_array("train_targets", train_targets, history.outputs.shape)

    fig = figure_for(fig, figsize=(11, 7))
    (outputs_ax, test_ax), (mse_ax, readout_ax) = fig.subplots(2, 2)
    _channels(outputs_ax, history.outputs, train_targets, window, "training step")
    outputs_ax.set_title("(a) training: output and target")
    if test is None:
        test_ax.text(
            0.5, 0.5, "no test run given", ha="center", va="center", transform=test_ax.transAxes
        )
        test_ax.set_axis_off()
    else:
        _channels(test_ax, test.outputs, test.targets, window, "test step")
    test_ax.set_title("(b) test: output and target")

    mse_ax.semilogy(np.arange(steps), history.running_mse, lw=0.8, color="tab:blue")
    mse_ax.set(
        title="(c) running MSE during training",
        xlabel="training step",
        ylabel=f"MSE (trailing {history.mse_window} steps)",
    )
    readout_ax.plot(history.snapshot_steps, history.mean_abs_readout, marker=".", color="tab:blue")
    readout_ax.set(
        title="(d) readout weights during training", xlabel="training step", ylabel="mean |W_o|"
    )
    return fig


def _channels(
    ax: Axes, outputs: np.ndarray, targets: np.ndarray | None, window: int, xlabel: str
) -> None:
    """Outputs (T, O) over targets (T, O), the last `window` steps, channel k shifted down
    by k spacings so that no two channels overlap."""
    start = max(outputs.shape[0] - window, 0)
    steps = np.arange(start, outputs.shape[0])
    shown = [outputs[start:]] + ([] if targets is None else [targets[start:]])
    spacing = 1.25 * max(max((np.ptp(s) for s in shown if s.size), default=0.0), 1e-12)
    offsets = -spacing * np.arange(outputs.shape[1])
    if targets is not None:
        target_lines = ax.plot(steps, targets[start:] + offsets, color="tab:green", lw=2, alpha=0.6)
        target_lines[0].set_label("target")  # one legend entry for all channels
    output_lines = ax.plot(steps, outputs[start:] + offsets, color="tab:red", lw=0.8)
    output_lines[0].set_label("output")
    ax.set_yticks(offsets, [f"z{k + 1}" for k in range(outputs.shape[1])])
    # headroom above the first channel for the legend
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.4 * spacing)
    ax.set(xlabel=xlabel, ylabel="channel (offset)")
    ax.legend(fontsize="small", loc="upper right", ncols=2)
