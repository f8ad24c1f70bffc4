// A block of states minimised together, the unit every q-minimiser works on: its states with
// their q and derivatives, which are still active, and the checks that end them; and the run of
// a minimiser over many states, block by block on threads, into a MinimizeResult.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "options.hpp"
#include "parallel.hpp"
#include "systems.hpp"
#include "types.hpp"

namespace rnndyn {

// The state of a block of m points being minimised together (rows of X).
template <typename Scalar>
struct Block {
    using Matrix = RowMatrix<Scalar>;
    Matrix X, F, gradient;
    Linearization<Scalar> lin;
    Vector<Scalar> q;
    std::vector<int> iterations, reason;
    Rows active;  // rows still being minimised

    template <class System>
    Block(const System& system, Matrix start) : X(std::move(start)) {
        F = system.velocity(X);
        lin = system.linearize(X, F, gradient);
        q = half_squared_norms(F);
        iterations.assign(X.rows(), 0);
        reason.assign(X.rows(), -1);
        for (Eigen::Index i = 0; i < X.rows(); ++i) active.push_back(i);
    }

    // Re-evaluate rows (after they moved) and refresh their derivatives.
    template <class System>
    void refresh(const System& system, const Rows& rows, const Matrix& F_rows) {
        if (rows.empty()) return;
        Matrix part_gradient;
        const Matrix X_rows = X(rows, Eigen::all);
        lin.assign(rows, system.linearize(X_rows, F_rows, part_gradient));
        F(rows, Eigen::all) = F_rows;
        gradient(rows, Eigen::all) = part_gradient;
        q(rows) = half_squared_norms(F_rows);
    }

    // Ends rows whose q, gradient or iteration count says so; keeps the rest active.
    void retire_converged(const MinimizeOptions& options) {
        options.poll();
        Rows still;
        for (Eigen::Index i : active) {
            const Scalar g = gradient.row(i).norm();
            if (!std::isfinite(q(i)) || !std::isfinite(g)) {
                reason[i] = int(StopReason::NonFinite);
            } else if (q(i) <= Scalar(options.tol_q)) {
                reason[i] = int(StopReason::QTolerance);
            } else if (g <= Scalar(options.tol_grad)) {
                reason[i] = int(StopReason::GradientTolerance);
            } else if (iterations[i] >= options.max_iter) {
                reason[i] = int(StopReason::IterationLimit);
            } else {
                still.push_back(i);
            }
        }
        active.swap(still);
    }

    void retire(Eigen::Index row, StopReason why) { reason[row] = int(why); }

    // Makes ended rows active again (for a second method to go on from where they are).
    void reopen(const Rows& rows) {
        for (Eigen::Index i : rows) reason[i] = -1;
        active = rows;
    }

    // The end of a batched iteration: rows `moved` take their accepted trial points (rows
    // `local` of `trial` and `F_trial`), then finished rows leave the active set.
    template <class System>
    void accept_and_retire(const System& system, const Rows& moved, const Rows& local,
                           const Matrix& trial, const Matrix& F_trial,
                           const MinimizeOptions& options) {
        if (!moved.empty()) {
            X(moved, Eigen::all) = trial(local, Eigen::all);
            refresh(system, moved, F_trial(local, Eigen::all));
        }
        drop_retired();
        retire_converged(options);
    }

    // Drops rows that `retire` has ended.
    void drop_retired() {
        Rows still;
        for (Eigen::Index i : active)
            if (reason[i] < 0) still.push_back(i);
        active.swap(still);
    }

    bool step_too_small(Eigen::Index row, Scalar step_norm, const MinimizeOptions& options) const {
        return step_norm <= Scalar(options.tol_step) * (Scalar(1) + X.row(row).norm());
    }
};

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

namespace detail {

inline Rows all_rows(Eigen::Index count) {
    Rows all(static_cast<std::size_t>(count));
    for (Eigen::Index i = 0; i < count; ++i) all[std::size_t(i)] = i;
    return all;
}

// The rows of every part in one ascending list: rows that blocks on several threads handed
// back, in an order that does not depend on which thread finished first.
inline Rows sorted_union(const std::vector<Rows>& parts) {
    Rows all;
    for (const Rows& part : parts) all.insert(all.end(), part.begin(), part.end());
    std::sort(all.begin(), all.end());
    return all;
}

// Minimises the rows `mine` of `result` together, from where they are, iterations counted
// on: `minimizer(block)`, then writes them back. A minimizer may return the rows of the block
// it leaves unfinished (newton_krylov does); they come back as rows of `result`.
template <typename Scalar, class System, class Minimizer>
Rows minimize_block(const System& system, const Rows& mine, MinimizeResult<Scalar>& result,
                    Minimizer&& minimizer) {
    Block<Scalar> block(system, result.points(mine, Eigen::all));
    for (std::size_t k = 0; k < mine.size(); ++k) block.iterations[k] = result.iterations(mine[k]);
    Rows unfinished;
    if constexpr (std::is_void_v<std::invoke_result_t<Minimizer&, Block<Scalar>&>>) {
        minimizer(block);
    } else {
        for (const Eigen::Index i : minimizer(block)) unfinished.push_back(mine[std::size_t(i)]);
    }
    for (std::size_t k = 0; k < mine.size(); ++k) {
        const Eigen::Index i = mine[k], local = Eigen::Index(k);
        result.points.row(i) = block.X.row(local);
        result.q(i) = block.q(local);
        result.gradient_norm(i) = block.gradient.row(local).norm();
        result.iterations(i) = block.iterations[k];
        result.reason(i) = block.reason[k];
    }
    return unfinished;
}

// `rows` in decreasing order of `effort` (one value per row of the result; NaN counts as the
// largest), ties in their given order; as given without `effort`. Cut into blocks, the sorted
// rows make blocks of like effort: a block's rows finish together (its products stay batched)
// and the slowest blocks are handed out first, the short ones last. A row's steps do not depend
// on the other rows of its block, so the order changes only the time.
template <typename Scalar>
Rows by_effort(const Rows& rows, const Vector<Scalar>* effort) {
    Rows sorted = rows;
    if (effort == nullptr) return sorted;
    auto key = [&](Eigen::Index i) {
        const Scalar e = (*effort)(i);
        return std::isnan(e) ? std::numeric_limits<Scalar>::infinity() : e;
    };
    std::stable_sort(sorted.begin(), sorted.end(),
                     [&](Eigen::Index a, Eigen::Index b) { return key(a) > key(b); });
    return sorted;
}

// Minimises the rows `rows` of `result`, `block_rows` at a time (blocks go to threads, cut from
// the rows in by_effort's order); returns the rows the minimizer left unfinished, ascending.
template <typename Scalar, class System, class Minimizer>
Rows minimize_rows(const System& system, const Rows& rows, Eigen::Index block_rows, int n_jobs,
                   MinimizeResult<Scalar>& result, Minimizer&& minimizer,
                   const Vector<Scalar>* effort = nullptr) {
    const Eigen::Index count = Eigen::Index(rows.size());
    const Rows ordered = by_effort(rows, effort);
    const std::size_t blocks = std::size_t((count + block_rows - 1) / block_rows);
    std::vector<Rows> unfinished(blocks);  // by block, each written by one thread
    parallel_for(blocks, n_jobs, [&](std::size_t b) {
        const Eigen::Index first = Eigen::Index(b) * block_rows;
        const Rows mine(ordered.begin() + first,
                        ordered.begin() + std::min(count, first + block_rows));
        unfinished[b] = minimize_block(system, mine, result, minimizer);
    });
    return sorted_union(unfinished);
}

}  // namespace detail

}  // namespace rnndyn
