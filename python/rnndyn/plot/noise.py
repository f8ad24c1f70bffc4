"""Robustness to noise in the weights: test error, and on a flip-flop the share of bits
held, against noise level (the paper's figure 9)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_array
from ._common import axes_for

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_SYMBOLS = {"recurrent": "W_r", "feedback": "W_fb", "readout": "W_o"}


class NoiseResult(Protocol):
    """What `robustness` plots, e.g. a RobustnessResult: noise levels `eta` (L,), test errors
    `mse` (L, trials) and whether η is `relative`; `matrix` and `baseline_mse` are read if
    present."""

    @property
    def eta(self) -> ArrayLike: ...
    @property
    def mse(self) -> ArrayLike: ...
    @property
    def relative(self) -> bool: ...


class _Curve(NamedTuple):
    eta: np.ndarray  # (L,)
    mse: np.ndarray  # (L, trials), NaN made inf
    relative: bool
    matrix: str
    baseline: float | None  # the error without noise


def robustness(results: Mapping[str, NoiseResult], ax: Axes | None = None) -> Axes:
    """Test MSE against noise level η on log-log axes: for each network the median over
    trials, with a band from the 25th to the 75th percentile. Returns the axes.

    - results: name → an object with `eta` (L,), `mse` (L, trials) and `relative` (bool: η
      in units of the spread of the perturbed matrix), e.g. from `rd.noise_robustness`; all
      must agree on `relative`. Used if present: `matrix` ("recurrent" if absent) names
      the matrix in the labels; `baseline_mse`, the error without noise, is drawn as a
      dotted line, as is the median at η = 0 (which a log axis cannot show) otherwise.
      Non-finite MSEs (diverged trials) count as the largest.
    """
    curves = _checked(results)
    ax = axes_for(ax)
    for name, curve in curves.items():
        _draw(ax, name, curve.eta, curve.mse, curve.baseline)
    dotted = any(curve.baseline is not None for curve in curves.values())
    _finish(ax, curves.values(), "log", "test MSE", dotted)
    ax.set_title(f"test error with Gaussian noise in {_symbol(curves.values())}")
    return ax


def bits_held(results: Mapping[str, NoiseResult], ax: Axes | None = None) -> Axes:
    """Share of the bits held against noise level η (log x axis): for each network the median
    over trials, with a band from the 25th to the 75th percentile. Returns the axes.

    - results: name → a result as `robustness` takes, which also has `bits_held` (L, trials),
      shares in [0, 1] (e.g. from `rd.noise_robustness` on a FlipFlop); its
      `baseline_bits_held`, if present, is drawn as a dotted line, as is the median at η = 0
      otherwise.
    """
    curves = _checked(results)
    ax = axes_for(ax)
    dotted = False
    for name, curve in curves.items():
        held = _held(name, results[name], curve.eta.size)
        baseline = getattr(results[name], "baseline_bits_held", None)
        if baseline is None and np.any(curve.eta == 0):
            baseline = np.median(held[curve.eta == 0])
        _draw(ax, name, curve.eta, held, None if baseline is None else float(baseline))
        dotted = dotted or baseline is not None
    _finish(ax, curves.values(), "linear", "share of bits held", dotted)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"bits held with Gaussian noise in {_symbol(curves.values())}")
    return ax


def _checked(results: Mapping[str, NoiseResult]) -> dict[str, _Curve]:
    """Each result's curve, checked; all must agree on `relative`."""
    if not isinstance(results, Mapping) or not results:
        raise ValueError("results must be a non-empty mapping of name -> noise result")
    curves = {str(name): _curve(str(name), result) for name, result in results.items()}
    if len({curve.relative for curve in curves.values()}) > 1:
        raise ValueError("results mix relative and absolute noise levels: plot them apart")
    return curves


def _draw(ax: Axes, name: str, eta: np.ndarray, values: np.ndarray, baseline: float | None) -> None:
    """One network's median over trials of `values` (L, trials) against the noisy levels of
    `eta` (L,), its 25-75th percentile band, and its noise-free value dotted."""
    # diverged trials are inf: interpolating percentiles would make inf - inf = NaN
    median = np.median(values, axis=1)
    low, high = np.percentile(values, [25, 75], axis=1, method="nearest")
    noisy = eta > 0  # a log axis cannot show η = 0
    line = ax.plot(eta[noisy], median[noisy], marker="o", ms=3, label=name)[0]
    ax.fill_between(eta[noisy], low[noisy], high[noisy], color=line.get_color(), alpha=0.2, lw=0)
    if baseline is not None:
        ax.axhline(baseline, color=line.get_color(), ls=":", lw=1)


def _finish(ax: Axes, curves: Iterable[_Curve], yscale: str, ylabel: str, dotted: bool) -> None:
    """Scales, labels and the legend (`dotted`: with an entry for the noise-free lines)."""
    curves = list(curves)
    if dotted:
        ax.plot([], [], color="0.4", ls=":", lw=1, label="no noise")  # a legend entry only
    ax.set_xscale("log")
    ax.set_yscale(yscale)
    relative = curves[0].relative  # `_checked`: all curves agree
    ax.set(xlabel=f"η (relative to std of {_symbol(curves)})" if relative else "η", ylabel=ylabel)
    ax.legend(fontsize="small")


def _symbol(curves: Iterable[_Curve]) -> str:
    """The perturbed matrix's symbol if all curves share one, else "the weights"."""
    matrices = {curve.matrix for curve in curves}
    if len(matrices) != 1:
        return "the weights"
    matrix = matrices.pop()
    return _SYMBOLS.get(matrix, matrix)


def _held(name: str, result: NoiseResult, levels: int) -> np.ndarray:
    """result.bits_held (levels, trials), checked."""
    held = getattr(result, "bits_held", None)
    if held is None:
        raise ValueError(f"results[{name!r}] has no bits_held (measured on a FlipFlop only)")
    held = as_array(f"results[{name!r}].bits_held", held, (levels, None))
    if held.shape[1] == 0 or np.any((held < 0) | (held > 1)):
        raise ValueError(f"results[{name!r}].bits_held must hold shares in [0, 1] per trial")
    return held


def _curve(name: str, result: NoiseResult) -> _Curve:
    """One result, checked."""
    try:
        eta, mse, relative = result.eta, result.mse, result.relative
    except AttributeError:
        raise TypeError(
            f"results[{name!r}] must have eta, mse and relative attributes, got "
            f"{type(result).__name__}"
        ) from None
    eta = as_array(f"results[{name!r}].eta", eta, (None,))
    if eta.size == 0 or np.any(eta < 0):
        raise ValueError(f"results[{name!r}].eta must be non-empty and >= 0")
    mse = np.asarray(mse, dtype=float)  # not as_array: diverged trials may be inf or NaN
    if mse.ndim != 2 or mse.shape[0] != eta.size or mse.shape[1] == 0:
        raise ValueError(
            f"results[{name!r}].mse must have shape ({eta.size}, trials), got {mse.shape}"
        )
    mse = np.where(np.isnan(mse), np.inf, mse)
    baseline = getattr(result, "baseline_mse", None)
    if baseline is None and np.any(eta == 0):
        baseline = np.median(mse[eta == 0])
    return _Curve(
        eta,
        mse,
        bool(relative),
        str(getattr(result, "matrix", "recurrent")),
        None if baseline is None else float(baseline),
    )
