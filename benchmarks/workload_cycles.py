"""Workload 5: the limit cycle of Sussillo & Abbott's FORCE generator (issue 20): a network of
N units trained on their sum of sines (g = 1.5, p = 0.1, dt/τ = 0.1), then `find_cycles` from
the last state of a test run, on 2 threads; and the period checked by an independent SciPy
run (solve_ivp, tight tolerances, the plane across the flow)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rnndyn as rd
from markdown import table
from settings import Settings
from timing import Timing, measure, seconds

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from free_runs import poincare_period  # noqa: E402

THREADS = 2
HEADERS = ["period (time units)", "stability", "leading multipliers (moduli)", "residual"]


@dataclass(frozen=True)
class CyclesResult:
    """The network's size, the cycles found, their independent period and the timing."""

    n: int
    cycles: rd.Cycles
    independent_period: float
    timing: Timing

    def markdown(self) -> str:
        """The section of RESULTS.md."""
        rows = []
        for i in range(len(self.cycles)):
            moduli = np.abs(np.delete(self.cycles.multipliers[i], self.cycles.trivial[i]))
            rows.append(
                [
                    f"{self.cycles.period[i]:.6f}",
                    "stable" if self.cycles.is_stable[i] else "unstable",
                    ", ".join(f"{m:.3g}" for m in moduli[:4]),
                    f"{self.cycles.residual[i]:.1e}",
                ]
            )
        lines = [
            f"`rd.find_cycles(net, test.states[-1:], n_jobs={THREADS})` on Sussillo & Abbott's "
            f"generator, N = {self.n} (trained by FORCE, seed 0); BLAS on one thread.",
            "",
            table(HEADERS, rows) if rows else "No cycle found.",
            "",
            f"- Time: median {seconds(self.timing.median)} ({self.timing.spread()}).",
            f"- The period from an independent solve_ivp run (DOP853, rtol = atol = 1e-12): "
            f"{self.independent_period:.6f} time units.",
        ]
        return "\n".join(lines)


def generator(settings: Settings) -> tuple[rd.ESN, np.ndarray]:
    """The trained generator and the last state of a test run after training."""
    task = rd.tasks.SumOfSines()
    net = rd.ESN(settings.cycles_n, 0, 1, g=1.5, p=0.1, tau=1.0, dt=0.1, seed=0)
    rd.train_force(net, task.sample(settings.cycles_train_steps), train_every=2, n_jobs=THREADS)
    test = net.run(task.sample(2_400, start=settings.cycles_train_steps))
    return net, test.states[-1]


def rate_of(net: rd.ESN) -> Callable[[float, np.ndarray], np.ndarray]:
    """dx/dt = -x + W_c tanh(x) (τ = 1, no input), from the weights, for solve_ivp."""
    weights = net.closed_loop_matrix()

    def rate(_: float, x: np.ndarray) -> np.ndarray:
        return -x + weights @ np.tanh(x)

    return rate


def run(settings: Settings, log: Callable[[str], None]) -> CyclesResult:
    """Train, then time find_cycles `settings.cycles_repeats` times."""
    net, state = generator(settings)
    log(f"cycles: find_cycles on the trained generator, N = {settings.cycles_n}")
    timing, cycles = measure(
        lambda: rd.find_cycles(net, state[None], n_jobs=THREADS), settings.cycles_repeats
    )
    independent = (
        poincare_period(rate_of(net), cycles.first_states[0], float(cycles.period[0]))
        if len(cycles)
        else float("nan")
    )
    return CyclesResult(settings.cycles_n, cycles, independent, timing)
