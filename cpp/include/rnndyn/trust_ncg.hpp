// Trust-region Newton-CG (Steihaug-Toint) on q, batched: the CG iterations of all active
// points share one Hessian product per iteration (Nocedal & Wright, Algorithm 7.2, with the
// system's preconditioner; the trust region is a ball in the preconditioner's metric).
#pragma once

#include <algorithm>
#include <cmath>

#include "block.hpp"
#include "trust_region.hpp"

namespace rnndyn {

namespace detail {

// Approximately minimises m(z) = gᵀz + ½ zᵀHz within |z|_M <= radius for every row, by
// preconditioned CG (M is the system's preconditioner); returns the steps (rows), their
// M-norms and m at each.
template <typename Scalar, class System>
RowMatrix<Scalar> steihaug(const System& system, const Linearization<Scalar>& lin,
                           const RowMatrix<Scalar>& g, const Vector<Scalar>& radius,
                           const MinimizeOptions& options, Vector<Scalar>& model,
                           Vector<Scalar>& step_norm) {
    using Matrix = RowMatrix<Scalar>;
    const Eigen::Index m = g.rows();
    Matrix z = Matrix::Zero(m, g.cols()), r = g, y = system.precondition(lin, g);
    Matrix d = -y;
    Matrix Pd = system.metric_coordinates(lin, d), Pz = Matrix::Zero(m, Pd.cols());
    Vector<Scalar> ry = r.cwiseProduct(y).rowwise().sum();
    // Inexact Newton: stop once |r| <= min(0.5, sqrt|g|) |g| (superlinear convergence).
    Vector<Scalar> tolerance(m);
    for (Eigen::Index i = 0; i < m; ++i) {
        const Scalar gn = g.row(i).norm();
        tolerance(i) = std::min(Scalar(0.5), std::sqrt(gn)) * gn;
    }
    Rows running;
    for (Eigen::Index i = 0; i < m; ++i) running.push_back(i);
    for (int iteration = 0; iteration < options.max_inner && !running.empty(); ++iteration) {
        const Linearization<Scalar> lin_run = lin.select(running);
        const Matrix Hd =
            system.hessian_product(lin_run, d(running, Eigen::all), options.exact_hessian);
        Rows still;
        Rows still_local;
        for (std::size_t k = 0; k < running.size(); ++k) {
            const Eigen::Index i = running[k];
            const Scalar curvature = d.row(i).dot(Hd.row(k));
            const Scalar zz = z.row(i).squaredNorm() + Pz.row(i).squaredNorm();
            const Scalar zd = z.row(i).dot(d.row(i)) + Pz.row(i).dot(Pd.row(i));
            const Scalar dd = d.row(i).squaredNorm() + Pd.row(i).squaredNorm();
            const Scalar alpha = ry(i) / curvature;
            if (!(curvature > 0) ||
                zz + Scalar(2) * alpha * zd + alpha * alpha * dd >= radius(i) * radius(i)) {
                // negative curvature or leaving the region: go to the boundary and stop
                const Scalar tau = to_boundary(zz, zd, dd, radius(i));
                z.row(i) += tau * d.row(i);
                Pz.row(i) += tau * Pd.row(i);
                r.row(i) += tau * Hd.row(k);
                continue;
            }
            z.row(i) += alpha * d.row(i);
            Pz.row(i) += alpha * Pd.row(i);
            r.row(i) += alpha * Hd.row(k);
            if (r.row(i).norm() <= tolerance(i)) continue;
            still.push_back(i);
            still_local.push_back(Eigen::Index(k));
        }
        if (!still.empty()) {
            const Linearization<Scalar> lin_still = lin_run.select(still_local);
            const Matrix y_still = system.precondition(lin_still, r(still, Eigen::all));
            for (std::size_t k = 0; k < still.size(); ++k) {
                const Eigen::Index i = still[k];
                const Scalar ry_next = r.row(i).dot(y_still.row(k));
                d.row(i) = -y_still.row(k) + (ry_next / ry(i)) * d.row(i);
                ry(i) = ry_next;
            }
            Pd(still, Eigen::all) = system.metric_coordinates(lin_still, d(still, Eigen::all));
        }
        running.swap(still);
    }
    // r = Hz + g, so m(z) = gᵀz + ½ zᵀ(r - g)
    model.resize(m);
    step_norm.resize(m);
    for (Eigen::Index i = 0; i < m; ++i) {
        model(i) = g.row(i).dot(z.row(i)) + Scalar(0.5) * z.row(i).dot(r.row(i) - g.row(i));
        step_norm(i) = std::sqrt(z.row(i).squaredNorm() + Pz.row(i).squaredNorm());
    }
    return z;
}

}  // namespace detail

template <typename Scalar, class System>
void trust_ncg(const System& system, Block<Scalar>& block, const MinimizeOptions& options) {
    using Matrix = RowMatrix<Scalar>;
    Vector<Scalar> radius = detail::initial_radii(block.X, options);
    block.retire_converged(options);
    while (!block.active.empty()) {
        const Rows rows = block.active;
        const Matrix g = block.gradient(rows, Eigen::all);
        const Vector<Scalar> rad = radius(rows);
        Vector<Scalar> model, step_norms;
        const Matrix step =
            detail::steihaug(system, block.lin.select(rows), g, rad, options, model, step_norms);
        const Matrix trial = block.X(rows, Eigen::all) + step;
        const Matrix F_trial = system.velocity(trial);
        const Vector<Scalar> q_trial = half_squared_norms(F_trial);
        Rows moved, moved_local;
        for (std::size_t k = 0; k < rows.size(); ++k) {
            const Eigen::Index i = rows[k];
            ++block.iterations[i];
            const Scalar step_norm = step_norms(k);
            const Scalar predicted = -model(k);
            const Scalar actual = block.q(i) - q_trial(k);
            const Scalar rho = detail::reduction_ratio(actual, predicted, q_trial(k));
            detail::update_radius(rho, step_norm, radius(i));
            if (rho > Scalar(0.1)) {
                moved.push_back(i);
                moved_local.push_back(Eigen::Index(k));
            } else if (block.step_too_small(i, radius(i), options)) {
                block.retire(i, StopReason::StepTolerance);
            }
        }
        block.accept_and_retire(system, moved, moved_local, trial, F_trial, options);
    }
}

}  // namespace rnndyn
