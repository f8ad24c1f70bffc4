"""Issue 5's targets, checked against this run's measurements."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import suite
import workload_cycles as cycles
import workload_fixed_points as fixed_points
import workload_force as force
from markdown import table
from timing import seconds
from workload_scaling import ScalingResult

NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Target:
    """One target: what it asks, what was measured, and whether it was met."""

    goal: str
    measured: str
    status: str
    note: str = ""


def at_most(value: float, limit: float, unit: str = "s") -> str:
    """'met' or 'missed by …' for value <= limit."""
    if value <= limit:
        return "met"
    return f"missed by {value - limit:.2f} {unit} ({value / limit - 1:.0%} over)"


def at_least(value: float, limit: float) -> str:
    """'met' or 'missed by …' for a ratio value >= limit."""
    if value >= limit:
        return "met"
    return f"missed: {value:.1f}× of {limit:g}× ({limit / value:.2f}× short)"


def force_targets(result: force.ForceResult) -> list[Target]:
    """Table 1 FORCE: float64 on 2 threads, its ratio to the reference, and float32."""
    targets = []
    core = result.find(force.CORE_64, "2")
    plain = result.find(force.REFERENCE)
    if core is None:
        targets.append(
            Target(
                "FORCE float64, 2 threads ≤ 4 s",
                NOT_MEASURED,
                NOT_MEASURED,
                "train_force has no n_jobs",
            )
        )
    else:
        median = core.total.median
        targets.append(
            Target(
                "FORCE float64, 2 threads ≤ 4 s",
                seconds(median),
                at_most(median, 4.0),
                f"spread {core.total.spread()}",
            )
        )
        if plain is not None:
            speedup = plain.total.median / median
            targets.append(
                Target(
                    "FORCE float64, 2 threads ≥ 15× the plain NumPy reference",
                    f"{speedup:.1f}×",
                    at_least(speedup, 15.0),
                    f"reference {seconds(plain.total.median)}, extrapolated from a shorter run",
                )
            )
    default = result.find(force.CORE_64, force.DEFAULT)
    if default is not None and plain is not None:
        speedup = plain.total.median / default.total.median
        targets.append(
            Target(
                "FORCE float64, default arguments ≥ 15× the plain NumPy reference (issue 21)",
                f"{speedup:.1f}×",
                at_least(speedup, 15.0),
                f"{seconds(default.total.median)}; n_jobs=None: the cores this process may use",
            )
        )
    single = [
        r
        for r in (result.find(force.CORE_32, "1"), result.find(force.CORE_32, "2"))
        if r is not None
    ]
    if not single:
        targets.append(
            Target(
                "FORCE float32 ≤ 2.2 s",
                NOT_MEASURED,
                NOT_MEASURED,
                "float32 is not available in this build (no dtype argument)",
            )
        )
        targets.append(
            Target(
                "float32 accuracy cost: test error vs float64",
                NOT_MEASURED,
                NOT_MEASURED,
                "no float32",
            )
        )
        return targets
    best = min(single, key=lambda r: r.total.median)
    targets.append(
        Target(
            "FORCE float32 ≤ 2.2 s",
            f"{seconds(best.total.median)} ({best.threads} thread(s))",
            at_most(best.total.median, 2.2),
        )
    )
    reference64 = core or result.find(force.CORE_64, "1")
    targets.append(
        Target(
            "float32 accuracy cost: test error vs float64",
            f"test MSE {best.test_mse:.2e} vs {reference64.test_mse:.2e}; accuracy "
            f"{_percent(best.test_accuracy)} vs {_percent(reference64.test_accuracy)}",
            "reported",
        )
    )
    return targets


def fixed_point_targets(result: fixed_points.FixedPointResult) -> list[Target]:
    """Fixed points of the trained network: time, convergence, ratios to the baselines."""
    targets = []
    leading = result.find(fixed_points.LEADING)
    if leading is None:
        return [Target("fixed points", NOT_MEASURED, NOT_MEASURED)]
    median = leading.total.median
    targets.append(
        Target(
            f"Fixed points, {result.states} states, 2 threads, stability included ≤ 3 s",
            seconds(median),
            at_most(median, 3.0),
            "default method, leading 10 eigenvalues by Krylov after merging duplicates",
        )
    )
    targets.append(
        Target(
            "Every state ends fixed (q ≤ 1e-20) or at a reported slow point",
            f"{leading.fixed} fixed, {leading.slow} slow, {leading.unconverged} unconverged",
            "met" if leading.unconverged == 0 else f"missed: {leading.unconverged} unconverged",
        )
    )
    newton = result.find(fixed_points.NEWTON)
    if newton is not None:
        speedup = newton.total.median / median
        targets.append(
            Target(
                "≥ 5× a batched NumPy Newton(-GMRES)",
                f"{speedup:.1f}×",
                at_least(speedup, 5.0),
                f"Newton {seconds(newton.total.median)} on 1 thread, no stability, "
                f"{newton.unconverged} unconverged",
            )
        )
    targets.append(fixed_point_finder_target(result, median))
    skeleton = result.find(fixed_points.SKELETON)
    if skeleton is not None:
        targets.append(
            Target(
                f"Skeleton from the same {result.states} states, 2 threads ≤ 10 s (issue 19)",
                seconds(skeleton.total.median),
                at_most(skeleton.total.median, 10.0),
                f"{seconds(median)} of it is the search alone; {skeleton.unique}",
            )
        )
    return targets


def fixed_point_finder_target(result: fixed_points.FixedPointResult, leading: float) -> Target:
    """rnndyn's default search (2 threads) against FixedPointFinder (1 thread, extrapolated)."""
    goal = "≥ 80× FixedPointFinder"
    finder = result.find(fixed_points.FIXED_POINT_FINDER)
    if finder is None:
        return Target(
            goal,
            NOT_MEASURED,
            NOT_MEASURED,
            "FixedPointFinder not importable (README: Development)",
        )
    speedup = finder.total.median / leading
    single = next(
        (
            r
            for r in result.runs
            if r.name == fixed_points.LEADING and r.threads == "1" and r.total is not None
        ),
        None,
    )
    against_one = (
        ""
        if single is None
        else f"; {finder.total.median / single.total.median:.1f}× with rnndyn on 1 thread"
    )
    return Target(
        goal,
        f"{speedup:.1f}×",
        at_least(speedup, 80.0),
        f"FixedPointFinder {seconds(finder.total.median)} (float32, its defaults, 1 thread, "
        f"extrapolated from {finder.timed_states} states, {finder.fixed} of which reached "
        f"q ≤ {fixed_points.TOL_Q:g}){against_one}",
    )


def cycle_targets(result: cycles.CyclesResult) -> list[Target]:
    """Issue 20: the Sussillo-Abbott generator's cycle in <= 30 s on 2 threads, stable, its
    period as an independent solve_ivp run gives it."""
    found = result.cycles
    if len(found) == 0:
        return [Target("Sussillo-Abbott cycle ≤ 30 s (issue 20)", "no cycle found", "missed")]
    period = float(found.period[0])
    error = abs(period - result.independent_period) / result.independent_period
    return [
        Target(
            f"Sussillo-Abbott cycle, N = {result.n}, 2 threads ≤ 30 s (issue 20)",
            seconds(result.timing.median),
            at_most(result.timing.median, 30.0),
            f"period {period:.4f}, {'stable' if found.is_stable[0] else 'unstable'}; "
            f"independent solve_ivp period {result.independent_period:.4f} "
            f"(relative difference {error:.1e})",
        )
    ]


def suite_targets(result: suite.SuiteResult) -> list[Target]:
    """Issue 21: on the suite's N = 1000 networks, median <= 2 s and worst <= 4 s, every
    start fixed or slow."""
    cases = result.standard()
    if not cases:
        return [Target("Suite, N = 1000 (issue 21)", NOT_MEASURED, NOT_MEASURED)] + (
            _growth_targets(result)
        )
    times = [c.timing.median for c in cases]
    worst = max(cases, key=lambda c: c.timing.median)
    unconverged = sum(suite.searches.state_counts(c.found)[2] for c in cases)
    return [
        Target(
            "Suite, N = 1000, 2 threads: median ≤ 2 s (issue 21)",
            seconds(statistics.median(times)),
            at_most(statistics.median(times), 2.0),
            f"{len(cases)} searches",
        ),
        Target(
            "Suite, N = 1000, 2 threads: worst ≤ 4 s (issue 21)",
            seconds(worst.timing.median),
            at_most(worst.timing.median, 4.0),
            f"{worst.network.name}, from {worst.starts}",
        ),
        Target(
            "Suite, N = 1000: every start fixed or at a slow point (issue 21)",
            f"{unconverged} unconverged",
            "met" if unconverged == 0 else f"missed: {unconverged} unconverged",
        ),
        _ratio_target(cases, "scipy", "SciPy's trust-ncg", 50.0),
        _ratio_target(cases, "fpf", "FixedPointFinder", 100.0),
        *_growth_targets(result),
    ]


def _ratio_target(cases: list[suite.Case], baseline: str, name: str, limit: float) -> Target:
    """Issue 21: each N = 1000 search at least `limit` times the baseline (the least ratio)."""
    goal = f"Suite, N = 1000: each search ≥ {limit:g}× {name} (issue 21)"
    ratios = [
        (run.total.median / case.timing.median, case)
        for case in cases
        if (run := getattr(case, baseline)) is not None and run.total is not None
    ]
    if not ratios:
        return Target(goal, NOT_MEASURED, NOT_MEASURED)
    least, case = min(ratios, key=lambda pair: pair[0])
    note = f"least of {len(ratios)}: {case.network.name}, from {case.starts}"
    return Target(goal, f"{least:.0f}×", at_least(least, limit), note)


def _growth_targets(result: suite.SuiteResult) -> list[Target]:
    """Issue 21: the briefly trained ESNs converge every start; their time per start and its
    growth from the smallest of them, trained alike and searched from as many starts of the
    set (the Table 1 networks, trained ten times as long, end far fewer of their starts at slow
    points, and 256 starts spread the linearisation over eight times as many)."""
    brief = result.brief()
    smallest = min((case.size for case in brief), default=0)
    per_start = {
        (c.size, c.starts): c.timing.median / len(c.network.starts[c.starts]) for c in brief
    }
    targets = []
    for case in brief:
        size, unconverged = case.size, suite.searches.state_counts(case.found)[2]
        base = per_start.get((smallest, case.starts))
        growth = ""
        if base and size > smallest:
            ratio = per_start[size, case.starts] / base
            power = math.log(ratio) / math.log(size / smallest)
            growth = f"; {ratio:.1f}× N = {smallest}'s (N^{power:.1f})"
        targets.append(
            Target(
                f"Suite, N = {size} (brief training), from {case.starts}: every start converged "
                "(issue 21)",
                f"{unconverged} unconverged; {seconds(case.timing.median)}, "
                f"{1e3 * per_start[size, case.starts]:.0f} ms a start{growth}",
                "met" if unconverged == 0 else f"missed: {unconverged} unconverged",
            )
        )
    return targets


def scaling_targets(result: ScalingResult) -> list[Target]:
    """The FORCE step should grow as N² (memory-bound): judged within each level of memory,
    since the cost of a byte jumps where W_r + P fall out of the L3 (the report says where)."""
    levels = result.levels()
    fits = [(name, runs, result.step_exponent(1, runs)) for name, runs in levels]
    overall = result.step_exponent(1)
    measured = "; ".join(
        f"N^{exponent:.2f} {name} (N = {runs[0].n}–{runs[-1].n})" for name, runs, exponent in fits
    )
    worst = max(fits, key=lambda fit: abs(fit[2] - 2.0)) if fits else None
    if worst is None:
        status = "missed: too few sizes in one level of memory"
    elif abs(worst[2] - 2.0) <= 0.3:
        status = "met"
    else:
        status = f"missed: N^{worst[2]:.2f} {worst[0]}"
    return [
        Target(
            "FORCE step cost grows as N² (1 thread)",
            f"{measured}; N^{overall:.2f} across all sizes",
            status,
            "criterion: the exponent fitted within each level of memory (W_r + P within the "
            "L3, beyond it) within 2 ± 0.3",
        )
    ]


# Why a target is missed, by the start of its goal: what the measurements and profiles showed,
# and what would close the gap (the suite's full record: SEARCH_LOG.md).
WHY_MISSED = {
    "FORCE float64, 2 threads ≥ 15×": (
        "The ratio compares against this run's plain reference (`rnndyn.reference`, one full "
        "outer-product update of P per update), about twice as fast as the plain NumPy loop "
        "the issue timed at 80 s. The float64 step is bound by the bytes it streams from the "
        "L3 cache: W_r every step and P's lower triangle (4 MB, read and written) every "
        "update. Since session 32 an ESN's W_r is drawn at float32 resolution and the core "
        "reads it as floats, widened to double (4 MB a step, not 8; the arithmetic float64): "
        "in one session `net.run`'s step went from 55 to 37 µs on 2 threads and the Table 1 "
        "run from 2.8-3.1 s to 2.35-2.6 s; a269349's run read 2.10 s against the reference's "
        "42.7 s (20.3×), where dc402da's read 3.70 s (12.1×). P's update is now about half "
        "of a training step. The timings move with the machine's load (c29115f's run on a "
        "quiet machine, before W_r was read as floats, 3.06 s; 378264f's, under a load of "
        "1.5, 4.61 s) and with its kind: a269349's run was on an AMD EPYC, whose cores "
        "stream from the L3 at ~98 GB/s; session 33's on an Intel Xeon whose cores stream "
        "4-8 MB from it at 26-28 GB/s, where the step took 97 µs on 2 threads against 60 "
        "µs and the reference's 1.41 ms against 1.22 ms: 14.5x, not 20x."
    ),
    "FORCE float64, default arguments ≥ 15×": (
        "With n_jobs=None the core runs on this machine's two cores, so the ratio misses for "
        "the 2-thread row's reason (above)."
    ),
    "Skeleton from the same 256 states": (
        "Since session 33 the skeleton's free runs (basins, bisection, edge tracking, "
        "branches) run in the core as the network's own runs do (free_run.hpp), which took "
        "this workload from 9.1-10.2 s to 7.0 s on that session's 2-core Intel machine, the "
        "same points and edges. What is left, by phase there: the fixed-point searches it "
        "runs (from the starts, the midpoints and the tracked runs' slowest states) ~3.6 s, "
        "among them the origin's linearisation ~1.1 s (every one of its leading eigenvalues "
        "is unstable, so Krylov-Schur widens to 40 before LAPACK's whole spectrum and "
        "inverse iteration find its 110 unstable dimensions), and the direct crossings' ~600 "
        "free runs 1.2 s (bound by arithmetic, 31 µs a state and step). a269349's run, on "
        "an AMD machine, found 14 adjacent pairs with 2 unjoined on this network; session "
        "33's runs found 12 with none unjoined, with the AVX2 build and the portable one."
    ),
    "Fixed points, ": (
        "Profile of session 5 (2 threads): Newton-GMRES's first pass, which brings each state "
        "to q ≤ 1e-2 with at most 20 Krylov vectors a step, ~1.2 s; the second pass, GMRES "
        "preconditioned by one dense LU of J per group of nearby states, ~0.5 s; "
        "Levenberg-Marquardt for the few states that end at the slow point (a dense Cholesky "
        "per step, ~30 steps, in the same pool) ~0.7 s; ARPACK for the unique points ~0.8 s. "
        "When this misses it is by a fraction of that: the machine's load moves it by ±0.2 s."
    ),
    "≥ 5× a batched NumPy Newton": (
        "The two do different work: rnndyn brings every state to q ≤ 1e-20 or a certified "
        "slow point and linearises every unique point (ARPACK, ~0.8 s of its time), the NumPy "
        "Newton (30 steps, 40 Krylov vectors, batched products through OpenBLAS on one "
        "thread) stops with 16 states unconverged (q up to ~400) and linearises nothing. What "
        "is left is bound by the same batched matrix products that NumPy's BLAS does: "
        "Newton's first pass alone takes ~1.2 s of rnndyn's time."
    ),
    "≥ 80× FixedPointFinder": (
        "With its defaults FixedPointFinder does not converge on this network: Adam's first "
        "steps at lr 1.0 move every coordinate by about 1, which throws the states (|x| up to "
        "~5, q from ~1e-3 up) out to |x| ≈ 10 and q ≈ 2,700, and its plateau schedule then "
        "shrinks the rate until float32 steps barely change q. Its time is then mostly "
        "Jacobians by "
        "autograd (computed twice: a batched version it keeps and a per-state one it discards) "
        "and full eigendecompositions of every point it kept, all unconverged and all reported "
        "as unique. So it is cheaper here than the 241 s the issue measured, and the ratio "
        "compares rnndyn against a search that found no fixed point; meeting 80× on this "
        "measurement needs rnndyn's search itself to get faster (the time target above)."
    ),
    "Suite, N = 1000, 2 threads": (
        "The time follows the starts that end at slow points. Newton cannot converge there (J "
        "is nearly singular), so each such start, after its 30 Newton steps, runs "
        "Levenberg-Marquardt: ~22 steps on the flip-flops (5-7 opening while the damping "
        "falls, 10-15 along a narrow curved valley, ~5 polishing), each a dense N x N "
        "Cholesky factorisation (in float, ~4.2 ms at N = 1000: near this core's peak, as "
        "fast as OpenBLAS's spotrf) and ~4 ms of products and solves. The searches with 0-1 "
        "such starts take 1.0-1.8 s; 4 bits seed 1 + noise has 32 and takes 5.4-7 s, the "
        "generator ~170 and 9-13.5 s (its W_r is sparse, p = 0.1: since session 31 its "
        "products go through W_r's nonzeros, 18-21 % off its searches in an A/B, and float's "
        "Cholesky is ~37 % of its CPU). By perf (session 25, 4 bits seed 1 + noise, one "
        "thread): float's Cholesky ~20 % of the CPU, products with W_c in double ~25 % (LM's "
        "trial points and acceleration, the second pass's GMRES, the linearisation), the "
        "float first pass ~9 %, the Gauss-Newton model ~6 %. Since session 34 a dense "
        "reservoir's products in double read W_r as floats plus the rank-O loop (one state's "
        "product 296 -> 148 µs at N = 1000 on an Intel core) and the packed products read each "
        "slice once for all of a block's states: the flip-flops' searches 7-16 % faster (the "
        "suite's median 2.88 -> 2.54 s in one A/B on an Intel machine), the products in double "
        "~18 % of 4 bits seed 1 + noise's CPU (perf, 2 threads). Since session 13 every lever "
        "measured on LM's damping, joins, solves and precision and on the passes' budgets "
        "moved the median by a few percent or lost points (benchmarks/SEARCH_LOG.md, session "
        "by session); session 25's joins along earlier runs' ways took 14-22 % off the "
        "generator's searches, whose runs walk its limit cycle. These timings also move with "
        "the machine's load: c29115f's run on a quiet machine read a median of 2.50 s, the "
        "worst flip-flop search 5.41 s and the generator 12.4 and 16.9 s; 378264f's, under a "
        "load of 1.5, 3.44 s and the generator 25 s; runs of one build differ by about ±8 %. "
        "Closing the gap needs a way to slow points with several times fewer factorisations "
        "a run, not tuning."
    ),
    "Suite, N = 1000: each search ≥ 100× FixedPointFinder": (
        "FixedPointFinder's time per state is bounded by its own iteration limits and does "
        "not grow with the slow points: on networks where rnndyn spends most of its time "
        "bringing starts to certified slow points (q minimal, |∇q| ≤ 1e-14), the ratio "
        "falls with rnndyn's time (the suite-time target above)."
    ),
    "FORCE step cost grows as N²": (
        "Within one cache level the step grows as N²; the fit over all sizes is steeper "
        "because of the jump where W_r + P outgrow the 32 MiB L3 (between N = 1000 and 2000) "
        "and start streaming from DRAM."
    ),
}


def markdown(targets: list[Target], quick: bool) -> str:
    """The targets table, and why each missed target was missed; in --quick runs the statuses
    do not apply."""
    rows = [
        [
            t.goal,
            t.measured,
            "n/a (--quick)" if quick and t.status != NOT_MEASURED else t.status,
            t.note,
        ]
        for t in targets
    ]
    text = table(["target (issue 5)", "measured", "status", "note"], rows)
    if quick:
        return (
            "**A --quick run: tiny sizes, so the targets (set for N = 1000) do not "
            "apply.**\n\n" + text
        )
    reasons, first_goal = [], {}  # each reason once: later goals it explains refer to it
    for t in targets:
        if not t.status.startswith("missed"):
            continue
        for start, why in WHY_MISSED.items():
            if t.goal.startswith(start):
                said = first_goal.setdefault(start, t.goal) != t.goal
                reasons.append(
                    f"- **{t.goal}**: " + (f"as for **{first_goal[start]}**." if said else why)
                )
    if reasons:
        text += "\n\nWhy the missed targets are missed:\n\n" + "\n".join(reasons)
    return text


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
