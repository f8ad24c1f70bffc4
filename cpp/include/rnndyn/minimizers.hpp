// Minimising q from many starting points: the methods, and the split of the points into fixed
// blocks that threads share (DESIGN.md: fixed points).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "adam.hpp"
#include "block.hpp"
#include "levenberg_marquardt.hpp"
#include "newton_krylov.hpp"
#include "nonlinear_cg.hpp"
#include "parallel.hpp"
#include "shared_preconditioner.hpp"
#include "trust_ncg.hpp"

namespace rnndyn {

// Results for K points: final points (K x N), q, |∇q|, iterations and StopReason codes.
template <typename Scalar>
struct MinimizeResult {
    RowMatrix<Scalar> points;
    Vector<Scalar> q, gradient_norm;
    Eigen::VectorXi iterations, reason;
};

// Points are split into blocks of `kBlockRows` consecutive rows that are minimised together
// (their products batched); blocks go to threads. The split does not depend on n_jobs, so
// neither do the results, bit for bit.
constexpr Eigen::Index kBlockRows = 32;

// Up to this N, the points Newton leaves go on by Levenberg-Marquardt (dense JᵀJ, one point
// per task: ~45 Cholesky steps reach a slow point where trust-ncg takes 150+ steps of hundreds
// of products each); above it by trust-ncg, in blocks gathered from every first-pass block.
constexpr Eigen::Index kDenseFallbackLimit = 2000;

// The first of the two Newton passes only has to bring q under cluster_q, far from where
// GMRES needs its 100 products; capping it here took the flip-flop benchmark's first pass
// from 1.9 s to 1.2 s with the same Newton steps.
constexpr int kFirstPassKrylov = 20;

namespace detail {

// Minimises the rows `mine` of `result` together, from where they are, iterations counted
// on: `minimizer(block, mine)`, then writes them back.
template <typename Scalar, class System, class Minimizer>
void minimize_block(const System& system, const Rows& mine, MinimizeResult<Scalar>& result,
                    Minimizer&& minimizer) {
    Block<Scalar> block(system, result.points(mine, Eigen::all));
    for (std::size_t k = 0; k < mine.size(); ++k) block.iterations[k] = result.iterations(mine[k]);
    minimizer(block, mine);
    for (std::size_t k = 0; k < mine.size(); ++k) {
        const Eigen::Index i = mine[k], local = Eigen::Index(k);
        result.points.row(i) = block.X.row(local);
        result.q(i) = block.q(local);
        result.gradient_norm(i) = block.gradient.row(local).norm();
        result.iterations(i) = block.iterations[k];
        result.reason(i) = block.reason[k];
    }
}

// Minimises the rows `rows` of `result`, `block_rows` at a time (blocks go to threads). With
// `effort` (one value per row of `result`), blocks are handed out in decreasing order of their
// largest effort, so that a slow block does not start last and leave one thread at work.
template <typename Scalar, class System, class Minimizer>
void minimize_rows(const System& system, const Rows& rows, Eigen::Index block_rows, int n_jobs,
                   MinimizeResult<Scalar>& result, Minimizer&& minimizer,
                   const Vector<Scalar>* effort = nullptr) {
    const Eigen::Index count = Eigen::Index(rows.size());
    const std::size_t blocks = std::size_t((count + block_rows - 1) / block_rows);
    std::vector<std::size_t> order(blocks);
    std::vector<Scalar> largest(blocks, Scalar(0));
    for (std::size_t b = 0; b < blocks; ++b) {
        order[b] = b;
        if (effort == nullptr) continue;
        const Eigen::Index first = Eigen::Index(b) * block_rows;
        for (Eigen::Index k = first; k < std::min(count, first + block_rows); ++k) {
            const Scalar e = (*effort)(rows[std::size_t(k)]);  // NaN counts as largest
            if (!(e <= largest[b]))
                largest[b] = std::isnan(e) ? std::numeric_limits<Scalar>::infinity() : e;
        }
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return largest[a] > largest[b]; });
    parallel_for(blocks, n_jobs, [&](std::size_t turn) {
        const std::size_t b = order[turn];
        const Eigen::Index first = Eigen::Index(b) * block_rows;
        const Rows mine(rows.begin() + first, rows.begin() + std::min(count, first + block_rows));
        minimize_block(system, mine, result, minimizer);
    });
}

// Newton's first pass when a second one follows (`clustered` in minimize). It only has to bring
// q under cluster_q (|F| ≈ 0.1, far above float's rounding), so for double it runs in float,
// where its products, nearly all of its cost, take half the time. The points then go on in
// Scalar: q and ∇q are evaluated there, a row the pass did not move keeps its starting point
// exactly, and a row that met a non-finite value in float (weights or states beyond float's
// range) runs the pass again in Scalar. Rows it leaves unfinished are flagged in `unfinished`.
template <typename Scalar, class System>
void coarse_first_pass(const System& system, const Rows& all, const MinimizeOptions& options,
                       int n_jobs, MinimizeResult<Scalar>& result, std::vector<char>& unfinished) {
    auto newton = [&](const auto& on, const Rows& rows, auto& into) {
        if (rows.empty()) return;
        // q at the starts of `rows` (the rerun in Scalar has only a few): the slowest blocks
        // (far from every fixed point: the most Newton steps) are handed out first
        using Coarse = typename std::decay_t<decltype(into.points)>::Scalar;
        Vector<Coarse> effort = Vector<Coarse>::Zero(into.points.rows());
        effort(rows) = half_squared_norms(on.velocity(into.points(rows, Eigen::all)));
        minimize_rows(
            on, rows, kBlockRows, n_jobs, into,
            [&](auto& block, const Rows& mine) {
                for (const Eigen::Index i : newton_krylov(on, block, options))
                    unfinished[std::size_t(mine[std::size_t(i)])] = 1;
            },
            &effort);
    };
    if constexpr (!std::is_same_v<Scalar, double>) {
        newton(system, all, result);
    } else {
        const Eigen::Index count = result.points.rows();
        const RowMatrix<float> starts = result.points.template cast<float>();
        MinimizeResult<float> coarse{starts, Vector<float>(count), Vector<float>(count),
                                     result.iterations, result.reason};
        newton(system.template cast<float>(), all, coarse);
        Rows again;
        for (Eigen::Index i = 0; i < count; ++i) {
            if (coarse.reason(i) == int(StopReason::NonFinite)) {
                again.push_back(i);
                unfinished[std::size_t(i)] = 0;
                continue;
            }
            if ((coarse.points.row(i).array() != starts.row(i).array()).any())
                result.points.row(i) = coarse.points.row(i).template cast<Scalar>();
            result.iterations(i) = coarse.iterations(i);
            result.reason(i) = coarse.reason(i);
        }
        const Block<Scalar> at(system, result.points);
        result.q = at.q;
        result.gradient_norm = at.gradient.rowwise().norm();
        newton(system, again, result);
    }
}

// Whether q falls strictly from row `from` of `result` through kSamples - 1 evenly spaced points
// of the straight path to row `to`, and on to `to` itself.
template <typename Scalar, class System>
bool descends_to(const System& system, const MinimizeResult<Scalar>& result, Eigen::Index from,
                 Eigen::Index to) {
    constexpr int kSamples = 8;
    const auto start = result.points.row(from), end = result.points.row(to);
    RowMatrix<Scalar> path(kSamples - 1, start.size());
    for (int k = 1; k < kSamples; ++k)
        path.row(k - 1) = start + (Scalar(k) / Scalar(kSamples)) * (end - start);
    const Vector<Scalar> q = half_squared_norms(system.velocity(path));
    Scalar previous = result.q(from);
    for (Eigen::Index k = 0; k < q.size(); ++k) {
        if (!(q(k) < previous)) return false;
        previous = q(k);
    }
    return result.q(to) < previous;
}

// Levenberg-Marquardt for a cluster of the first pass's leftovers, a row at a time: the centre
// first; then each other member takes a minimum of q that its cluster has reached if q falls
// all along the straight path to it (descends_to), else runs on its own. Leftovers near each
// other mostly head for the same slow point, where each would need tens of Cholesky steps.
template <typename Scalar, class System>
void levenberg_marquardt_cluster(const System& system, const Cluster& cluster,
                                 const MinimizeOptions& options, MinimizeResult<Scalar>& result) {
    Rows reached;  // members that ended at a fixed point or a minimum of q
    auto run = [&](Eigen::Index row) {
        minimize_block(system, {row}, result, [&](Block<Scalar>& block, auto&) {
            levenberg_marquardt(system, block, options);
        });
        if (result.reason(row) <= int(StopReason::StepTolerance)) reached.push_back(row);
    };
    run(cluster.center);
    for (const Eigen::Index row : cluster.members) {
        if (row == cluster.center) continue;
        const auto joined = std::find_if(reached.begin(), reached.end(), [&](Eigen::Index to) {
            return descends_to(system, result, row, to);
        });
        if (joined == reached.end()) {
            run(row);
            continue;
        }
        result.points.row(row) = result.points.row(*joined);
        result.q(row) = result.q(*joined);
        result.gradient_norm(row) = result.gradient_norm(*joined);
        result.reason(row) = result.reason(*joined);
    }
}

// Newton's second pass for `rows` (q <= options.cluster_q), grouped by cluster_rows, each block
// of a group preconditioned by the LU at the group's center (shared_preconditioner.hpp), with a
// budget of newton_iter steps of its own; rows it leaves unfinished are flagged in `unfinished`.
// Levenberg-Marquardt for the first pass's leftovers `stragglers` runs in the same thread pool,
// one task per cluster of them (levenberg_marquardt_cluster), handed out first (they take
// longest), so neither waits for the other.
template <typename Scalar, class System>
void second_pass(const System& system, const Rows& rows, const Rows& stragglers,
                 const MinimizeOptions& options, int n_jobs, MinimizeResult<Scalar>& result,
                 std::vector<char>& unfinished) {
    struct Task {
        Eigen::Index center;  // row of `centers`
        Rows members;
    };
    const std::vector<Cluster> clusters =
        cluster_rows(result.points, result.q, rows, options.cluster_radius);
    RowMatrix<Scalar> centers(Eigen::Index(clusters.size()), system.size());
    std::vector<Task> tasks;
    for (std::size_t c = 0; c < clusters.size(); ++c) {
        centers.row(Eigen::Index(c)) = result.points.row(clusters[c].center);  // before any moves
        const Rows& members = clusters[c].members;
        for (std::size_t first = 0; first < members.size(); first += std::size_t(kBlockRows)) {
            const std::size_t last = std::min(members.size(), first + std::size_t(kBlockRows));
            tasks.push_back(
                {Eigen::Index(c), Rows(members.begin() + first, members.begin() + last)});
        }
    }
    // one factorisation per cluster, by the first of its tasks to start (a cluster of more than
    // kBlockRows members has several)
    std::vector<std::unique_ptr<const DenseLuPreconditioner<Scalar>>> factors(clusters.size());
    std::vector<std::once_flag> factored(clusters.size());
    auto newton = [&](const Task& task) {
        const std::size_t c = std::size_t(task.center);
        std::call_once(factored[c], [&] {
            factors[c] = std::make_unique<const DenseLuPreconditioner<Scalar>>(
                system, RowMatrix<Scalar>(centers.row(task.center)));
        });
        const DenseLuPreconditioner<Scalar>& precondition = *factors[c];
        minimize_block(system, task.members, result, [&](Block<Scalar>& block, const Rows& mine) {
            const std::vector<int> before = block.iterations;
            const int most = *std::max_element(before.begin(), before.end());
            MinimizeOptions fresh = options;  // a budget of its own, within max_iter
            fresh.max_iter = std::max(0, options.max_iter - most);
            std::fill(block.iterations.begin(), block.iterations.end(), 0);
            const Rows left = newton_krylov(system, block, fresh, precondition);
            for (std::size_t k = 0; k < before.size(); ++k) block.iterations[k] += before[k];
            for (const Eigen::Index i : left) unfinished[std::size_t(mine[std::size_t(i)])] = 1;
        });
    };
    const std::vector<Cluster> leftovers =
        cluster_rows(result.points, result.q, stragglers, options.cluster_radius);
    parallel_for(leftovers.size() + tasks.size(), n_jobs, [&](std::size_t t) {
        if (t >= leftovers.size()) return newton(tasks[t - leftovers.size()]);
        levenberg_marquardt_cluster(system, leftovers[t], options, result);
    });
}

}  // namespace detail

template <typename Scalar, class System>
MinimizeResult<Scalar> minimize(const System& system, const ConstMatrixRef<Scalar>& starts,
                                Method method, const MinimizeOptions& options, int n_jobs) {
    options.check();
    if (starts.cols() != system.size()) throw std::invalid_argument("initial states must be K x N");
    if (n_jobs < 1) throw std::invalid_argument("n_jobs must be >= 1");
    const Eigen::Index count = starts.rows();
    MinimizeResult<Scalar> result{starts, Vector<Scalar>(count), Vector<Scalar>(count),
                                  Eigen::VectorXi::Zero(count), Eigen::VectorXi(count)};
    Rows all(static_cast<std::size_t>(count));
    for (Eigen::Index i = 0; i < count; ++i) all[std::size_t(i)] = i;
    std::vector<char> unfinished(std::size_t(count), 0);  // Newton's leftovers, by row
    const bool clustered = method == Method::Newton && options.cluster_q > options.tol_q &&
                           system.size() <= kDenseFallbackLimit;
    MinimizeOptions first_pass = options;
    if (clustered) {
        first_pass.tol_q = options.cluster_q;
        first_pass.max_krylov = std::min(options.max_krylov, kFirstPassKrylov);
    }
    auto one_method = [&](Block<Scalar>& block, const Rows& rows) {
        switch (method) {
            case Method::Newton:
                for (const Eigen::Index i : newton_krylov(system, block, first_pass))
                    unfinished[std::size_t(rows[std::size_t(i)])] = 1;
                break;
            case Method::TrustNcg:
                trust_ncg(system, block, options);
                break;
            case Method::LevenbergMarquardt:
                levenberg_marquardt(system, block, options);
                break;
            case Method::ConjugateGradient:
                nonlinear_cg(system, block, options);
                break;
            case Method::Adam:
                adam(system, block, options);
                break;
        }
    };
    if (clustered) {
        detail::coarse_first_pass(system, all, first_pass, n_jobs, result, unfinished);
    } else {
        detail::minimize_rows(system, all, kBlockRows, n_jobs, result, one_method);
    }
    if (clustered) {
        Rows close, stragglers;  // close: stopped by the first pass's tol_q only
        for (Eigen::Index i = 0; i < count; ++i) {
            if (unfinished[std::size_t(i)]) {
                stragglers.push_back(i);
                unfinished[std::size_t(i)] = 0;
            } else if (result.reason(i) == int(StopReason::QTolerance) &&
                       result.q(i) > options.tol_q) {
                close.push_back(i);
            }
        }
        detail::second_pass(system, close, stragglers, options, n_jobs, result, unfinished);
    }
    Rows left;
    for (Eigen::Index i = 0; i < count; ++i)
        if (unfinished[std::size_t(i)]) left.push_back(i);
    if (system.size() <= kDenseFallbackLimit) {
        detail::minimize_rows(system, left, 1, n_jobs, result, [&](Block<Scalar>& block, auto&) {
            levenberg_marquardt(system, block, options);
        });
    } else {
        detail::minimize_rows(
            system, left, kBlockRows, n_jobs, result,
            [&](Block<Scalar>& block, auto&) { trust_ncg(system, block, options); });
    }
    return result;
}

}  // namespace rnndyn
