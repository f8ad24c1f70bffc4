"""Time per FORCE step at N = 1000: the C++ core against the plain NumPy reference.

    python benchmarks/force_step.py [--n 1000] [--repeats 5]

Prints the median time per step of each over `repeats` runs and their ratio. NumPy's BLAS is
held to one thread (blas_threads.py) because multithreaded BLAS is erratic on a 2-core
machine; the core runs on one thread. `run_all.py` runs this comparison and more in one go.
"""

from __future__ import annotations

import blas_threads

blas_threads.hold_to_one_thread()

import argparse  # noqa: E402

import numpy as np  # noqa: E402
import rnndyn as rd  # noqa: E402
from rnndyn import reference  # noqa: E402
from timing import per_step  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--core-steps", type=int, default=4000)
    parser.add_argument("--reference-steps", type=int, default=200)
    args = parser.parse_args()

    net = rd.ESN(args.n, 3, 3, seed=0)
    inputs, targets = rd.tasks.FlipFlop(3, seed=0).sample(max(args.core_steps, 1000))

    def core(steps: int) -> None:
        rd.train_force(net.copy(), inputs[:steps], targets[:steps], train_every=2, n_jobs=1)

    def plain(steps: int) -> None:
        reference.run_network(
            net.recurrent,
            net.feedback,
            net.input,
            net.readout,
            net.state,
            inputs[:steps],
            targets[:steps],
            dt_over_tau=0.1,
            train_every=2,
        )

    core_times = per_step(core, args.core_steps, args.repeats)
    reference_times = per_step(plain, args.reference_steps, args.repeats)
    core_median = core_times.median
    reference_median = reference_times.median
    print(f"FORCE step, N = {args.n}, float64, train every 2, one thread, median of {args.repeats}")
    print(
        f"  C++ core   {core_median * 1e6:9.1f} µs/step   "
        f"(Table 1's 35,000 steps: {core_median * 35_000:.1f} s)"
    )
    print(
        f"  reference  {reference_median * 1e6:9.1f} µs/step   "
        f"(Table 1's 35,000 steps: {reference_median * 35_000:.1f} s)"
    )
    print(f"  speed-up   {reference_median / core_median:9.1f}x")
    spread = np.ptp(core_times.samples) / core_median
    print(f"  C++ spread over repeats: {spread:.0%}")


if __name__ == "__main__":
    main()
