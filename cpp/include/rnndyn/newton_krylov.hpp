// Inexact Newton on F itself, batched: each step solves J s = -F by GMRES (one J-product per
// Krylov iteration for all active points), and a dogleg between that step and the Cauchy point
// of q keeps it inside a trust region (Pawlowski, Shadid, Simonis & Walker 2006, "Globalization
// techniques for Newton-Krylov methods"). GMRES works with the conditioning of J, where CG on
// the Hessian of q works with that of JᵀJ: at a flip-flop's fixed points 20-80 products per
// step against 250+. Near a local minimum of q with F ≠ 0 (a slow point) J is nearly singular
// and the Newton step useless; points not done within `newton_iter` steps are handed back for a
// method that converges there (newton_strategy.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "block.hpp"
#include "trust_region.hpp"

namespace rnndyn {

namespace detail {

// For each row i, an approximate solution of J_i s = -F_i with |J_i s + F_i| <= tolerance(i)
// (or the best within `max_krylov` iterations), by GMRES from s = 0 with modified Gram-Schmidt
// and Givens rotations, right-preconditioned: Arnoldi runs on J M⁻¹ and s = M⁻¹ V y, where
// `precondition(V)` applies M⁻¹ to each row of V. Also returns J_i s (from the Arnoldi
// relation, no extra product).
template <typename Scalar, class System, class Preconditioner>
void gmres(const System& system, const Linearization<Scalar>& lin, const RowMatrix<Scalar>& F,
           const Vector<Scalar>& tolerance, int max_krylov, const Preconditioner& precondition,
           RowMatrix<Scalar>& step, RowMatrix<Scalar>& J_step) {
    using Matrix = RowMatrix<Scalar>;
    const Eigen::Index m = F.rows(), n = F.cols();
    const int depth = int(std::min<Eigen::Index>(max_krylov, n));
    std::vector<Matrix> basis;  // basis[j].row(i): the j-th Arnoldi vector of row i
    basis.reserve(std::size_t(depth) + 1);
    basis.emplace_back(-F);
    Vector<Scalar> beta = F.rowwise().norm();
    for (Eigen::Index i = 0; i < m; ++i)
        if (beta(i) > 0) basis[0].row(i) /= beta(i);
    // per row: Hessenberg columns (before rotation, for J s), rotated R, rotations, residual;
    // a column is zeroed when it is reached (most rows stop after a few of `depth`)
    const std::size_t rows = std::size_t(m);
    std::vector<Matrix> hessenberg(rows), upper(rows);
    for (std::size_t i = 0; i < rows; ++i) {
        hessenberg[i].resize(depth + 1, depth);
        upper[i].resize(depth + 1, depth);
    }
    Matrix cosine(m, depth), sine(m, depth), residual = Matrix::Zero(m, depth + 1);
    std::vector<int> used(std::size_t(m), 0);
    Rows running;
    for (Eigen::Index i = 0; i < m; ++i) {
        residual(i, 0) = beta(i);
        if (beta(i) > tolerance(i)) running.push_back(i);
    }
    for (int j = 0; j < depth && !running.empty(); ++j) {
        const Matrix W_run = system.jacobian_product(
            lin.select(running), precondition(Matrix(basis[std::size_t(j)](running, Eigen::all))));
        basis.emplace_back(Matrix::Zero(m, n));
        Rows still;
        for (std::size_t k = 0; k < running.size(); ++k) {
            const Eigen::Index i = running[k];
            Vector<Scalar> w = W_run.row(Eigen::Index(k)).transpose();
            Matrix& h = hessenberg[std::size_t(i)];
            h.col(j).setZero();
            for (int l = 0; l <= j; ++l) {
                h(l, j) = basis[std::size_t(l)].row(i).dot(w);
                w -= h(l, j) * basis[std::size_t(l)].row(i).transpose();
            }
            h(j + 1, j) = w.norm();
            Matrix& r = upper[std::size_t(i)];
            r.col(j) = h.col(j);
            for (int l = 0; l < j; ++l) {  // earlier rotations
                const Scalar a = r(l, j), b = r(l + 1, j);
                r(l, j) = cosine(i, l) * a + sine(i, l) * b;
                r(l + 1, j) = -sine(i, l) * a + cosine(i, l) * b;
            }
            const Scalar a = r(j, j), b = r(j + 1, j), radius = std::hypot(a, b);
            cosine(i, j) = radius > 0 ? a / radius : Scalar(1);
            sine(i, j) = radius > 0 ? b / radius : Scalar(0);
            r(j, j) = radius;
            r(j + 1, j) = 0;
            residual(i, j + 1) = -sine(i, j) * residual(i, j);
            residual(i, j) *= cosine(i, j);
            used[std::size_t(i)] = j + 1;
            // a happy breakdown (w = 0) means the Krylov space holds the exact solution
            const bool breakdown = !(h(j + 1, j) > Scalar(1e-14) * radius);
            if (!breakdown) basis.back().row(i) = w.transpose() / h(j + 1, j);
            if (!breakdown && std::abs(residual(i, j + 1)) > tolerance(i)) still.push_back(i);
        }
        running.swap(still);
    }
    Matrix combination = Matrix::Zero(m, n);  // V y, row by row
    J_step = -F;
    for (Eigen::Index i = 0; i < m; ++i) {
        const int k = used[std::size_t(i)];
        if (k == 0) continue;
        const Matrix& r = upper[std::size_t(i)];
        Vector<Scalar> y = residual.row(i).head(k).transpose();
        r.topLeftCorner(k, k).template triangularView<Eigen::Upper>().solveInPlace(y);
        if (!y.allFinite()) continue;  // a singular R: keep s = 0 and let the dogleg descend
        // J V_k y = V_{k+1} H̄ y; J s + F is then the GMRES residual
        const Vector<Scalar> Hy = hessenberg[std::size_t(i)].topLeftCorner(k + 1, k) * y;
        J_step.row(i).setZero();
        for (int l = 0; l < k; ++l) combination.row(i) += y(l) * basis[std::size_t(l)].row(i);
        for (int l = 0; l <= k; ++l) J_step.row(i) += Hy(l) * basis[std::size_t(l)].row(i);
    }
    step = precondition(combination);
}

// M = I: plain GMRES.
struct NoPreconditioner {
    template <class Matrix>
    const Matrix& operator()(const Matrix& V) const {
        return V;
    }
};

// Eisenstat-Walker's second choice of the forcing term, safeguarded: from |F| after and before
// an accepted step, and the forcing term of that step.
template <typename Scalar>
Scalar next_forcing(Scalar norm, Scalar previous_norm, Scalar forcing) {
    const Scalar ratio = norm / std::max(previous_norm, Scalar(1e-300));
    Scalar next = Scalar(0.9) * ratio * ratio;
    const Scalar floor = Scalar(0.9) * forcing * forcing;
    if (floor > Scalar(0.1)) next = std::max(next, floor);
    return std::clamp(next, Scalar(1e-12), Scalar(0.5));
}

// The rows Newton leaves unfinished: out of Newton steps, or stuck above tol_q.
template <typename Scalar>
Rows unfinished_rows(const Block<Scalar>& block, const MinimizeOptions& options) {
    Rows unfinished;
    for (Eigen::Index i = 0; i < block.X.rows(); ++i) {
        const bool stuck = block.reason[std::size_t(i)] == int(StopReason::StepTolerance) &&
                           block.q(i) > Scalar(options.tol_q);
        if (block.reason[std::size_t(i)] == int(StopReason::IterationLimit) || stuck)
            unfinished.push_back(i);
    }
    return unfinished;
}

}  // namespace detail

// Returns the rows left unfinished: out of Newton steps, or stuck above tol_q. `precondition`
// is GMRES's right preconditioner (see detail::gmres).
template <typename Scalar, class System, class Preconditioner = detail::NoPreconditioner>
Rows newton_krylov(const System& system, Block<Scalar>& block, const MinimizeOptions& options,
                   const Preconditioner& precondition = {}) {
    using Matrix = RowMatrix<Scalar>;
    const Eigen::Index m = block.X.rows();
    Vector<Scalar> radius = detail::initial_radii(block.X, options);
    Vector<Scalar> forcing = Vector<Scalar>::Constant(m, Scalar(0.1));
    Vector<Scalar> previous_norm = block.F.rowwise().norm();
    MinimizeOptions newton_options = options;
    newton_options.max_iter = std::min(options.max_iter, options.newton_iter);
    // |F| below this makes q <= tol_q: no GMRES solve needs to aim lower
    const Scalar enough = Scalar(0.5) * std::sqrt(Scalar(2) * Scalar(options.tol_q));
    block.retire_converged(newton_options);
    while (!block.active.empty()) {
        const Rows rows = block.active;
        const Linearization<Scalar> lin = block.lin.select(rows);
        const Matrix F = block.F(rows, Eigen::all), g = block.gradient(rows, Eigen::all);
        Vector<Scalar> tolerance(Eigen::Index(rows.size()));
        for (std::size_t k = 0; k < rows.size(); ++k) {
            const Scalar norm = F.row(Eigen::Index(k)).norm();
            tolerance(Eigen::Index(k)) = std::max(forcing(rows[k]) * norm, enough);
        }
        Matrix newton, J_newton;
        detail::gmres(system, lin, F, tolerance, options.max_krylov, precondition, newton,
                      J_newton);
        const Matrix Jg = system.jacobian_product(lin, g);
        Matrix step(Eigen::Index(rows.size()), F.cols()), J_step(step.rows(), step.cols());
        Vector<Scalar> step_norms(step.rows());
        // the dogleg, row by row (inline on purpose: moved into a function of its own, GCC's
        // FMA contraction in the AVX2 build changed its results in the last bit)
        for (std::size_t k = 0; k < rows.size(); ++k) {
            const Eigen::Index i = rows[k], r = Eigen::Index(k);
            const Scalar gg = g.row(r).squaredNorm(), JgJg = Jg.row(r).squaredNorm();
            // the Cauchy point: the minimum of ½|F + J s|² along -∇q
            const Scalar t = JgJg > 0 ? gg / JgJg : Scalar(0);
            const Scalar newton_norm = newton.row(r).norm(), cauchy_norm = t * std::sqrt(gg);
            // GMRES may return a Newton step that lowers the model less than the Cauchy point
            const bool newton_useful = (F.row(r) + J_newton.row(r)).squaredNorm() <=
                                       (F.row(r) - t * Jg.row(r)).squaredNorm();
            if (newton_useful && newton_norm <= radius(i)) {
                step.row(r) = newton.row(r);
                J_step.row(r) = J_newton.row(r);
            } else if (!newton_useful || cauchy_norm >= radius(i)) {
                const Scalar along =
                    cauchy_norm > 0 ? std::min(t, radius(i) / std::sqrt(gg)) : Scalar(0);
                step.row(r) = -along * g.row(r);
                J_step.row(r) = -along * Jg.row(r);
            } else {
                const Vector<Scalar> cauchy = -t * g.row(r).transpose();
                const Vector<Scalar> full = newton.row(r).transpose();
                const Scalar tau = detail::dogleg_fraction(cauchy, full, radius(i));
                step.row(r) = (cauchy + tau * (full - cauchy)).transpose();
                J_step.row(r) = -t * Jg.row(r) + tau * (J_newton.row(r) + t * Jg.row(r));
            }
            step_norms(r) = step.row(r).norm();
        }
        const Matrix trial = block.X(rows, Eigen::all) + step;
        const Matrix F_trial = system.velocity(trial);
        const Vector<Scalar> q_trial = half_squared_norms(F_trial);
        Rows moved, moved_local;
        for (std::size_t k = 0; k < rows.size(); ++k) {
            const Eigen::Index i = rows[k], r = Eigen::Index(k);
            ++block.iterations[i];
            const Scalar predicted =
                block.q(i) - (F.row(r) + J_step.row(r)).squaredNorm() / Scalar(2);
            const Scalar actual = block.q(i) - q_trial(r);
            const Scalar rho = detail::reduction_ratio(actual, predicted, q_trial(r));
            detail::update_radius(rho, step_norms(r), radius(i));
            if (rho > Scalar(1e-4)) {
                const Scalar norm = std::sqrt(Scalar(2) * q_trial(r));
                forcing(i) = detail::next_forcing(norm, previous_norm(i), forcing(i));
                previous_norm(i) = norm;
                moved.push_back(i);
                moved_local.push_back(r);
            } else if (block.step_too_small(i, radius(i), options)) {
                block.retire(i, StopReason::StepTolerance);
            }
        }
        block.accept_and_retire(system, moved, moved_local, trial, F_trial, newton_options);
    }
    return detail::unfinished_rows(block, options);
}

}  // namespace rnndyn
