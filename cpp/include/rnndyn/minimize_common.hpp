// What every q-minimiser shares: options, stop reasons, per-block results and stop checks.
#pragma once

#include <cmath>
#include <functional>
#include <stdexcept>
#include <vector>

#include "systems.hpp"
#include "types.hpp"

namespace rnndyn {

// Why the minimisation of one state ended (the numbers cross into Python).
enum class StopReason : int {
    QTolerance = 0,         // q <= tol_q: a fixed point
    GradientTolerance = 1,  // |∇q| <= tol_grad: a local minimum of q (a slow point if q > 0)
    StepTolerance = 2,      // no step of relative size >= tol_step lowers q any more
    IterationLimit = 3,     // max_iter reached
    NonFinite = 4,          // q or ∇q became NaN or inf
};

// Thrown when MinimizeOptions::interrupted says to stop (Ctrl-C in Python).
struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("minimisation interrupted") {}
};

struct MinimizeOptions {
    double tol_q = 1e-20;
    double tol_grad = 1e-14;
    double tol_step = 1e-14;  // relative to 1 + |x|
    int max_iter = 500;
    int max_inner = 250;          // trust-ncg: CG iterations per step; cg: line-search trials
    bool exact_hessian = true;    // trust-ncg: exact Hessian products, else Gauss-Newton
    double initial_radius = 1.0;  // trust-ncg
    double learning_rate = 1.0;   // adam
    int max_krylov = 100;         // newton: GMRES iterations per step
    int newton_iter = 30;         // newton: steps before the fallback (minimizers.hpp) takes over
    // newton, N <= 2000: states with q below `cluster_q` finish with a dense LU preconditioner
    // shared by those within `cluster_radius` (1 + |x|) of each other (0 turns this off)
    double cluster_q = 1e-2;
    double cluster_radius = 0.1;
    // Asked once per iteration of every minimiser, from every thread; true ends the whole
    // minimisation by Interrupted. Empty: never.
    std::function<bool()> interrupted;

    void poll() const {
        if (interrupted && interrupted()) throw Interrupted();
    }

    void check() const {
        auto require = [](bool ok, const char* what) {
            if (!ok) throw std::invalid_argument(what);
        };
        require(tol_q >= 0 && std::isfinite(tol_q), "tol_q must be finite and >= 0");
        require(tol_grad >= 0 && std::isfinite(tol_grad), "tol_grad must be finite and >= 0");
        require(tol_step >= 0 && std::isfinite(tol_step), "tol_step must be finite and >= 0");
        require(max_iter >= 0, "max_iter must be >= 0");
        require(max_inner >= 1, "max_inner must be >= 1");
        require(max_krylov >= 1, "max_krylov must be >= 1");
        require(newton_iter >= 0, "newton_iter must be >= 0");
        require(cluster_q >= 0 && std::isfinite(cluster_q), "cluster_q must be finite and >= 0");
        require(cluster_radius >= 0 && std::isfinite(cluster_radius),
                "cluster_radius must be finite and >= 0");
        require(initial_radius > 0 && std::isfinite(initial_radius),
                "initial_radius must be finite and > 0");
        require(learning_rate > 0 && std::isfinite(learning_rate),
                "learning_rate must be finite and > 0");
    }
};

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
