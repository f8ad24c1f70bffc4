"""Workload 3: how the cost grows with N. Time per FORCE step (float64) and per fixed-point
search for several sizes, with the memory of W_r + P against the caches, and a log-log plot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rnndyn as rd
from markdown import table
from rnndyn import _core
from settings import Settings
from timing import Timing, measure, seconds
from workload_force import thread_counts

MIB = 1 << 20


@dataclass(frozen=True)
class SizeRun:
    """One size: FORCE time per step by thread count, and the fixed-point search."""

    n: int
    steps: int
    step: dict[int, Timing]
    search: Timing | None  # None above settings.scaling_search_max_n
    starts: int
    ended: tuple[int, int, int]  # starting states that ended fixed, slow, unconverged
    iterations: int  # Newton iterations of the block: the most any start took

    @property
    def per_iteration(self) -> float:
        """Seconds per batched Newton iteration: the search's cost with convergence factored
        out."""
        assert self.search is not None
        return self.search.median / max(self.iterations, 1)

    @property
    def matrix_bytes(self) -> int:
        """W_r + P in float64: 16 N² bytes."""
        return 16 * self.n**2


@dataclass
class ScalingResult:
    """Every size's run and the cache sizes they are compared with."""

    runs: list[SizeRun]
    l2_bytes: int
    l3_bytes: int
    train_steps: int
    max_iter: int

    @staticmethod
    def exponent(sizes: list[int], values: list[float]) -> float:
        """The least-squares slope of log(values) against log(N)."""
        return float(np.polyfit(np.log(sizes), np.log(values), 1)[0])

    def step_exponent(self, n_jobs: int, runs: list[SizeRun] | None = None) -> float:
        """How FORCE's time per step grows with N over `runs` (all by default; 2 for N²)."""
        runs = self.runs if runs is None else runs
        return self.exponent([r.n for r in runs], [r.step[n_jobs].median for r in runs])

    def levels(self) -> list[tuple[str, list[SizeRun]]]:
        """The sizes whose W_r + P fit in the L3 and those beyond it, each with two sizes or
        more: within one level of memory a memory-bound step should grow as N²."""
        inside = [r for r in self.runs if r.matrix_bytes <= self.l3_bytes]
        beyond = [r for r in self.runs if r.matrix_bytes > self.l3_bytes]
        named = [("within the L3", inside), ("beyond the L3", beyond)]
        return [(name, runs) for name, runs in named if len(runs) >= 2]

    def searched(self) -> list[SizeRun]:
        """The sizes with a fixed-point search."""
        return [r for r in self.runs if r.search is not None]

    def search_exponent(self) -> float:
        """How the fixed-point search's time per Newton iteration grows with N."""
        runs = self.searched()
        return self.exponent([r.n for r in runs], [r.per_iteration for r in runs])

    def where(self, run: SizeRun) -> str:
        """Which level of the cache W_r + P fit in (one core's L2, the shared L3, or neither)."""
        size = run.matrix_bytes
        if size <= self.l2_bytes:
            return "fit in L2"
        if size <= self.l3_bytes:
            return "exceed L2, fit in L3"
        return "**exceed L3**"

    def markdown(self, plot: Path) -> str:
        """The section of RESULTS.md."""
        threads = sorted(self.runs[0].step)
        rows, previous = [], None
        for run in self.runs:
            times = [seconds(run.step[j].median) for j in threads]
            growth = (
                ""
                if previous is None
                else (
                    f"×{run.step[1].median / previous.step[1].median:.1f} "
                    f"(N² predicts ×{(run.n / previous.n) ** 2:.1f})"
                )
            )
            search = (
                ["not run (minutes at this size)", "", "", "", ""]
                if run.search is None
                else [
                    seconds(run.search.median),
                    seconds(run.search.median / run.starts),
                    run.iterations,
                    seconds(run.per_iteration),
                    "/".join(str(c) for c in run.ended),
                ]
            )
            rows.append(
                [
                    run.n,
                    f"{run.matrix_bytes / MIB:.1f}",
                    self.where(run),
                    run.steps,
                    *times,
                    growth,
                    *search,
                ]
            )
            previous = run
        header = [
            "N",
            "W_r + P, MiB",
            "cache",
            "steps timed",
            *[f"FORCE step, {j} thread(s)" for j in threads],
            "1-thread growth",
            f"search, {self.runs[0].starts} starts",
            "per start",
            "block iterations",
            "per iteration",
            "fixed/slow/unconverged",
        ]
        exponents = ", ".join(f"{j} thread(s): N^{self.step_exponent(j):.2f}" for j in threads)
        by_level = "; ".join(
            f"{name} (N = {runs[0].n}–{runs[-1].n}): "
            + ", ".join(f"{j} thread(s) N^{self.step_exponent(j, runs):.2f}" for j in threads)
            for name, runs in self.levels()
        )
        return "\n".join(
            [
                f"Float64, train every 2 steps, untrained 3-bit flip-flop networks (seed 0); each "
                f"FORCE time is the median time per step of repeated runs. The fixed-point search: "
                f"each network FORCE-trained for {self.train_steps:,} steps (a brief training, not "
                f"a converged one), {self.runs[0].starts} starts from `rd.flipflop_starts(net, "
                f"{self.runs[0].starts}, seed=0, hold=100)`, minimised by the core's default "
                f'method ("newton", as `find_fixed_points` runs it) capped at {self.max_iter} '
                f"iterations, timed once per size: minimisation only, without merging or "
                f"linearisation (workload 2 has those). The core minimises starts in blocks of 32 "
                f"with batched products, one block per thread, so {self.runs[0].starts} starts are "
                f"one block on one thread; per iteration = search time / the block's iterations "
                f"(the most any start took). Caches: L2 {self.l2_bytes // 1024} KiB per core, L3 "
                f"{self.l3_bytes // MIB} MiB shared. Stored in full, W_r + P (16N² bytes) outgrow "
                f"one core's L2 from N ≈ {np.sqrt(self.l2_bytes / 16):.0f} and the L3 from N ≈ "
                f"{np.sqrt(self.l3_bytes / 16):.0f}; W_r alone (8N²) from N ≈ "
                f"{np.sqrt(self.l2_bytes / 8):.0f} and {np.sqrt(self.l3_bytes / 8):.0f}.",
                "",
                table(header, rows),
                "",
                f"- Fitted growth of the FORCE step over all sizes: {exponents} (N² is 2); "
                f"within one level of memory: {by_level}.",
                f"- Fitted growth of the fixed-point search per batched Newton iteration: "
                f"N^{self.search_exponent():.2f} (a Newton iteration's GMRES length varies, so "
                "this is rougher).",
                "",
                f"![scaling]({plot.name})",
            ]
        )

    def plot(self, path: Path) -> None:
        """Log-log time against N with an N² line and the cache limits, into `path`."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        sizes = np.array([run.n for run in self.runs], dtype=float)
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
        for n_jobs in sorted(self.runs[0].step):
            left.plot(
                sizes,
                [run.step[n_jobs].median for run in self.runs],
                "o-",
                label=f"FORCE step, {n_jobs} thread(s)",
            )
        searched = self.searched()
        searched_sizes = np.array([run.n for run in searched], dtype=float)
        right.plot(
            searched_sizes,
            [run.search.median / run.starts for run in searched if run.search is not None],
            "s-",
            color="C2",
            label=f"search, per start ({self.runs[0].starts} in a block)",
        )
        right.plot(
            searched_sizes,
            [run.per_iteration for run in searched],
            "^-",
            color="C3",
            label="search, per batched Newton iteration",
        )
        for ax, anchor, xs in (
            (left, self.runs[0].step[1].median, sizes),
            (right, searched[0].per_iteration, searched_sizes),
        ):
            ax.plot(xs, anchor * (xs / xs[0]) ** 2, "k--", lw=1, label="∝ N²")
            for limit, name in ((self.l2_bytes, "L2"), (self.l3_bytes, "L3")):
                edge = np.sqrt(limit / 16)
                if sizes[0] <= edge <= sizes[-1]:
                    ax.axvline(edge, color="grey", lw=0.8, ls=":")
                    ax.text(
                        edge,
                        0.97,
                        f" W_r+P > {name}",
                        transform=ax.get_xaxis_transform(),
                        va="top",
                        fontsize=8,
                        color="grey",
                    )
            ax.set(xscale="log", yscale="log", xlabel="N (units)", ylabel="seconds")
            ax.set_xticks(xs, [str(int(n)) for n in xs])
            ax.minorticks_off()
            ax.legend(fontsize=8, loc="lower right")
        left.set_title("FORCE step (float64, train every 2)")
        right.set_title("fixed-point search (briefly trained network)")
        fig.savefig(path, dpi=120)
        plt.close(fig)


def run_size(settings: Settings, n: int) -> SizeRun:
    """Time FORCE steps and a fixed-point search at size n."""
    s = settings
    steps = s.scaling_steps(n)
    task = rd.tasks.FlipFlop(3, seed=0)
    net = rd.ESN(n, 3, 3, seed=0)
    inputs, targets = task.sample(max(steps, s.scaling_train_steps))
    step = {}
    for n_jobs in thread_counts():
        options = {"n_jobs": n_jobs}  # explicit: the default is every core
        timing, _ = measure(
            lambda net, options=options: rd.train_force(
                net, inputs[:steps], targets[:steps], **options
            ),
            s.scaling_repeats,
            setup=net.copy,
            warm_up=lambda options=options: rd.train_force(
                net.copy(), inputs[:20], targets[:20], **options
            ),
        )
        step[n_jobs] = timing.scaled(1.0 / steps)
    if n > s.scaling_search_max_n:
        return SizeRun(n, steps, step, None, 0, (0, 0, 0), 0)
    options = {"n_jobs": max(thread_counts())}
    rd.train_force(
        net, inputs[: s.scaling_train_steps], targets[: s.scaling_train_steps], **options
    )
    starts, _ = rd.flipflop_starts(net, s.scaling_starts, seed=0, hold=100)
    system = net.core_system()
    options = _core.MinimizeOptions()
    options.max_iter = s.scaling_max_iter
    search, (_, q, _, iterations, reasons) = measure(
        lambda: system.minimize(starts, "newton", options, 1), s.scaling_fixed_point_repeats
    )
    fixed = q <= options.tol_q
    slow = ~fixed & np.isin(reasons, (1, 2))  # stopped at the gradient or step tolerance
    ended = (int(fixed.sum()), int(slow.sum()), int((~fixed & ~slow).sum()))
    return SizeRun(n, steps, step, search, len(starts), ended, int(iterations.max()))


def run(
    settings: Settings, l2_bytes: int, l3_bytes: int, log: Callable[[str], None] = print
) -> ScalingResult:
    """Every size of `settings.scaling_sizes`."""
    runs = []
    for n in settings.scaling_sizes:
        log(f"  scaling: N = {n}")
        runs.append(run_size(settings, n))
    return ScalingResult(
        runs, l2_bytes, l3_bytes, settings.scaling_train_steps, settings.scaling_max_iter
    )
