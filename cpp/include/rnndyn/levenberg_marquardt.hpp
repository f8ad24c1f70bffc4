// Levenberg-Marquardt on F(x) = 0 with the dense Gauss-Newton matrix JᵀJ, one point at a time:
// a Cholesky factorisation (N³/3 flops) per trial step, for N up to a few thousand. Once q
// stalls above zero (a slow point ahead, where Gauss-Newton converges only linearly because
// F ≠ 0) the model switches to the exact Hessian of q, and back whenever that is not positive
// definite with the damping added. (The exact Hessian from the start took more steps on
// flip-flop networks: it is indefinite away from the minima.) Damping by Nielsen's rule
// (Madsen, Nielsen & Tingleff, "Methods for non-linear least squares problems", 2004,
// Algorithm 3.16). Each step carries a geodesic acceleration (Transtrum & Sethna 2012): on the
// narrow curved valleys that lead to slow points, it let steps follow the valley where plain
// steps were refused, taking a flip-flop network's leftovers from 2,226 steps to 673
// (docs/mathematics.md, Finding the points: slow points). A refused step is tried once more,
// shortened along the same curve, before the damping grows: one F instead of a factorisation;
// on the suite's 18 flip-flop searches it took the refused steps from 1,050 to 390 and all
// steps from 5,640 to 5,100.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Cholesky>

#include "block.hpp"

namespace rnndyn {

namespace detail {

// The geodesic acceleration of the step `v` from row i of `block` (Transtrum & Sethna 2012,
// eq. 14): a = -(model)⁻¹ Jᵀ F_vv with F's second directional derivative along v by a finite
// difference of relative size kGeodesicProbe, solved with the step's own factorisation.
constexpr double kGeodesicProbe = 0.1;
// A step is refused when 2|a| > kGeodesicRatio |v| (their α): the valley bends too much
// within it for the model to hold.
constexpr double kGeodesicRatio = 0.75;

template <typename Scalar, class System, class Factor>
Vector<Scalar> geodesic_acceleration(const System& system, const Block<Scalar>& block,
                                     Eigen::Index i, const Vector<Scalar>& v,
                                     const Factor& factor) {
    const Scalar h(kGeodesicProbe);
    const RowMatrix<Scalar> step = v.transpose();
    const RowMatrix<Scalar> probe = block.X.row(i) + h * step;
    const Linearization<Scalar> at = block.lin.select({i});
    const RowMatrix<Scalar> F_vv =
        (Scalar(2) / h) *
        ((system.velocity(probe) - block.F.row(i)) / h - system.jacobian_product(at, step));
    const RowMatrix<Scalar> pulled = system.jacobian_transpose_product(at, F_vv);
    return -factor.solve(Vector<Scalar>(pulled.row(0).transpose()));
}

// A trial point of Levenberg-Marquardt: x + α v + ½ α² a (v the step, a its geodesic
// acceleration), F there, and ρ, the ratio of q's actual decrease to the damped model's
// predicted one, α(-∇qᵀv)(1 - α/2) + ½ α² λ |v|² (½ vᵀ(λ v - ∇q) at α = 1); ρ = -1 where the
// curve bends too much within the step (2 α |a| > kGeodesicRatio |v|) or q is not finite.
template <typename Scalar>
struct Trial {
    RowMatrix<Scalar> x, F;
    Scalar q = 0, rho = -1;
};

template <typename Scalar, class System>
Trial<Scalar> trial_step(const System& system, const Block<Scalar>& block, Eigen::Index i,
                         const Vector<Scalar>& v, const Vector<Scalar>& a, Scalar damping,
                         Scalar alpha) {
    Trial<Scalar> trial{block.X.row(i), {}};
    trial.x.row(0) += (alpha * v + Scalar(0.5) * alpha * alpha * a).transpose();
    trial.F = system.velocity(trial.x);
    trial.q = Scalar(0.5) * trial.F.squaredNorm();
    const Scalar predicted = alpha * (-block.gradient.row(i).dot(v.transpose())) * (1 - alpha / 2) +
                             Scalar(0.5) * alpha * alpha * damping * v.squaredNorm();
    const bool bends = !(2 * alpha * a.norm() <= Scalar(kGeodesicRatio) * v.norm());
    if (!bends && predicted > 0 && std::isfinite(trial.q))
        trial.rho = (block.q(i) - trial.q) / predicted;
    return trial;
}

// The shortened retry of a refused step: half of it, or less where the curve bends (the
// longest α with 2 α |a| <= 0.9 kGeodesicRatio |v|); none below a tenth.
template <typename Scalar>
Scalar shortened(const Vector<Scalar>& v, const Vector<Scalar>& a) {
    const Scalar a_norm = std::max(a.norm(), std::numeric_limits<Scalar>::min());
    return std::min(Scalar(0.5), Scalar(0.45 * kGeodesicRatio) * v.norm() / a_norm);
}

}  // namespace detail

template <typename Scalar, class System>
void levenberg_marquardt(const System& system, Block<Scalar>& block,
                         const MinimizeOptions& options) {
    block.retire_converged(options);
    const Rows points = block.active;
    constexpr Scalar kStall = Scalar(0.9);  // q_new > kStall q: q stalls
    const Scalar round_off = 8 * std::numeric_limits<Scalar>::epsilon();
    // the model and its damped copy, factorised in place: N x N each, allocated once (fresh
    // pages for every trial cost as much as the model itself)
    ColMatrix<Scalar> normal, damped;
    for (const Eigen::Index i : points) {
        bool exact = false;
        auto model = [&] { dense_hessian(system, block.lin, i, exact, normal); };
        model();
        Scalar damping = Scalar(1e-3) * std::max(normal.diagonal().cwiseAbs().maxCoeff(),
                                                 std::numeric_limits<Scalar>::min());
        Scalar growth = 2;
        auto fill_damped = [&] {
            damped.resize(normal.rows(), normal.cols());
            damped.template triangularView<Eigen::Lower>() = normal;
            damped.diagonal().array() += damping;
        };
        while (block.reason[i] < 0) {
            ++block.iterations[i];
            fill_damped();
            Eigen::LLT<Eigen::Ref<ColMatrix<Scalar>>> cholesky(damped);
            if (exact && cholesky.info() != Eigen::Success) {  // indefinite: Gauss-Newton again
                exact = false;
                model();
                fill_damped();
                cholesky.compute(damped);
            }
            Vector<Scalar> step, accel;
            if (cholesky.info() == Eigen::Success)
                step = -cholesky.solve(Vector<Scalar>(block.gradient.row(i).transpose()));
            const bool solved = cholesky.info() == Eigen::Success && step.allFinite();
            detail::Trial<Scalar> trial;
            bool retried = false;
            if (solved) {
                accel = detail::geodesic_acceleration(system, block, i, step, cholesky);
                trial = detail::trial_step(system, block, i, step, accel, damping, Scalar(1));
                const Scalar alpha = detail::shortened(step, accel);
                retried = !(trial.rho > 0) && alpha >= Scalar(0.1);
                if (retried)
                    trial = detail::trial_step(system, block, i, step, accel, damping, alpha);
            }
            if (trial.rho > 0) {
                if (trial.q > kStall * block.q(i)) exact = true;
                block.X.row(i) = trial.x.row(0);
                block.refresh(system, {i}, trial.F);
                model();
                // a shortened step: the full one was too long, so the damping grows as
                // after a refusal, once
                const Scalar t = Scalar(2) * trial.rho - Scalar(1);
                damping *= retried ? Scalar(2) : std::max(Scalar(1) / Scalar(3), 1 - t * t * t);
                growth = 2;
            } else {
                // no decrease left that q's rounding would show (the full step's prediction)
                const Scalar predicted =
                    solved
                        ? Scalar(0.5) * step.dot(damping * step - block.gradient.row(i).transpose())
                        : Scalar(0);
                damping *= growth;
                growth *= 2;
                const bool unmeasurable = solved && predicted <= round_off * block.q(i);
                if (!std::isfinite(damping) || unmeasurable ||
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
