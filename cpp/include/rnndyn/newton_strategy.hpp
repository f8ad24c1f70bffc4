// Newton's method from many states (docs/mathematics.md, "Finding the points: Newton's method in
// brief"). Up to N = kDenseFallbackLimit, in two passes: a coarse one that only brings q under
// cluster_q, in float for double (coarse_first_pass), then one that finishes the states close
// to a fixed point with GMRES preconditioned by an LU shared by each cluster of them
// (second_pass). What Newton leaves, near slow points, goes on by Levenberg-Marquardt or
// trust-ncg (finish_leftovers). Each pass returns the rows it leaves unfinished, ascending.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include "block.hpp"
#include "levenberg_marquardt.hpp"
#include "newton_krylov.hpp"
#include "parallel.hpp"
#include "shared_preconditioner.hpp"
#include "trust_ncg.hpp"

namespace rnndyn {

// Up to this N, the second pass shares dense LUs and the points Newton leaves go on by
// Levenberg-Marquardt (dense JᵀJ, one point per task: ~45 Cholesky steps reach a slow point
// where trust-ncg takes 150+ steps of hundreds of products each); above it, one Newton pass
// without a preconditioner, then trust-ncg in blocks. At N = 4000 (a briefly trained 3-bit
// ESN, 32 test-run starts, 2 threads) the dense route converged every start in 84 s, the
// other had not finished after 13.5 min. Each thread holds about 24 N² bytes (LM's model and
// its factorisations in float and double, a cluster's LU in float), 1.6 GB at the limit, and
// the system about 40 N² bytes shared (W_c, its two packed copies for the batched products,
// LM's Gram matrix W_cᵀW_c and column-major copy of W_c), 2.7 GB.
constexpr Eigen::Index kDenseFallbackLimit = 8192;

// The first of the two Newton passes only has to bring q under cluster_q, far from where
// GMRES needs its 100 products; capping it here took the flip-flop benchmark's first pass
// from 1.9 s to 1.2 s with the same Newton steps.
constexpr int kFirstPassKrylov = 20;

// Levenberg-Marquardt's leftovers are grouped this many times as widely as the second pass's
// states (cluster_radius). Within a group each run may take a minimum an earlier run reached
// (levenberg_marquardt_cluster); across groups runs are independent, and in the generator's
// search 32 of its 120 runs were group centres that ended where a run of another group had
// (10 with groups 4x wider, the same points found). With the largest groups first (else the
// fewer, larger groups left one thread idle at the end): A/B in one session, 2 threads, the
// suite's flip-flop median 3.68 -> 3.58 s, worst 10.04 -> 9.48 s, the generator 0.93-0.98x.
constexpr double kLeftoverReach = 4;

// A run of a group also takes the minimum an earlier run of its group reached where it is
// following that run's way there (follows): within kTrailWidth of one of that run's steps, as a
// fraction of the step's length, moving within arccos(kTrailAlignment) of its direction. In
// the generator's test-run search half of the LM steps were taken by runs walking the same
// valley (its limit cycle) as an earlier run, 16 steps each (median) before the straight path
// to its end descended: its steps 2,193 -> 1,592; two A/Bs of 2 rounds each, 2 threads: the
// generator's searches 0.78-0.86x, the flip-flop searches the same within the noise (median
// -6 % and +4 %), the same points, bit for bit, in all 20 searches at N = 1000 and at
// N = 2000, 4000 and the PyTorch RNN (docs/mathematics.md, Finding the points: slow points).
constexpr double kTrailWidth = 0.25;
constexpr double kTrailAlignment = 0.8;

namespace detail {

// Newton's first pass for `rows` of `into`, on the system `on`, in blocks of rows of like
// effort (by_effort): q at their starts, the largest first (far from every fixed point, the
// most Newton steps; Spearman's correlation 0.7-0.9 with the steps from test-run starts, ~0
// with noisy ones). The suite's 20 searches against blocks of consecutive rows: median 2.85 ->
// 2.65 s, the points bit for bit the same (benchmarks/SEARCH_LOG.md, session 36).
template <class System, class Result>
Rows first_pass_newton(const System& on, const Rows& rows, const MinimizeOptions& options,
                       int n_jobs, Result& into) {
    if (rows.empty()) return {};
    using Coarse = typename decltype(into.points)::Scalar;
    // q at the starts of `rows` only (the rerun in double has only a few)
    Vector<Coarse> effort = Vector<Coarse>::Zero(into.points.rows());
    effort(rows) = half_squared_norms(on.velocity(into.points(rows, Eigen::all)));
    return minimize_rows(
        on, rows, kBlockRows, n_jobs, into,
        [&](Block<Coarse>& block) { return newton_krylov(on, block, options); }, &effort);
}

// q and |∇q| at every row of `result`, in blocks of kBlockRows rows fixed by index on n_jobs
// threads (one thread took ~35 ms of a search for 256 rows at N = 1000 while the others idled).
template <typename Scalar, class System>
void evaluate_rows(const System& system, int n_jobs, MinimizeResult<Scalar>& result) {
    const Eigen::Index count = result.points.rows();
    result.q.resize(count);
    result.gradient_norm.resize(count);
    const std::size_t blocks = std::size_t((count + kBlockRows - 1) / kBlockRows);
    parallel_for(blocks, n_jobs, [&](std::size_t b) {
        const Eigen::Index first = Eigen::Index(b) * kBlockRows;
        const Eigen::Index rows = std::min(kBlockRows, count - first);
        const Block<Scalar> at(system, result.points.middleRows(first, rows));
        result.q.segment(first, rows) = at.q;
        result.gradient_norm.segment(first, rows) = at.gradient.rowwise().norm();
    });
}

// Newton's first pass when a second one follows. It only has to bring q under cluster_q
// (|F| ≈ 0.1, far above float's rounding), so for double it runs in float, where its products,
// nearly all of its cost, take half the time. The points then go on in Scalar: q and ∇q are
// evaluated there, a row the pass did not move keeps its starting point exactly, and a row that
// met a non-finite value in float (weights or states beyond float's range) runs the pass again
// in Scalar. Returns the rows it leaves unfinished, ascending.
template <typename Scalar, class System>
Rows coarse_first_pass(const System& system, const Rows& all, const MinimizeOptions& options,
                       int n_jobs, MinimizeResult<Scalar>& result) {
    if constexpr (!std::is_same_v<Scalar, double>) {
        return first_pass_newton(system, all, options, n_jobs, result);
    } else {
        const Eigen::Index count = result.points.rows();
        const RowMatrix<float> starts = result.points.template cast<float>();
        MinimizeResult<float> coarse{starts, Vector<float>(count), Vector<float>(count),
                                     result.iterations, result.reason};
        const Rows unfinished_in_float =
            first_pass_newton(system.template cast<float>(), all, options, n_jobs, coarse);
        Rows again, unfinished;  // the rows run again count by their rerun
        for (const Eigen::Index i : unfinished_in_float)
            if (coarse.reason(i) != int(StopReason::NonFinite)) unfinished.push_back(i);
        for (Eigen::Index i = 0; i < count; ++i) {
            if (coarse.reason(i) == int(StopReason::NonFinite)) {
                again.push_back(i);
                continue;
            }
            if ((coarse.points.row(i).array() != starts.row(i).array()).any())
                result.points.row(i) = coarse.points.row(i).template cast<Scalar>();
            result.iterations(i) = coarse.iterations(i);
            result.reason(i) = coarse.reason(i);
        }
        evaluate_rows(system, n_jobs, result);
        return sorted_union(
            {unfinished, first_pass_newton(system, again, options, n_jobs, result)});
    }
}

// Whether q falls strictly from `start` (where q is q_start) through kSamples - 1 evenly
// spaced points of the straight path to `end`, and on to `end` itself (q_end). The first
// sample is tried alone: 95 % of the paths that failed in the generator's search failed
// there, at a seventh of the cost.
template <typename Scalar, class System, class Start, class End>
bool descends(const System& system, const Start& start, Scalar q_start, const End& end,
              Scalar q_end) {
    constexpr int kSamples = 8;
    if (!(q_end < q_start)) return false;
    RowMatrix<Scalar> path(kSamples - 1, start.size());
    for (int k = 1; k < kSamples; ++k)
        path.row(k - 1) = start + (Scalar(k) / Scalar(kSamples)) * (end - start);
    const Scalar first = half_squared_norms(system.velocity(path.topRows(1)))(0);
    if (!(first < q_start)) return false;
    const Vector<Scalar> q = half_squared_norms(system.velocity(path.bottomRows(kSamples - 2)));
    Scalar previous = first;
    for (Eigen::Index k = 0; k < q.size(); ++k) {
        if (!(q(k) < previous)) return false;
        previous = q(k);
    }
    return q_end < previous;
}

// The way a Levenberg-Marquardt run went: its start and the points of its accepted steps, q at
// each, and the row holding the minimum it ended at (its own, or one it took from its group).
// A group keeps its runs' ways until it is done: 8 N bytes a step, ~11 MB for the largest group
// of the generator's search (67 runs).
template <typename Scalar>
struct Trail {
    std::vector<Vector<Scalar>> points;
    std::vector<Scalar> q;
    Eigen::Index end = -1;
};

// Whether a run now at `x` (q there `q`), whose last step was `step`, is following `trail`:
// near one of its steps (within kTrailWidth of that step's length from the segment), moving
// its way (the cosine between the two steps at least kTrailAlignment), and q falling all along
// the straight path to that step's end (descends).
template <typename Scalar, class System, class Point>
bool follows(const System& system, const Point& x, Scalar q, const Vector<Scalar>& step,
             const Trail<Scalar>& trail) {
    const Scalar step_norm = step.norm();
    Vector<Scalar> segment, offset;  // reused: no allocation a segment
    for (std::size_t k = 0; k + 1 < trail.points.size(); ++k) {
        if (!(trail.q[k + 1] < q)) continue;
        const Vector<Scalar>& from = trail.points[k];
        const Vector<Scalar>& to = trail.points[k + 1];
        segment = to - from;
        const Scalar length2 = segment.squaredNorm();
        if (!(length2 > 0)) continue;
        if (step.dot(segment) < Scalar(kTrailAlignment) * step_norm * std::sqrt(length2)) continue;
        // the squared distance from x to the segment from `from` to `to`
        offset = x.transpose() - from;
        const Scalar along = offset.dot(segment);
        const Scalar t = std::clamp(along / length2, Scalar(0), Scalar(1));
        const Scalar off2 = offset.squaredNorm() - 2 * t * along + t * t * length2;
        if (off2 > Scalar(kTrailWidth * kTrailWidth) * length2) continue;
        if (descends(system, x, q, to.transpose(), trail.q[k + 1])) return true;
    }
    return false;
}

// Levenberg-Marquardt for a cluster of the first pass's leftovers, a row at a time: the centre
// first; then each other member takes a minimum of q that its cluster has reached as soon as q
// falls all along the straight path to it (descends), at its start or after any step, or as
// soon as it follows the way an earlier run of the cluster took to its end (follows), else
// runs on to its own end. Leftovers near each other mostly head for the same slow point, where
// each would need tens of Cholesky steps.
template <typename Scalar, class System>
void levenberg_marquardt_cluster(const System& system, const Cluster& cluster,
                                 const MinimizeOptions& options, MinimizeResult<Scalar>& result) {
    Rows reached;                       // members that ended at a fixed point or a minimum of q
    std::vector<Trail<Scalar>> trails;  // the ways of the runs that ended at one
    auto joinable = [&](const auto& x, Scalar q) -> Eigen::Index {
        for (const Eigen::Index to : reached)
            if (descends(system, x, q, result.points.row(to), result.q(to))) return to;
        return -1;
    };
    auto take = [&](Eigen::Index row, Eigen::Index to) {
        result.points.row(row) = result.points.row(to);
        result.q(row) = result.q(to);
        result.gradient_norm(row) = result.gradient_norm(to);
        result.reason(row) = result.reason(to);
    };
    Rows order{cluster.center};
    for (const Eigen::Index row : cluster.members)
        if (row != cluster.center) order.push_back(row);
    for (const Eigen::Index row : order) {
        Trail<Scalar> way{{result.points.row(row).transpose()}, {result.q(row)}};
        way.end = joinable(result.points.row(row), result.q(row));
        if (way.end >= 0) {
            take(row, way.end);
            continue;
        }
        auto joins = [&](const Block<Scalar>& block, Eigen::Index i) {
            way.end = joinable(block.X.row(i), block.q(i));
            if (way.end >= 0) return true;
            const Vector<Scalar> step = block.X.row(i).transpose() - way.points.back();
            for (std::size_t t = 0; way.end < 0 && t < trails.size(); ++t)
                if (follows(system, block.X.row(i), block.q(i), step, trails[t]))
                    way.end = trails[t].end;
            if (way.end >= 0) return true;
            way.points.push_back(block.X.row(i).transpose());
            way.q.push_back(block.q(i));
            return false;
        };
        minimize_block(system, {row}, result, [&](Block<Scalar>& block) {
            levenberg_marquardt(system, block, options, joins);
        });
        if (way.end >= 0) {
            take(row, way.end);
        } else if (result.reason(row) <= int(StopReason::StepTolerance)) {
            reached.push_back(row);
            way.end = row;
        }
        if (way.end >= 0) trails.push_back(std::move(way));
    }
}

// A task of the second pass: members of one cluster, at most kBlockRows of them.
struct ClusterTask {
    std::size_t cluster;
    Rows members;
};

inline std::vector<ClusterTask> cluster_tasks(const std::vector<Cluster>& clusters) {
    std::vector<ClusterTask> tasks;
    for (std::size_t c = 0; c < clusters.size(); ++c) {
        const Rows& members = clusters[c].members;
        for (std::size_t first = 0; first < members.size(); first += std::size_t(kBlockRows)) {
            const std::size_t last = std::min(members.size(), first + std::size_t(kBlockRows));
            tasks.push_back({c, Rows(members.begin() + first, members.begin() + last)});
        }
    }
    return tasks;
}

// newton_krylov with a budget of newton_iter steps of its own (within max_iter), the block's
// iteration counts going on from where they were.
template <typename Scalar, class System, class Preconditioner>
Rows newton_afresh(const System& system, Block<Scalar>& block, const MinimizeOptions& options,
                   const Preconditioner& precondition) {
    const std::vector<int> before = block.iterations;
    const int most = *std::max_element(before.begin(), before.end());
    MinimizeOptions fresh = options;
    fresh.max_iter = std::max(0, options.max_iter - most);
    std::fill(block.iterations.begin(), block.iterations.end(), 0);
    const Rows left = newton_krylov(system, block, fresh, precondition);
    for (std::size_t k = 0; k < before.size(); ++k) block.iterations[k] += before[k];
    return left;
}

// Newton's second pass for `rows` (q <= options.cluster_q), grouped by cluster_rows, each block
// of a group preconditioned by the LU at the group's center (shared_preconditioner.hpp), with a
// budget of newton_iter steps of its own (newton_afresh). Levenberg-Marquardt for the first
// pass's leftovers `stragglers` runs in the same thread pool, one task per cluster of them
// (levenberg_marquardt_cluster), handed out first (they take longest), so neither waits for the
// other. Returns the rows the Newton tasks leave unfinished, ascending.
template <typename Scalar, class System>
Rows second_pass(const System& system, const Rows& rows, const Rows& stragglers,
                 const MinimizeOptions& options, int n_jobs, MinimizeResult<Scalar>& result) {
    const std::vector<Cluster> clusters =
        cluster_rows(result.points, result.q, rows, options.cluster_radius);
    RowMatrix<Scalar> centers(Eigen::Index(clusters.size()), system.size());
    for (std::size_t c = 0; c < clusters.size(); ++c)  // before any moves
        centers.row(Eigen::Index(c)) = result.points.row(clusters[c].center);
    // the largest tasks first (their order changes nothing but the threads' balance: a task's
    // rows and its cluster's LU are the same whenever it runs)
    std::vector<ClusterTask> tasks = cluster_tasks(clusters);
    std::stable_sort(tasks.begin(), tasks.end(), [](const ClusterTask& a, const ClusterTask& b) {
        return a.members.size() > b.members.size();
    });
    // one factorisation per cluster, by the first of its tasks to start (a cluster of more than
    // kBlockRows members has several)
    std::vector<std::unique_ptr<const DenseLuPreconditioner<Scalar>>> factors(clusters.size());
    std::vector<std::once_flag> factored(clusters.size());
    // a cluster's LU is freed by its last task (N² floats each: at large N, all of them at
    // once would not fit in memory)
    std::vector<std::atomic<std::size_t>> waiting(clusters.size());
    for (const ClusterTask& task : tasks) ++waiting[task.cluster];
    std::vector<Rows> unfinished(tasks.size());  // by task, each written by one thread
    auto newton = [&](std::size_t t) {
        const std::size_t c = tasks[t].cluster;
        std::call_once(factored[c], [&] {
            factors[c] = std::make_unique<const DenseLuPreconditioner<Scalar>>(
                system, RowMatrix<Scalar>(centers.row(Eigen::Index(c))));
        });
        unfinished[t] = minimize_block(system, tasks[t].members, result, [&](Block<Scalar>& b) {
            return newton_afresh(system, b, options, *factors[c]);
        });
        if (--waiting[c] == 0) factors[c].reset();
    };
    std::vector<Cluster> leftovers =
        cluster_rows(result.points, result.q, stragglers, kLeftoverReach * options.cluster_radius);
    // the largest groups first: theirs are the longest tasks (groups are independent, so the
    // order changes nothing but the threads' balance)
    std::stable_sort(leftovers.begin(), leftovers.end(), [](const Cluster& a, const Cluster& b) {
        return a.members.size() > b.members.size();
    });
    parallel_for(leftovers.size() + tasks.size(), n_jobs, [&](std::size_t t) {
        if (t >= leftovers.size()) return newton(t - leftovers.size());
        levenberg_marquardt_cluster(system, leftovers[t], options, result);
    });
    return sorted_union(unfinished);
}

// What Newton leaves goes on by a method that converges at slow points: Levenberg-Marquardt
// a row at a time up to kDenseFallbackLimit, trust-ncg in blocks above it.
template <typename Scalar, class System>
void finish_leftovers(const System& system, const Rows& left, const MinimizeOptions& options,
                      int n_jobs, MinimizeResult<Scalar>& result) {
    if (system.size() <= kDenseFallbackLimit) {
        minimize_rows(system, left, 1, n_jobs, result,
                      [&](Block<Scalar>& block) { levenberg_marquardt(system, block, options); });
    } else {
        minimize_rows(system, left, kBlockRows, n_jobs, result,
                      [&](Block<Scalar>& block) { trust_ncg(system, block, options); });
    }
}

// Newton from every row of `result`: two passes where they apply (N <= kDenseFallbackLimit
// and cluster_q > tol_q), else one with `options` as they are; then finish_leftovers.
template <typename Scalar, class System>
void newton_strategy(const System& system, const MinimizeOptions& options, int n_jobs,
                     MinimizeResult<Scalar>& result) {
    const Rows all = all_rows(result.points.rows());
    const bool two_passes =
        options.cluster_q > options.tol_q && system.size() <= kDenseFallbackLimit;
    if (!two_passes) {
        const Rows left = minimize_rows(
            system, all, kBlockRows, n_jobs, result,
            [&](Block<Scalar>& block) { return newton_krylov(system, block, options); });
        return finish_leftovers(system, left, options, n_jobs, result);
    }
    MinimizeOptions first_pass = options;
    first_pass.tol_q = options.cluster_q;
    first_pass.max_krylov = std::min(options.max_krylov, kFirstPassKrylov);
    const Rows stragglers = coarse_first_pass(system, all, first_pass, n_jobs, result);
    Rows close;  // stopped by the first pass's tol_q only (the stragglers stopped otherwise)
    for (const Eigen::Index i : all)
        if (result.reason(i) == int(StopReason::QTolerance) && result.q(i) > options.tol_q)
            close.push_back(i);
    const Rows left = second_pass(system, close, stragglers, options, n_jobs, result);
    finish_leftovers(system, left, options, n_jobs, result);
}

}  // namespace detail

}  // namespace rnndyn
