"""The paper's figures 2 and 5-9 as one study: `Study.run` trains what the chosen figures need
(networks are shared between figures), analyses it, saves one PNG per figure (and figure 7's
animation) and records each figure's measurements and wall time in `results.json`; figures
6-9 are also measured on K seeded networks per condition, which give the `claims` of
results.json (see claims.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike

from .._executor import ExecutorChoice, check_executor, map_jobs
from .._store import as_store
from .._validation import as_int
from ..analysis.evolution import Evolution, fixed_point_evolution
from ..analysis.geometry import memory_geometry
from ..analysis.pca import PCA
from ..analysis.robustness import RobustnessResult, noise_robustness
from ..analysis.transfer import transfer
from ..dynamics import skeletonize
from ..dynamics.graph import Skeleton
from ..fixedpoints.result import FixedPoints
from ..fixedpoints.search import find_fixed_points
from ..fixedpoints.starts import flipflop_starts, states_with_outputs
from ..fixedpoints.systems import FunctionSystem
from ..networks.esn import ESN, RunResult
from ..tasks import FlipFlop
from .claims import claims, over_networks
from .networks import MEASURED, NetworkJob, measure, measure_network
from .recipes import TABLE1, Table1, TrainedFlipFlop, train_flipflop
from .reports import describe_skeleton, json_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure
    from mpl_toolkits.mplot3d import Axes3D

    from ..networks.activations import Activation

_T = TypeVar("_T")
Trained = TrainedFlipFlop

FIGURES = (2, 5, 6, 7, 8, 9)
# the paper's section 6: initial conditions whose readout lies off the memory cube's corners
OUT_OF_BOUNDS = ((0.5, 0.5, 0.5), (2.0, 2.0, 0.0))


@dataclass(frozen=True)
class Scale:
    """How large a study is. The defaults are the paper's sizes (Table 1); train_steps None
    trains each network for `flipflop_train_steps(bits)` (30,000 steps for 3 bits, 60,000
    for 4, the transferred network as long as the 4-bit one from scratch)."""

    name: str = "full"
    n: int = TABLE1.n
    train_steps: int | None = TABLE1.train_steps
    test_steps: int = TABLE1.test_steps
    snapshot_every: int = 100
    states: int = 224  # fixed-point starts sampled from a tour of every pattern ...
    fastest: int = 32  # ... plus the tour's fastest states, near the saddles
    evolution_steps: tuple[int, ...] = (0, 200, 700, 1500, 3000, 6000, 10_000, 30_000)
    evolution_states: int = 96
    evolution_max_iter: int = 100  # Newton converges in ~10 steps where it converges at all
    noise_levels: int = 20  # η from 1e-4 to 1, as in figure 9
    noise_trials: int = 10
    noise_steps: int = 5_000

    @property
    def table(self) -> Table1:
        """Table 1 at this scale's size and lengths."""
        return replace(TABLE1, n=self.n, train_steps=self.train_steps, test_steps=self.test_steps)


FULL = Scale()
QUICK = Scale(
    "quick",
    states=96,
    fastest=32,
    evolution_steps=(0, 200, 700, 3000, 10_000, 30_000),
    evolution_states=48,
    evolution_max_iter=40,
    noise_levels=8,
    noise_trials=3,
    noise_steps=2_000,
)


class Study:
    """The figures of the paper for one seed at one `scale`, written to `out`.

    networks: K, the networks per condition that figures 6-9's claims are judged on: seeds
        `seed` .. `seed` + K - 1 (the figures draw the first); each other seed's network is a
        job (`networks.measure_network`) run where `executor` says (None: here, "processes",
        or a concurrent.futures.Executor such as a Dask client's `get_executor()`).
    n_jobs: threads for the fixed-point searches. progress: progress bars on long steps.
    The sweeps' finished jobs (figure 7's snapshot searches, figure 9's noise levels) are
    kept in `out`/jobs, so a study run again in the same folder (or resumed after Ctrl-C)
    takes them from there; the networks are trained again (the same, bit for bit).
    """

    def __init__(
        self,
        out: str | Path,
        scale: Scale = QUICK,
        seed: int = 0,
        n_jobs: int = 2,
        progress: bool = False,
        log: Callable[[str], None] | None = print,
        networks: int = 3,
        executor: ExecutorChoice = None,
    ) -> None:
        self.out = Path(out)
        self.jobs = self.out / "jobs"  # see noise_robustness's `out`
        self.scale, self.seed, self.n_jobs, self.progress = scale, seed, n_jobs, progress
        self.networks = as_int("networks", networks, minimum=1)
        self.executor = check_executor(executor)
        self.log = log or (lambda message: None)
        self.results: dict[str, Any] = {"scale": scale.name, "seed": seed, "figures": {}}
        self._cache: dict[Hashable, object] = {}

    # -- shared work -----------------------------------------------------------------------
    def _cached(self, key: Hashable, make: Callable[[], _T]) -> _T:
        if key not in self._cache:
            self._cache[key] = make()
        return cast(_T, self._cache[key])  # each key is made by one `make`

    def trained(self, bits: int, activation: Activation = "tanh") -> Trained:
        """A Table 1 network trained from scratch on the `bits`-bit flip-flop."""

        def make() -> Trained:
            return train_flipflop(
                bits,
                self.seed,
                self.scale.table,
                activation,
                snapshot_every=self.scale.snapshot_every,
                progress=self.progress,
                n_jobs=self.n_jobs,
            )

        return self._cached(("scratch", bits, activation), make)

    def transferred(self) -> Trained:
        """The 3-bit network grown to 4 bits and retrained (section 7.1)."""

        def make() -> Trained:
            s = self.scale
            task = FlipFlop(4, seed=self.seed + 1)
            net, history = transfer(
                self.trained(3).net,
                4,
                task=task,
                steps=s.table.training_steps(4),
                seed=self.seed,
                snapshot_every=s.snapshot_every,
                progress=self.progress,
                n_jobs=self.n_jobs,
            )
            test = net.copy().run(task.sample(s.test_steps), n_jobs=self.n_jobs)
            return Trained(net, history, None, test)

        return self._cached("transferred", make)

    def starts(self, net: ESN, count: int | None = None) -> np.ndarray:
        """Fixed-point starts from a tour of every pattern (see `flipflop_starts`)."""
        count = self.scale.states + self.scale.fastest if count is None else count
        return flipflop_starts(net, count, self.scale.fastest, seed=self.seed, tour=self.tour(net))[
            0
        ]

    def tour(self, net: ESN) -> RunResult:
        """The run through every pattern that the starts come from (simulated once per
        network: the networks live in the cache, so their ids stay theirs)."""
        return self._cached(("tour", id(net)), lambda: flipflop_starts(net, 1, 0)[1])

    def fixed_points(
        self, key: str, net: ESN, extra_starts: ArrayLike | None = None
    ) -> FixedPoints:
        """The fixed points of `net` (cached under `key`) from `starts` plus `extra_starts`
        (K, N), if given."""

        def make() -> FixedPoints:
            starts = self._search_starts(net, extra_starts)
            return find_fixed_points(net, starts, n_jobs=self.n_jobs, progress=self.progress)

        return self._cached(("fixed points", key), make)

    def skeleton(self, key: str, net: ESN, extra_starts: ArrayLike | None = None) -> Skeleton:
        """The skeleton of `net` (cached under `key`) from the starts `fixed_points` takes:
        `starts` plus `extra_starts` (K, N), if given."""

        def make() -> Skeleton:
            starts = self._search_starts(net, extra_starts)
            return skeletonize.skeleton(net, starts, n_jobs=self.n_jobs)

        return self._cached(("skeleton", key), make)

    def evolution(self) -> Evolution:
        """Figure 7's fixed points of the 3-bit network over training, at `evolution_steps`."""

        def make() -> Evolution:
            s = self.scale
            run = self.trained(3)
            indices = np.searchsorted(run.history.snapshot_steps, s.evolution_steps)
            indices = np.unique(np.minimum(indices, len(run.history.snapshot_steps) - 1))
            return fixed_point_evolution(
                run.net,
                run.history,
                self.starts(run.net, s.evolution_states),
                snapshots=indices,
                n_jobs=self.n_jobs,
                progress=self.progress,
                max_iter=s.evolution_max_iter,
                out=self.jobs,
            )

        return self._cached("evolution", make)

    def robustness(self) -> dict[str, RobustnessResult]:
        """Figure 9's test errors of the 4-bit networks under Gaussian noise in W_r, by name."""

        def make() -> dict[str, RobustnessResult]:
            s = self.scale
            networks = {  # in the order figure 9 draws them
                "tanh": self.trained(4),
                "logistic": self.trained(4, "logistic"),
                "tanh, transferred from 3 bits": self.transferred(),
            }
            return {
                name: noise_robustness(
                    run.net,
                    FlipFlop(4, seed=self.seed + 2),
                    eta=np.logspace(-4, 0, s.noise_levels),
                    trials=s.noise_trials,
                    steps=s.noise_steps,
                    seed=self.seed,
                    progress=self.progress,
                    out=self.jobs,
                    n_jobs=self.n_jobs,
                )
                for name, run in networks.items()
            }

        return self._cached("robustness", make)

    def _search_starts(self, net: ESN, extra_starts: ArrayLike | None) -> np.ndarray:
        """`starts` of `net`, with `extra_starts` (K, N) below them if given."""
        starts = self.starts(net)
        return starts if extra_starts is None else np.vstack([starts, extra_starts])

    # -- the figures ---------------------------------------------------------------------------
    def figure2(self) -> dict[str, Any]:
        """The speed landscape q of the paper's 2-D example (section 3.1)."""
        from .. import plot

        system = FunctionSystem(
            lambda v: np.array([(1 - v[0] ** 2) * v[1], v[0] / 2 - v[1]]),
            lambda v: np.array([[-2 * v[0] * v[1], 1 - v[0] ** 2], [0.5, -1.0]]),
        )
        starts = np.random.default_rng(self.seed).uniform(-2, 2, size=(60, 2))
        fps = find_fixed_points(system, starts)
        ax = plot.speed_landscape(system, (-2, 2), (-1.5, 1.5), fixed_points=fps)
        ax.set_title("q = ½|F|² of ẋ = (1 − x²) y, ẏ = x/2 − y")
        self._save(ax.figure, "fig2_speed_landscape.png")
        return {"fixed_points": np.round(fps.points, 6).tolist(), "labels": fps.label.tolist()}

    def figure5(self) -> dict[str, Any]:
        """Training and testing of the 3-bit flip-flop."""
        from .. import plot

        run = self.trained(3)
        fig = plot.training(run.history, run.test, train_targets=run.train_targets)
        fig.suptitle(f"3-bit flip-flop, N = {run.net.size}: FORCE training and test")
        self._save(fig, "fig5_training.png")
        return _test_scores(run)

    def figure6(self) -> dict[str, Any]:
        """Phase portrait of the 3-bit network: its skeleton (each 1-saddle's two branches to
        the attractors they join) and out-of-bounds initial conditions."""
        from .. import plot
        from ..plot._common import legend_outside

        net = self.trained(3).net
        tour = self.tour(net)
        far = states_with_outputs(net, OUT_OF_BOUNDS)
        far_runs = [_from_state(net, x, 1500) for x in far]
        # searches also start on the out-of-bounds trajectories
        far_starts = np.vstack([run.states[::150] for run in far_runs])
        sk = self.skeleton("3", net, np.vstack([far, far_starts]))
        described = describe_skeleton(sk, net)
        pca = self._cached("pca 3", lambda: PCA(3).fit(tour.states))
        ax = plot.phase_portrait(
            pca,
            tour.states,
            sk.fixed_points,
            self.starts(net),
            legend=False,
            skeleton=sk,
            system=net,
        )
        for z, run, colour in zip(OUT_OF_BOUNDS, far_runs, ("tab:green", "tab:brown"), strict=True):
            path = pca.transform(run.states)
            ax.plot(*path.T, color=colour, lw=1.2, label=f"from z̄ = {z} (×)")
            cast("Axes3D", ax).scatter(*path[0], color=colour, marker="x", s=40, depthshade=False)
        legend_outside(ax, below=True)
        ax.set_title(_skeleton_title(sk, described["hypercube"]))
        self._save(ax.figure, "fig6_phase_portrait.png")
        ends = [np.round(run.outputs[-1], 3).tolist() for run in far_runs]
        return {
            "fixed_points": sk.fixed_points.summary(),
            "stable": len(sk.fixed_points.stable),
            "skeleton": {"summary": sk.summary(), **described},
            "out_of_bounds_end_outputs": dict(zip(map(str, OUT_OF_BOUNDS), ends, strict=True)),
        }

    def figure7(self) -> dict[str, Any]:
        """Fixed points over training, from one set of initial states, and an animation."""
        from .. import plot

        net = self.trained(3).net
        evolution = self.evolution()
        pca = self._cached("pca 3", lambda: PCA(3).fit(self.tour(net).states))
        fig = plot.evolution(evolution, pca=pca)
        self._save(fig, "fig7_evolution.png")
        plot.animation(evolution, self.out / "fig7_evolution.gif", pca=pca)
        return {
            "steps": evolution.steps.tolist(),
            "fixed": evolution.counts.tolist(),
            "stable": evolution.stable_counts.tolist(),
            "summary": evolution.summary(),
        }

    def figure8(self) -> dict[str, Any]:
        """The 16 memories of a 4-bit network trained from scratch and of one transferred from
        3 bits: their hypercube in the top three principal components, and its measures."""
        from .. import plot
        from ..plot._common import pyplot

        fig = pyplot().figure(figsize=(13, 6), layout="constrained")
        measures = {}
        for i, (name, run) in enumerate(
            [("from scratch", self.trained(4)), ("transferred from 3 bits", self.transferred())]
        ):
            fps = self.fixed_points(name, run.net)
            stable = fps.stable
            ax = fig.add_subplot(1, 2, i + 1, projection="3d")
            try:
                geometry = memory_geometry(stable.points, run.net.output_of(stable.points))
            except ValueError as error:  # fewer memories than corners: say so in the figure
                measures[name] = {"error": str(error), "stable": len(stable)}
                ax.set_title(f"{name}: {len(stable)} stable points")
                continue
            pca = PCA(3).fit(stable.points)
            plot.phase_portrait(
                pca, fixed_points=fps[fps.kind == "fixed"], ax=ax, saddle_segments=False
            )
            corners = pca.transform(stable.points)
            for a, b in geometry.edges:
                ax.plot(*corners[[a, b]].T, color="0.5", lw=0.8)
            ax.set_title(
                f"{name}: {len(stable)} stable points\nedge length per bit "
                f"{np.array2string(geometry.bit_lengths, precision=1)}\n"
                f"longest/shortest {geometry.anisotropy:.2f}, largest |cos| between "
                f"bits {geometry.skew:.2f}",
                fontsize="medium",
            )
            measures[name] = {**geometry.as_dict(), **_test_scores(run)}
        self._save(fig, "fig8_transfer_geometry.png")
        return measures

    def figure9(self) -> dict[str, Any]:
        """Test error and share of bits held of 4-bit networks under Gaussian noise in W_r."""
        from .. import plot
        from ..plot._common import figure_for

        results = self.robustness()
        fig = figure_for(None, (12, 4.5))
        error, bits = fig.subplots(1, 2)
        plot.robustness(results, ax=error)
        plot.bits_held(results, ax=bits)
        fig.suptitle("4-bit flip-flop with Gaussian noise in W_r")
        self._save(fig, "fig9_robustness.png")
        return {name: _noise_scores(r) for name, r in results.items()} | {
            "eta": next(iter(results.values())).eta.tolist()
        }

    # -- running -----------------------------------------------------------------------------
    def run(self, figures: Iterable[int] = FIGURES) -> dict[str, Any]:
        """Make the `figures` (numbers from FIGURES) in order; returns and saves the results."""
        figures = list(figures)
        unknown = sorted(set(figures) - set(FIGURES))
        if unknown:
            raise ValueError(f"figures must be among {FIGURES}, got {unknown}")
        self.out.mkdir(parents=True, exist_ok=True)
        for number in figures:
            self.log(f"figure {number} ...")
            started = time.perf_counter()
            measures = getattr(self, f"figure{number}")()
            seconds = time.perf_counter() - started
            self.results["figures"][str(number)] = {"seconds": round(seconds, 1), **measures}
            self.log(f"figure {number} done in {seconds:.0f} s")
            self._write()
        measured = tuple(number for number in figures if number in MEASURED)
        if measured:
            self._over_networks(measured)
        return self.results

    def _over_networks(self, figures: tuple[int, ...]) -> None:
        """Measure `figures` on the K networks per condition (this study's seed here, sharing
        its networks and searches; the others as jobs) and record each network's numbers, the
        claims and figures 8-9 over networks."""
        self.log(f"figures {', '.join(map(str, figures))} on {self.networks} networks ...")
        started = time.perf_counter()
        jobs = [
            NetworkJob(self.scale, self.seed + k, figures, str(self.out), self.n_jobs)
            for k in range(1, self.networks)
        ]
        others = map_jobs(
            measure_network,
            jobs,
            self.executor,
            progress=self.progress,
            desc="networks",
            unit="network",
            store=as_store("jobs", self.jobs),  # creates the folder (figure 6 alone has none)
        )
        networks = [measure(self, figures), *others]
        seconds = time.perf_counter() - started
        self.results["networks"] = {"count": self.networks, "seconds": round(seconds, 1)}
        self.results["networks"]["measures"] = networks
        for figure, summary in over_networks(networks, self.seed).items():
            self.results["figures"][figure]["over_networks"] = summary
        if "9" in self.results["figures"] and 9 in figures:
            nine = self.results["figures"]["9"]
            fig = robustness_over_networks(nine["eta"], nine["over_networks"], self.networks)
            self._save(fig, "fig9_robustness_over_networks.png")
        self.results["claims"] = claims(networks, self.seed)
        self.log(f"{self.networks} networks done in {seconds:.0f} s")
        self._write()

    def _write(self) -> None:
        (self.out / "results.json").write_text(json_text(self.results))

    def _save(self, fig: Figure | SubFigure, name: str) -> None:
        root = fig.figure  # fig itself (an Axes' figure is typed as possibly a subfigure)
        root.savefig(self.out / name, dpi=120)
        from ..plot._common import pyplot

        pyplot().close(root)


# robustness_over_networks's panels: the curve of `claims.over_networks`, y label, y scale
_OVER_NETWORKS_PANELS = (
    ("median_mse", "test MSE", "log"),
    ("relative_mse", "test MSE / noise-free MSE", "log"),
    ("median_bits_held", "share of bits held", "linear"),
)


def robustness_over_networks(
    eta: ArrayLike, curves: dict[str, dict[str, Any]], networks: int
) -> Figure:
    """Figure 9 over `networks` networks per condition: for each condition, the median over
    networks of its median over trials against η (L,), with the 90 % interval as a band: of
    the test MSE (left), of the MSE relative to each network's noise-free MSE (middle) and
    of the share of bits held (right). curves: name -> {"median_mse", "relative_mse",
    "median_bits_held"}, each {"median", "lo", "hi"} (L,), as `claims.over_networks` gives."""
    from ..plot._common import figure_for

    fig = figure_for(None, (17, 4.5))
    axes = fig.subplots(1, len(_OVER_NETWORKS_PANELS))
    levels = np.asarray(eta, dtype=float)
    for ax, (kind, label, yscale) in zip(axes, _OVER_NETWORKS_PANELS, strict=True):
        for name, curve in curves.items():
            line = ax.plot(levels, curve[kind]["median"], marker="o", ms=3, label=name)[0]
            band = (curve[kind]["lo"], curve[kind]["hi"])
            ax.fill_between(levels, *band, color=line.get_color(), alpha=0.2, lw=0)
        ax.set(xscale="log", yscale=yscale, xlabel="η", ylabel=label)
    axes[-1].set_ylim(-0.02, 1.02)
    axes[0].legend(fontsize="small")
    fig.suptitle(
        f"4-bit flip-flop, noise in W_r: median over {networks} networks per condition "
        "and its 90 % interval (bootstrap over networks)"
    )
    return fig


def _from_state(net: ESN, state: np.ndarray, steps: int) -> RunResult:
    """A run of `steps` with zero input from `state`."""
    copy = net.copy()
    copy.state = state
    return copy.run(np.zeros((steps, net.n_inputs)))


def _skeleton_title(sk: Skeleton, cube: dict[str, Any]) -> str:
    """Figure 6's title: the memories, the other attractors, the 1-saddles and the cube's
    edges they join."""
    memories = len(cube["memories"])
    others = len(sk) - memories
    edges = len(cube["edges_with_saddle"])
    cube_edges = edges + len(cube["edges_without_saddle"])
    return (
        f"3-bit flip-flop: {memories} memories"
        + (f" (+ {others} other attractor{'s' if others != 1 else ''})" if others else "")
        + f"\n{len(sk.edges)} 1-saddles, joining {edges} of the cube's {cube_edges} edges"
    )


def _noise_scores(result: RobustnessResult) -> dict[str, Any]:
    """Figure 9's numbers of one network: noise-free and median over trials per level (L,),
    of the test MSE and of the share of bits held."""
    assert result.median_bits_held is not None  # figure 9's task is a FlipFlop
    return {
        "baseline_mse": result.baseline_mse,
        "median_mse": np.round(result.median_mse, 5).tolist(),
        "baseline_bits_held": result.baseline_bits_held,
        "median_bits_held": np.round(result.median_bits_held, 5).tolist(),
    }


def _test_scores(run: Trained) -> dict[str, float | None]:
    assert run.test.targets is not None  # test runs are of a task's samples
    return {
        "test_mse": run.test.mse,
        "test_accuracy": FlipFlop.accuracy(run.test.outputs, run.test.targets),
    }
