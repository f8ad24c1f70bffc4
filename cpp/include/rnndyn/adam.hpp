// Adam on q with a per-point adaptive learning rate and gradient-norm clipping, in the manner
// of Golub & Sussillo's FixedPointFinder, so that rnndyn can be compared with it on equal
// terms. Batched: one velocity and one gradient product per iteration for all active points.
#pragma once

#include <algorithm>
#include <cmath>

#include "block.hpp"

namespace rnndyn {

template <typename Scalar, class System>
void adam(const System& system, Block<Scalar>& block, const MinimizeOptions& options) {
    using Matrix = RowMatrix<Scalar>;
    constexpr Scalar beta1 = Scalar(0.9), beta2 = Scalar(0.999), epsilon = Scalar(1e-8);
    constexpr Scalar clip = Scalar(1);  // largest gradient norm used in a step
    constexpr Scalar shrink = Scalar(0.5), grow = Scalar(1.05);  // learning-rate adaptation
    const Eigen::Index m = block.X.rows(), n = block.X.cols();
    Matrix first = Matrix::Zero(m, n), second = Matrix::Zero(m, n);
    Vector<Scalar> rate = Vector<Scalar>::Constant(m, Scalar(options.learning_rate));
    const Scalar max_rate = Scalar(10) * Scalar(options.learning_rate);
    block.retire_converged(options);
    while (!block.active.empty()) {
        const Rows rows = block.active;
        Matrix trial = block.X(rows, Eigen::all);
        for (std::size_t k = 0; k < rows.size(); ++k) {
            const Eigen::Index i = rows[k];
            const int t = ++block.iterations[i];
            Vector<Scalar> g = block.gradient.row(i).transpose();
            const Scalar norm = g.norm();
            if (norm > clip) g *= clip / norm;
            first.row(i) = beta1 * first.row(i) + (1 - beta1) * g.transpose();
            second.row(i) = beta2 * second.row(i) + (1 - beta2) * g.cwiseAbs2().transpose();
            const Scalar unbias1 = 1 - std::pow(beta1, Scalar(t));
            const Scalar unbias2 = 1 - std::pow(beta2, Scalar(t));
            trial.row(k).array() -= rate(i) * (first.row(i).array() / unbias1) /
                                    ((second.row(i).array() / unbias2).sqrt() + epsilon);
        }
        const Matrix F_trial = system.velocity(trial);
        for (std::size_t k = 0; k < rows.size(); ++k) {
            const Eigen::Index i = rows[k];
            const Scalar q_new = Scalar(0.5) * F_trial.row(k).squaredNorm();
            rate(i) = q_new > block.q(i) ? shrink * rate(i) : std::min(max_rate, grow * rate(i));
        }
        block.X(rows, Eigen::all) = trial;
        block.refresh(system, rows, F_trial);
        block.retire_converged(options);
    }
}

}  // namespace rnndyn
