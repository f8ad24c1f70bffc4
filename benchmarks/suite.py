"""Issue 21's suite: the fixed-point search on a family of networks and starting states, not
on the one network it was tuned on. Workload 6 of run_all.py; alone:

    python benchmarks/suite.py [--quick]

The family (seeded, trained once and cached in benchmarks/.suite-cache/): Table 1 flip-flops
of 3 bits (seeds 0-3) and 4 bits (seeds 0-1), Sussillo & Abbott's generator, ESNs of
N = 1000, 2000 and 4000 (3 bits, briefly trained alike: the time per start's growth with N is
read against that N = 1000 one) and, where torch is installed, a 128-unit tanh RNN trained with
PyTorch on the 3-bit flip-flop (FixedPointFinder's example, wider). Starting
states as people give them: states sampled from a test run, the same plus Gaussian noise
(sigma 0.5, as FixedPointFinder's sample_states), and `flipflop_starts`' tour. Each search runs
`find_fixed_points` on 2 threads; SciPy's trust-ncg (a few states, extrapolated) and, where
installed, FixedPointFinder (on the test-run starts only) give the ratios.
"""

from __future__ import annotations

import blas_threads

blas_threads.hold_to_one_thread()

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402

import fixedpointfinder  # noqa: E402
import numpy as np  # noqa: E402
import rnndyn as rd  # noqa: E402
import workload_fixed_points as searches  # noqa: E402
from markdown import table  # noqa: E402
from rnndyn.app.recipes import TABLE1, train_flipflop  # noqa: E402
from settings import FULL, QUICK, Settings  # noqa: E402
from timing import Timing, measure, seconds  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".suite-cache"
# part of the cached files' names, raised when the networks a seed gives change (2: W_r drawn at
# float32 resolution), so that a cache kept from before is not used for them
CACHE_FORMAT = 2
THREADS = 2
NOISE = 0.5


@dataclass(frozen=True)
class Network:
    """One network of the family: its name, the system, the constant input (None: u = 0 of
    an ESN) and its named sets of starting states (K, N)."""

    name: str
    system: rd.ESN | rd.RNN
    inputs: np.ndarray | None
    starts: dict[str, np.ndarray]
    brief: bool = False  # one of the briefly trained ESNs of settings.suite_brief_sizes


@dataclass(frozen=True)
class Case:
    """One search: the network, the starts' name, the timing, the FixedPoints, and the
    SciPy and FixedPointFinder runs (None where not run)."""

    network: Network
    starts: str
    timing: Timing
    found: rd.FixedPoints
    scipy: searches.SearchRun | None
    fpf: searches.SearchRun | None

    @property
    def size(self) -> int:
        return int(self.network.starts[self.starts].shape[1])


def with_noise(states: np.ndarray, seed: int) -> np.ndarray:
    """The states plus Gaussian noise of standard deviation NOISE (seeded)."""
    return states + np.random.default_rng(seed).normal(0.0, NOISE, states.shape)


# a network and its test run's states
Built = tuple[rd.ESN, np.ndarray]


def cached_esn(name: str, build: Callable[[], Built]) -> Built:
    """The network and its test-run states, built once and kept in CACHE under `name`."""
    CACHE.mkdir(exist_ok=True)
    stem = f"{name}-f{CACHE_FORMAT}"
    net_file, states_file = CACHE / f"{stem}.npz", CACHE / f"{stem}.states.npy"
    if net_file.exists() and states_file.exists():
        return rd.ESN.load(net_file), np.load(states_file)
    net, states = build()
    net.save(net_file)
    np.save(states_file, states)
    return net, states


def flipflop(bits: int, seed: int, settings: Settings, n: int | None = None) -> Network:
    """A Table 1 flip-flop (N = settings.n, or `n` briefly trained) and its three start sets."""
    table1 = replace(TABLE1, n=settings.n, train_steps=settings.train_steps, test_steps=2_000)
    if n is not None:
        table1 = replace(table1, n=n, train_steps=settings.suite_brief_steps)

    def build() -> Built:
        trained = train_flipflop(bits, seed, table1, n_jobs=THREADS)
        return trained.net, trained.test.states

    name = f"flipflop-{bits}bit-seed{seed}-n{table1.n}-t{table1.train_steps}"
    net, states = cached_esn(name, build)
    count = settings.suite_states if n is None else settings.suite_brief_states
    sampled = rd.sample_states(states, count, seed=0)
    tour = rd.flipflop_starts(net, count, seed=0)[0]
    label = f"{bits} bits, seed {seed}" + ("" if n is None else " (brief training)")
    starts = {"test run": sampled, "test run + noise": with_noise(sampled, 1), "tour": tour}
    return Network(label, net, None, starts, brief=n is not None)


def generator(settings: Settings) -> Network:
    """Sussillo & Abbott's generator (N = 1000, workload 5's) and its start sets."""
    net, state = cached_esn("generator", lambda: _generator_states(settings))
    sampled = rd.sample_states(state, settings.suite_states, seed=0)
    starts = {"test run": sampled, "test run + noise": with_noise(sampled, 1)}
    return Network("Sussillo-Abbott generator", net, None, starts)


def _generator_states(settings: Settings) -> Built:
    """The trained generator and a test run's states."""
    task = rd.tasks.SumOfSines()
    net = rd.ESN(1000, 0, 1, g=1.5, p=0.1, tau=1.0, dt=0.1, seed=0)
    rd.train_force(net, task.sample(settings.cycles_train_steps), train_every=2)
    return net, net.copy().run(task.sample(2_400, start=settings.cycles_train_steps)).states


def torch_rnn(settings: Settings) -> Network | None:
    """A tanh RNN trained with PyTorch on the 3-bit flip-flop (None without torch)."""
    try:
        import torch
    except ImportError:
        return None
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from torch_flipflop import FlipFlopNet, Training, flipflop_trials, train

    example = Training(hidden=settings.suite_torch_units, max_epochs=settings.suite_torch_epochs)
    torch.manual_seed(example.seed)
    torch.set_num_threads(1)
    model = FlipFlopNet(example)
    data = flipflop_trials(np.random.RandomState(example.data_seed), example.train_trials, example)
    train(model, data, example)
    with torch.no_grad():
        hidden = model(torch.from_numpy(data["inputs"]))[1].numpy().astype(np.float64)
    sampled = rd.sample_states(hidden.reshape(-1, example.hidden), settings.suite_states, seed=0)
    starts = {"hidden states": sampled, "hidden states + noise": with_noise(sampled, 1)}
    name = f"PyTorch tanh RNN, {example.hidden} units"
    return Network(name, rd.RNN.from_torch(model.rnn), np.zeros(example.bits), starts)


def family(settings: Settings, log: Callable[[str], None]) -> list[Network]:
    """Every network of the suite, built (or taken from the cache)."""
    networks = []
    for bits, seed in settings.suite_flipflops:
        log(f"suite: {bits}-bit flip-flop, seed {seed}")
        networks.append(flipflop(bits, seed, settings))
    if settings.suite_generator:
        log("suite: Sussillo & Abbott's generator")
        networks.append(generator(settings))
    for n in settings.suite_brief_sizes:
        log(f"suite: ESN of N = {n}, briefly trained")
        networks.append(flipflop(3, 0, settings, n=n))
    log("suite: a tanh RNN trained with PyTorch")
    rnn = torch_rnn(settings)
    return networks + ([rnn] if rnn is not None else [])


def search(network: Network, name: str, settings: Settings) -> Case:
    """`find_fixed_points` from one start set, timed; the baselines for an ESN."""
    starts = network.starts[name]
    timing, found = measure(
        lambda: rd.find_fixed_points(network.system, starts, network.inputs, n_jobs=THREADS),
        settings.suite_brief_repeats if network.brief else settings.suite_repeats,
    )
    scipy = fpf = None
    if isinstance(network.system, rd.ESN):
        few = settings.suite_brief_baseline_states if network.brief else None
        scipy = searches.run_scipy(network.system, starts, few or settings.suite_scipy_states)
        if name == "test run" and fixedpointfinder.available():
            sample = few or settings.suite_fpf_states
            fpf = searches.run_fixed_point_finder(network.system, starts, sample)
    return Case(network, name, timing, found, scipy, fpf)


@dataclass(frozen=True)
class SuiteResult:
    """Every case of the suite."""

    cases: list[Case]

    def standard(self) -> list[Case]:
        """The cases whose network has N = 1000 and full training (the targets' family)."""
        return [c for c in self.cases if c.size == 1000 and not c.network.brief]

    def brief(self) -> list[Case]:
        """The cases of the briefly trained ESNs of settings.suite_brief_sizes."""
        return [c for c in self.cases if c.network.brief]

    def markdown(self) -> str:
        """The section of RESULTS.md."""
        rows = [_row(case) for case in self.cases]
        headers = ["network", "N", "starts", "time", "fixed / slow / unconverged", "unique"]
        headers += ["iterations (median, max)", "× trust-ncg", "× FixedPointFinder"]
        times = [c.timing.median for c in self.standard()]
        lines = [
            f"`rd.find_fixed_points(net, starts, n_jobs={THREADS})` from each set of starts "
            "(how many in brackets; median of the repeats); a start ends fixed (q ≤ 1e-20), "
            "at a slow point or unconverged. Ratios: the baseline's time (extrapolated from a "
            "few states) over rnndyn's.",
            "",
            table(headers, rows),
            "",
        ]
        if times:
            lines.append(
                f"- N = 1000 networks: median {seconds(statistics.median(times))}, worst "
                f"{seconds(max(times))} over {len(times)} searches (issue 21: ≤ 2 s and ≤ 4 s)."
            )
        return "\n".join(lines)


def _row(case: Case) -> list[str]:
    """One line of the table."""
    found = case.found
    fixed, slow, unconverged = searches.state_counts(found)
    iterations = found.iterations
    ratio = [
        f"{run.total.median / case.timing.median:.0f}×" if run and run.total else "—"
        for run in (case.scipy, case.fpf)
    ]
    return [
        case.network.name,
        str(case.size),
        f"{case.starts} ({len(case.network.starts[case.starts])})",
        seconds(case.timing.median),
        f"{fixed} / {slow} / {unconverged}",
        searches.unique_counts(found),
        f"{int(np.median(iterations))}, {int(np.max(iterations))}" if len(found) else "—",
        *ratio,
    ]


def run(settings: Settings, log: Callable[[str], None] = print) -> SuiteResult:
    """Build the family, then search from every start set of every network."""
    cases = []
    for network in family(settings, log):
        for name in network.starts:
            log(f"suite: {network.name}, from {name}")
            cases.append(search(network, name, settings))
            log("suite: | " + " | ".join(_row(cases[-1])) + " |")
    return SuiteResult(cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--repeats", type=int, help="timed repeats of each search")
    parser.add_argument(
        "--brief", type=int, nargs="*", help="sizes of the briefly trained ESNs (none: skip them)"
    )
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    if args.repeats is not None:
        settings = replace(settings, suite_repeats=args.repeats)
    if args.brief is not None:
        settings = replace(settings, suite_brief_sizes=tuple(args.brief))
    print(run(settings, lambda m: print(m, file=sys.stderr, flush=True)).markdown())


if __name__ == "__main__":
    main()
