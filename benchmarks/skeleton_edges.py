"""The skeleton of trained flip-flops against free runs: for each network, the memories found,
the one-bit pairs of memories whose straight segment passes directly from one basin to the
other (checked here with plain NumPy free runs), which of them a 1-saddle joins, and the time.

    python benchmarks/skeleton_edges.py                 # 3 bits, seeds 0-3
    python benchmarks/skeleton_edges.py --bits 4 --seeds 0 1
    python benchmarks/skeleton_edges.py --seeds 1 --deep    # long edge tracking: minutes

Issue 19 asks for an edge on every direct pair; this prints where that holds and where not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import rnndyn as rd
from rnndyn.app.recipes import train_flipflop

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from free_runs import direct_pairs, one_bit_pairs  # noqa: E402

# --deep: edge tracking that follows a boundary through a long transient to its edge state
DEEP = {"rounds": 80, "patience": None, "edge_tolerance": 1e-10}


def report(bits: int, seed: int, deep: bool = False) -> str:
    """One line for the network trained on `bits` bits with `seed`."""
    trained = train_flipflop(bits, seed, n_jobs=2)
    net = trained.net
    starts = rd.sample_states(trained.test.states, 256, seed=0)
    clock = time.perf_counter()
    sk = rd.skeleton(net, starts, n_jobs=2, **(DEEP if deep else {}))
    seconds = time.perf_counter() - clock
    corner, one_bit = one_bit_pairs(net.output_of(sk.attractor_states))
    direct = direct_pairs(net, sk.attractor_states, one_bit)
    joined, adjacent = sk.joined(), {tuple(p) for p in sk.adjacent.tolist()}
    return (
        f"{bits} bits, seed {seed}: {seconds:.1f} s; {len(corner)} of {2**bits} memories; "
        f"{sum(p in joined for p in one_bit)} of {len(one_bit)} one-bit pairs joined; "
        f"{sum(p in joined for p in direct)} of {len(direct)} direct pairs joined, "
        f"{sum(p in adjacent for p in direct)} of them adjacent in the skeleton "
        f"({len(sk.unjoined())} adjacent pairs unjoined, "
        f"{int(sum(sk.boundary_saddle[i] >= 0 for i in range(len(sk.adjacent))))} of "
        f"{len(sk.adjacent)} adjacent boundaries lead to a saddle)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bits", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--deep", action="store_true", help="follow boundaries long (minutes)")
    args = parser.parse_args()
    for seed in args.seeds:
        print(report(args.bits, seed, args.deep), flush=True)


if __name__ == "__main__":
    main()
