// Levenberg-Marquardt on F(x) = 0 with the dense Gauss-Newton matrix JᵀJ, one point at a time
// (N³ per step: for N up to a few thousand). Damping by Nielsen's rule (Madsen, Nielsen &
// Tingleff, "Methods for non-linear least squares problems", 2004, Algorithm 3.16).
#pragma once

#include <algorithm>
#include <cmath>

#include <Eigen/Cholesky>

#include "minimize_common.hpp"

namespace rnndyn {

template <typename Scalar, class System>
void levenberg_marquardt(const System& system, Block<Scalar>& block,
                         const MinimizeOptions& options) {
    using Matrix = RowMatrix<Scalar>;
    using ColMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
    const Eigen::Index n = block.X.cols();
    block.retire_converged(options);
    const Rows points = block.active;
    for (const Eigen::Index i : points) {
        ColMatrix normal(n, n);
        auto form_normal_matrix = [&] {
            const ColMatrix J = system.jacobian(block.lin.select({i}), 0);
            normal.setZero();
            normal.template selfadjointView<Eigen::Lower>().rankUpdate(J.transpose());
        };
        form_normal_matrix();
        Scalar damping = Scalar(1e-3) * normal.diagonal().maxCoeff();
        Scalar growth = 2;
        Eigen::LLT<ColMatrix> cholesky;
        while (block.reason[i] < 0) {
            ++block.iterations[i];
            ColMatrix damped = normal;
            damped.diagonal().array() += damping;
            cholesky.compute(damped);
            Vector<Scalar> step;
            if (cholesky.info() == Eigen::Success)
                step = -cholesky.solve(Vector<Scalar>(block.gradient.row(i).transpose()));
            const bool solved = cholesky.info() == Eigen::Success && step.allFinite();
            Matrix trial = block.X.row(i);
            if (solved) trial.row(0) += step.transpose();
            const Matrix F_trial = system.velocity(trial);
            const Scalar q_trial = Scalar(0.5) * F_trial.squaredNorm();
            // predicted decrease of the Gauss-Newton model: ½ stepᵀ(damping step - ∇q)
            const Scalar predicted =
                solved ? Scalar(0.5) * step.dot(damping * step - block.gradient.row(i).transpose())
                       : Scalar(0);
            const Scalar rho = predicted > 0 && std::isfinite(q_trial)
                                   ? (block.q(i) - q_trial) / predicted
                                   : Scalar(-1);
            if (rho > 0) {
                block.X.row(i) = trial.row(0);
                block.refresh(system, {i}, F_trial);
                form_normal_matrix();
                const Scalar t = Scalar(2) * rho - Scalar(1);
                damping *= std::max(Scalar(1) / Scalar(3), Scalar(1) - t * t * t);
                growth = 2;
            } else {
                damping *= growth;
                growth *= 2;
                if (!std::isfinite(damping) ||
                    (solved && block.step_too_small(i, step.norm(), options))) {
                    block.retire(i, StopReason::StepTolerance);
                }
            }
            block.retire_converged(options);  // q, gradient and iteration limit
        }
    }
    block.active.clear();
}

}  // namespace rnndyn
