// A block of states minimised together, the unit every q-minimiser works on: its states with
// their q and derivatives, which are still active, and the checks that end them.
#pragma once

#include <cmath>
#include <vector>

#include "options.hpp"
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

}  // namespace rnndyn
