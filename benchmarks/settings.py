"""The sizes of every workload: the full run (the issue's Table 1 workload) and --quick."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Workload sizes and repeats (see run_all.py for what each workload does)."""

    # 1. FORCE, Table 1: N units, a `bits`-bit flip-flop, seed 0
    n: int = 1000
    bits: int = 3
    train_steps: int = 30_000
    test_steps: int = 5_000
    train_every: int = 2
    force_repeats: int = 5  # rnndyn's core
    blas_repeats: int = 3  # NumPy with BLAS in place, full length
    reference_train_steps: int = 2_000  # the plain reference: shorter runs, extrapolated
    reference_test_steps: int = 1_000
    reference_repeats: int = 3
    reservoirpy_steps: int = 300  # training steps and test steps, extrapolated
    reservoirpy_repeats: int = 3
    # 2. fixed points of the trained network
    fixed_point_states: int = 256
    fixed_point_repeats: int = 3
    skeleton_repeats: int = 3
    scipy_states: int = 8  # SciPy trust-ncg: a few states, extrapolated
    newton_states: int = 256  # batched NumPy Newton-GMRES: all of them, once
    fpf_states: int = 32  # FixedPointFinder, if importable: a few states, extrapolated
    # 3. scaling
    # N = 8000 (1 GiB of W_r + P) shows the growth once both stream from DRAM
    scaling_sizes: tuple[int, ...] = (250, 500, 1000, 2000, 4000, 8000)
    scaling_search_max_n: int = 4000  # fixed-point searches up to here (N = 8000: minutes)
    # steps per timing ≈ budget / N², within the limits below. Beyond the L3 one timing of a few
    # hundred steps varied by half from run to run here (N = 4000: 8.2 or 12.4 ms a step), so
    # the large sizes get more steps and every size five repeats
    scaling_step_budget: float = 4e9
    scaling_min_steps: int = 200
    scaling_max_steps: int = 4_000
    scaling_repeats: int = 5
    scaling_train_steps: int = 2_000  # brief training before the fixed-point searches
    scaling_starts: int = 32  # one block of the core's minimiser (one thread)
    scaling_max_iter: int = 20  # Newton iterations per start: bounds the cost at N = 4000
    scaling_fixed_point_repeats: int = 1
    # 4. profile of `rnndyn flipflop`
    profile_args: tuple[str, ...] = ()
    # 5. the limit cycle of Sussillo & Abbott's generator
    cycles_n: int = 1000
    cycles_train_steps: int = 14_400
    cycles_repeats: int = 3
    # 6. the suite (issue 21): (bits, seed) of the Table 1 flip-flops, starts per set, ...
    suite_flipflops: tuple[tuple[int, int], ...] = ((3, 0), (3, 1), (3, 2), (3, 3), (4, 0), (4, 1))
    suite_states: int = 256
    suite_generator: bool = True  # Sussillo & Abbott's (N = 1000 even in --quick: left out there)
    suite_repeats: int = 3
    # ESNs of these sizes, briefly trained; the first is the baseline of the time per start's
    # growth with N (the same training, start sets and number of starts)
    suite_brief_sizes: tuple[int, ...] = (1000, 2000, 4000)
    suite_brief_repeats: int = 1  # their searches take minutes: timed once
    suite_brief_states: int = 32  # starts per set there (256 at N = 4000: ~7 min a set)
    suite_brief_baseline_states: int = 1  # SciPy (FixedPointFinder: 2): at N = 2000, 2 min a state
    suite_brief_steps: int = 3_000
    suite_scipy_states: int = 4
    suite_fpf_states: int = 8
    suite_torch_units: int = 128
    suite_torch_epochs: int = 300

    def scaling_steps(self, n: int) -> int:
        """FORCE steps to time at size n: about the same memory traffic at every size."""
        steps = int(self.scaling_step_budget / n**2)
        return max(self.scaling_min_steps, min(self.scaling_max_steps, steps))


FULL = Settings()

QUICK = Settings(
    n=100,
    train_steps=400,
    test_steps=100,
    force_repeats=3,
    blas_repeats=2,
    reference_train_steps=200,
    reference_test_steps=100,
    reference_repeats=2,
    reservoirpy_steps=50,
    reservoirpy_repeats=2,
    fixed_point_states=8,
    fixed_point_repeats=2,
    skeleton_repeats=1,
    scipy_states=2,
    newton_states=8,
    fpf_states=2,
    scaling_sizes=(100, 200),
    scaling_step_budget=4e6,
    scaling_min_steps=50,
    scaling_max_steps=200,
    scaling_repeats=2,
    scaling_train_steps=300,
    scaling_starts=8,
    scaling_max_iter=10,
    scaling_fixed_point_repeats=1,
    # the generator learns its cycle only at full size (N = 500: no cycle); one repeat
    cycles_repeats=1,
    suite_flipflops=((3, 0),),
    suite_states=8,
    suite_generator=False,
    suite_repeats=1,
    suite_brief_sizes=(100, 200),
    suite_brief_states=4,
    suite_brief_steps=300,
    suite_scipy_states=1,
    suite_fpf_states=1,
    suite_torch_units=16,
    suite_torch_epochs=2,
    profile_args=(
        "--n",
        "100",
        "--train-steps",
        "400",
        "--test-steps",
        "1000",
        "--states",
        "8",
        "--snapshot-every",
        "100",
    ),
)
