"""Fixed points of a trained N = 1000 flip-flop network: each of rnndyn's methods against
SciPy's trust-ncg on the same q with NumPy derivatives (reference.py).

    python benchmarks/fixed_points.py [--states 16] [--bits 3] [--n-jobs 1]

Trains the Table 1 network (seed 0), samples starting states from its test trajectories and
prints, per method: wall time, time per state, median and largest final q, and how many states
reached q <= 1e-20. NumPy's BLAS runs on one thread (blas_threads.py). `run_all.py`
runs the default search against the baselines in one go.
"""

from __future__ import annotations

import blas_threads

blas_threads.hold_to_one_thread()

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import rnndyn as rd  # noqa: E402
from rnndyn import _core  # noqa: E402
from scipy_trust_ncg import scipy_trust_ncg  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--states", type=int, default=16)
    parser.add_argument("--bits", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--skip-scipy", action="store_true")
    args = parser.parse_args()

    task = rd.tasks.FlipFlop(args.bits, seed=0)
    net = rd.ESN(1000, args.bits, args.bits, seed=0)
    rd.train_force(net, task.sample(30_000))
    starts = rd.sample_states(net.run(task.sample(5_000)).states, args.states, seed=0)
    system = net.core_system()

    rows = []
    for method in ("trust-ncg", "lm", "cg", "adam"):
        options = _core.MinimizeOptions()
        options.max_iter = rd.fixedpoints.search.DEFAULT_MAX_ITER[method]
        start = time.perf_counter()
        _, q, _, _, _ = system.minimize(starts, method, options, args.n_jobs)
        rows.append((f"rnndyn {method}", time.perf_counter() - start, q))
    if not args.skip_scipy:
        start = time.perf_counter()
        _, q = scipy_trust_ncg(net, starts)
        rows.append(("scipy trust-ncg", time.perf_counter() - start, q))

    print(
        f"Fixed points, trained {args.bits}-bit flip-flop, N = 1000, {args.states} states "
        f"from test trajectories, n_jobs = {args.n_jobs}"
    )
    print(f"{'method':<18}{'time s':>9}{'s/state':>9}{'median q':>11}{'max q':>11}{'q<=1e-20':>10}")
    for name, seconds, q in rows:
        print(
            f"{name:<18}{seconds:9.2f}{seconds / len(q):9.3f}{np.median(q):11.2e}"
            f"{np.max(q):11.2e}{int(np.sum(q <= 1e-20)):>7}/{len(q)}"
        )


if __name__ == "__main__":
    main()
