// Levenberg-Marquardt on F(x) = 0 with the dense Gauss-Newton matrix JᵀJ, one point at a time:
// a Cholesky factorisation (N³/3 flops) per trial step, for N up to a few thousand. (The exact
// Hessian of q instead took more steps on flip-flop networks: it is indefinite away from the
// minima.) Damping by Nielsen's rule (Madsen, Nielsen & Tingleff,
// "Methods for non-linear least squares problems", 2004, Algorithm 3.16).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Cholesky>

#include "minimize_common.hpp"

namespace rnndyn {

template <typename Scalar, class System>
void levenberg_marquardt(const System& system, Block<Scalar>& block,
                         const MinimizeOptions& options) {
    using Matrix = RowMatrix<Scalar>;
    block.retire_converged(options);
    const Rows points = block.active;
    for (const Eigen::Index i : points) {
        ColMatrix<Scalar> normal = system.gauss_newton(block.lin, i);
        Scalar damping = Scalar(1e-3) * std::max(normal.diagonal().cwiseAbs().maxCoeff(),
                                                 std::numeric_limits<Scalar>::min());
        Scalar growth = 2;
        Eigen::LLT<ColMatrix<Scalar>> cholesky;
        while (block.reason[i] < 0) {
            ++block.iterations[i];
            ColMatrix<Scalar> damped = normal;
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
                normal = system.gauss_newton(block.lin, i);
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
