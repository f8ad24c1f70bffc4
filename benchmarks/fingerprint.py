"""Fingerprints of what rnndyn computes, to check that a refactor changes no result bit for bit.

    python benchmarks/fingerprint.py --out before.json      # on the old commit
    python benchmarks/fingerprint.py --compare before.json  # on the new one: exit 1 on a change

It trains the main job's network (Table 1, 3 bits, seed 0), finds its fixed points from
`flipflop_starts` (256), and follows them over training as figure 7 does (quick scale: 48
starts, six readout snapshots), and records a SHA-256 digest of every array: the trained
weights, the test run, the fixed points and their linearisation, figure 7's events. It uses
the public API only, so the same file runs on both sides of a move.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import rnndyn as rd


def digest(value: object) -> str:
    """SHA-256 of an array's dtype, shape and bytes (strings and objects via their repr)."""
    array = np.asarray(value)
    if array.dtype.kind == "O":
        data = repr(array.tolist()).encode()
    else:
        data = np.ascontiguousarray(array).tobytes()
    header = f"{array.dtype.str}{array.shape}".encode()
    return hashlib.sha256(header + data).hexdigest()[:24]


def fingerprints(n_jobs: int) -> dict[str, str]:
    """Digests of the trained network, its test run, fixed points and figure 7's evolution."""
    task = rd.tasks.FlipFlop(3, seed=0)
    net = rd.ESN(n=1000, inputs=3, outputs=3, g=1.5, tau=10.0, dt=1.0, seed=0)
    history = rd.train_force(net, task.sample(30_000), snapshot_every=100, n_jobs=n_jobs)
    test = net.copy().run(task.sample(5_000), n_jobs=n_jobs)
    out = {
        f"network.{name}": digest(getattr(net, name))
        for name in ("recurrent", "feedback", "input", "readout", "state")
    }
    out["history.readouts"] = digest(history.readouts)
    out["test.states"], out["test.outputs"] = digest(test.states), digest(test.outputs)
    starts, _ = rd.flipflop_starts(net, 256, seed=0)
    fps = rd.find_fixed_points(net, starts, n_jobs=n_jobs)
    for name in (
        "points",
        "q",
        "iterations",
        "stop_reason",
        "kind",
        "count",
        "eigenvalues",
        "unstable_dims",
        "label",
        "unstable_right",
        "unstable_left",
    ):
        out[f"fixed_points.{name}"] = digest(getattr(fps, name))
    indices = np.unique(
        np.minimum(
            np.searchsorted(history.snapshot_steps, (0, 200, 700, 3000, 10_000, 30_000)),
            len(history.snapshot_steps) - 1,
        )
    )
    evolution = rd.fixed_point_evolution(
        net, history, starts[:48], snapshots=indices, n_jobs=n_jobs, max_iter=40
    )
    out["figure7.events"] = digest(evolution.events)
    out["figure7.counts"] = digest(evolution.counts)
    out["figure7.summary"] = hashlib.sha256(evolution.summary().encode()).hexdigest()[:24]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the fingerprints here (JSON)")
    parser.add_argument("--compare", type=Path, help="compare with fingerprints written before")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    found = fingerprints(args.n_jobs)
    if args.out:
        args.out.write_text(json.dumps(found, indent=1) + "\n")
    if args.compare:
        before = json.loads(args.compare.read_text())
        changed = sorted(
            key for key in before.keys() | found.keys() if before.get(key) != found.get(key)
        )
        for key in changed:
            print(f"changed: {key}")
        print(f"{len(found) - len(changed)} of {len(found)} fingerprints the same")
        return 1 if changed else 0
    print(json.dumps(found, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
