// Levenberg-Marquardt on F(x) = 0 with the dense Gauss-Newton matrix JᵀJ, one point at a time: a
// Cholesky factorisation (N³/3 flops) per trial step, for N up to a few thousand
// (docs/mathematics.md, Finding the points: slow points). Its parts, and why:
// - the model: Gauss-Newton until q stalls above zero (a slow point ahead, where Gauss-Newton
//   converges only linearly because F ≠ 0), then the exact Hessian of q if F is nearly in J's left
//   near-null space, back whenever that is not positive definite with the damping added (the
//   exact Hessian from the start took more steps: it is indefinite away from the minima);
// - the damping: Nielsen's rule (Madsen, Nielsen & Tingleff, "Methods for non-linear least
//   squares problems", 2004, Algorithm 3.16), except that in Newton's region near a slow point (an
//   exact step with ρ > 0.9 that took less than 1 % of q: q is settling) it falls tenfold, not
//   threefold; an exact step with ρ ≈ 1 that takes more of q is mostly a short step across a
//   narrow valley, and a tenth of its damping would send the next step far along it, refused;
// - each step carries a geodesic acceleration (Transtrum & Sethna 2012), which lets steps follow
//   the narrow curved valleys that lead to slow points where plain steps were refused; a refused
//   step is tried once more, shortened along the same curve (one F instead of a factorisation),
//   before the damping grows;
// - the factorisations are in float where that serves (DampedCholesky).
// What each choice measured on the suite: benchmarks/SEARCH_LOG.md, "levenberg_marquardt.hpp".
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

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
// The acceleration is a correction to the step: its solve stops at this relative residual
// (float's refined solves). The step's own stops at kLooseResidual while q is above
// kLooseAbove, where the step is only the model's guess, far from the rounding of q where a run
// ends, and goes on to double's rounding below it (docs/mathematics.md, Finding the points:
// slow points).
constexpr double kGeodesicResidual = 1e-4;
constexpr double kLooseAbove = 1e-8;
constexpr double kLooseResidual = 1e-3;

template <typename Scalar, class System, class Factor>
Vector<Scalar> geodesic_acceleration(const System& system, const Block<Scalar>& block,
                                     Eigen::Index i, const Vector<Scalar>& v, Factor& factor) {
    const Scalar h(kGeodesicProbe);
    const RowMatrix<Scalar> step = v.transpose();
    const RowMatrix<Scalar> probe = block.X.row(i) + h * step;
    const Linearization<Scalar> at = block.lin.select({i});
    const RowMatrix<Scalar> F_vv =
        (Scalar(2) / h) *
        ((system.velocity(probe) - block.F.row(i)) / h - system.jacobian_product(at, step));
    const RowMatrix<Scalar> pulled = system.jacobian_transpose_product(at, F_vv);
    return -factor.solve(Vector<Scalar>(pulled.row(0).transpose()), kGeodesicResidual);
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

// How far q = ½|F|² is uncertain where it is evaluated: F sums terms the size of x (-x,
// W_c φ(x), ...), so F is off by about ε|x| and q by about ε|F||x|, far above ε q when F is
// small. A step whose predicted decrease is below this could not show it: the run has gone as
// far as q's rounding lets it (docs/mathematics.md, Finding the points: slow points).
template <typename Scalar>
Scalar rounding_of_q(const Block<Scalar>& block, Eigen::Index i) {
    const Scalar scale = 8 * block.q(i) + block.F.row(i).norm() * block.X.row(i).norm();
    return std::numeric_limits<Scalar>::epsilon() * scale;
}

// The Cholesky factorisation of the damped model A + λI, for Levenberg-Marquardt's two solves
// a step. For double it factorises in float (at N = 1000, 4.2 ms against double's 7.5 ms) and
// finishes each solution by conjugate gradients on A + λI in double, preconditioned by float's
// factor (a symmetric product and two float triangular solves an iteration, ~0.2 ms; on the
// suite's worst flip-flop search 1-3 of them reached a relative residual of 1e-8; the step's
// solves ask for kRefined and take more). Plain iterative refinement stalled once float's factor
// was off by order one along the few near-null directions of J (near slow points, λ small) and
// sent 70 % of that search's steps to double; with CG float serves over 80 % of them
// (docs/mathematics.md, Finding the points: slow points). Where float's factorisation fails
// (λ below about 5e-6 of A's largest diagonal entry there) or CG does not reach kAccepted, it
// factorises in double and goes on in double for the rest of that point's run; but the caller
// may take float's failure as the model's own (an exact Hessian outside Newton's region, where
// double's factorisation, twice float's cost, succeeded in none of the suite's searches but one).
template <typename Scalar>
class DampedCholesky {
public:
    // Factorises `model` (its lower triangle) + damping I; false if that is not positive
    // definite. Where float's factorisation fails, double's is tried only if `finely`: false
    // takes float's failure as the model's own. `model` must outlive the solves.
    bool compute(const ColMatrix<Scalar>& model, Scalar damping, bool finely = true) {
        model_ = &model;
        damping_ = damping;
        fine_ready_ = coarse_ready_ = false;
        if constexpr (std::is_same_v<Scalar, double>) {
            if (!float_serves_) return factorise_finely();
            coarse_.resize(model.rows(), model.cols());
            coarse_.template triangularView<Eigen::Lower>() = model.template cast<float>();
            coarse_.diagonal().array() += float(damping);
            const Eigen::LLT<Eigen::Ref<ColMatrix<float>>> cholesky(coarse_);
            coarse_ready_ = cholesky.info() == Eigen::Success;
            if (coarse_ready_ || !finely) return coarse_ready_;
        }
        const bool factored = factorise_finely();
        if (factored) float_serves_ = false;  // positive definite, but not in float's rounding
        return factored;
    }

    // x with (A + λI) x = b (not finite where A + λI proved singular).
    Vector<Scalar> solve(const Vector<Scalar>& b, double residual = kRefined) {
        Vector<Scalar> x;
        if (!fine_ready_ && coarse_ready_) {
            if (refined(b, residual, x)) return x;
            float_serves_ = false;  // stalled: double's from here on (new_point)
        }
        if (!fine_ready_ && !factorise_finely())
            return Vector<Scalar>::Constant(b.size(), std::numeric_limits<Scalar>::quiet_NaN());
        x = b;
        fine_.template triangularView<Eigen::Lower>().solveInPlace(x);
        fine_.template triangularView<Eigen::Lower>().adjoint().solveInPlace(x);
        return x;
    }

    // A new point: float is tried again (for one point, once float's factorisation has failed
    // or its refinement stalled, the damping only shrinks on the way to the point's end, and
    // float would fail again: double's from then on).
    void new_point() { float_serves_ = true; }

    // Whether the solves since compute() have all been float's, refined (no double factor).
    bool in_float() const { return coarse_ready_ && !fine_ready_; }

private:
    static constexpr double kRefined = 1e-12;  // relative residual the refinement aims for
    static constexpr double kAccepted = 1e-9;  // and what it settles for where it stalls

    bool factorise_finely() {
        fine_.resize(model_->rows(), model_->cols());
        fine_.template triangularView<Eigen::Lower>() = *model_;
        fine_.diagonal().array() += damping_;
        const Eigen::LLT<Eigen::Ref<ColMatrix<Scalar>>> cholesky(fine_);
        fine_ready_ = cholesky.info() == Eigen::Success;
        return fine_ready_;
    }

    Vector<Scalar> coarse_solve(const Vector<Scalar>& r) const {
        Vector<float> y = r.template cast<float>();
        coarse_.template triangularView<Eigen::Lower>().solveInPlace(y);
        coarse_.template triangularView<Eigen::Lower>().adjoint().solveInPlace(y);
        return y.template cast<Scalar>();
    }

    // (A + λI) v, in Scalar.
    Vector<Scalar> damped_product(const Vector<Scalar>& v) const {
        Vector<Scalar> out = model_->template selfadjointView<Eigen::Lower>() * v;
        out += damping_ * v;
        return out;
    }

    // Conjugate gradients on A + λI in Scalar, preconditioned by float's factor, from float's
    // solution, until the relative residual is `residual` or kMostIterations have run; false
    // where the residual then (recomputed after any iteration, not CG's running one) is above
    // kAccepted, or `residual` if looser, or where CG broke down.
    bool refined(const Vector<Scalar>& b, double residual, Vector<Scalar>& x) const {
        constexpr int kMostIterations = 10;
        const Scalar target = Scalar(residual) * b.norm();
        x = coarse_solve(b);
        Vector<Scalar> r = b - damped_product(x), p;
        Scalar rz = 0;
        int iterations = 0;
        for (; iterations < kMostIterations && r.norm() > target; ++iterations) {
            const Vector<Scalar> z = coarse_solve(r);
            const Scalar rz_next = r.dot(z);
            p = iterations == 0 ? z : Vector<Scalar>(z + (rz_next / rz) * p);
            rz = rz_next;
            const Vector<Scalar> Ap = damped_product(p);
            const Scalar curvature = p.dot(Ap);
            if (!(curvature > 0 && rz > 0)) return false;
            const Scalar alpha = rz / curvature;
            x += alpha * p;
            r -= alpha * Ap;
        }
        const Scalar accepted = Scalar(std::max(residual, kAccepted)) * b.norm();
        // without an iteration r is the residual of x as computed: no second product
        const Scalar size = iterations == 0 ? r.norm() : (b - damped_product(x)).norm();
        return x.allFinite() && size <= accepted;
    }

    const ColMatrix<Scalar>* model_ = nullptr;
    Scalar damping_ = 0;
    ColMatrix<float> coarse_;  // float's factor (Scalar double only)
    ColMatrix<Scalar> fine_;   // Scalar's factor, made where float's does not serve
    bool coarse_ready_ = false, fine_ready_ = false, float_serves_ = true;
};

}  // namespace detail

// Levenberg-Marquardt's hook after each accepted step of row i: true ends the row there (its
// caller takes another end for it). This one never does.
struct NeverJoins {
    template <class Block>
    bool operator()(const Block&, Eigen::Index) const {
        return false;
    }
};

template <typename Scalar, class System, class Joins = NeverJoins>
void levenberg_marquardt(const System& system, Block<Scalar>& block, const MinimizeOptions& options,
                         Joins&& joins = {}) {
    block.retire_converged(options);
    const Rows points = block.active;
    constexpr Scalar kStall = Scalar(0.9);  // q_new > kStall q: q stalls
    // A stall switches to the exact model only where |∇q| = |JᵀF| <= kAligned |F|: F nearly in
    // J's left near-null space, as at a slow point (JᵀF = 0 with F ≠ 0). Elsewhere the exact
    // Hessian was mostly indefinite: in traces of flip-flop searches, float's factorisation of
    // it after a Gauss-Newton step failed where |∇q|/√q was ~12 (median) and succeeded where
    // it was 0.5-1.7 (|F| = √(2q); docs/mathematics.md, Finding the points: slow points)
    constexpr Scalar kAligned = Scalar(2);
    // Newton's region: an exact step with ρ above kNewtonRegion that took less than kSettling
    // of q. There the damping falls 10x, and the next exact model may need double's factorisation
    constexpr double kNewtonRegion = 0.9;
    constexpr double kSettling = 0.01;
    // the model and the factorisations' storage: allocated once (fresh pages for every trial
    // cost as much as the model itself)
    ColMatrix<Scalar> normal;
    detail::DampedCholesky<Scalar> cholesky;
    for (const Eigen::Index i : points) {
        cholesky.new_point();
        bool exact = false;
        bool newton = false;  // the last step taken was in Newton's region
        auto model = [&] { dense_hessian(system, block.lin, i, exact, normal); };
        model();
        Scalar damping = Scalar(1e-3) * std::max(normal.diagonal().cwiseAbs().maxCoeff(),
                                                 std::numeric_limits<Scalar>::min());
        Scalar growth = 2;
        while (block.reason[i] < 0) {
            ++block.iterations[i];
            // An exact model that float cannot factorise is taken as indefinite, except in
            // Newton's region, where the damping falls below float's reach (docs/mathematics.md,
            // Finding the points: slow points)
            bool factored = cholesky.compute(normal, damping, !exact || newton);
            if (exact && !factored) {  // indefinite: Gauss-Newton again
                exact = false;
                model();
                factored = cholesky.compute(normal, damping);
            }
            Vector<Scalar> step, accel;
            if (factored) {
                const Vector<Scalar> gradient = block.gradient.row(i).transpose();
                step = block.q(i) > Scalar(detail::kLooseAbove)
                           ? -cholesky.solve(gradient, detail::kLooseResidual)
                           : -cholesky.solve(gradient);
            }
            const bool solved = factored && step.allFinite();
            // the decrease the damped model predicts for the full step, ½ sᵀ(λ s - ∇q)
            const Scalar predicted =
                solved ? Scalar(0.5) * step.dot(damping * step - block.gradient.row(i).transpose())
                       : Scalar(0);
            if (solved && predicted <= detail::rounding_of_q(block, i)) {
                block.retire(i, StopReason::StepTolerance);
                break;
            }
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
                const Scalar q_before = block.q(i);
                block.X.row(i) = trial.x.row(0);
                block.refresh(system, {i}, trial.F);
                if (trial.q > kStall * q_before &&
                    block.gradient.row(i).norm() <= kAligned * block.F.row(i).norm())
                    exact = true;
                newton = exact && trial.rho > Scalar(kNewtonRegion) &&
                         trial.q >= Scalar(1 - kSettling) * q_before;
                model();
                // a shortened step: the full one was too long, so the damping grows as
                // after a refusal, once
                const Scalar t = Scalar(2) * trial.rho - Scalar(1);
                const Scalar fall =
                    newton ? Scalar(0.1) : std::max(Scalar(1) / Scalar(3), 1 - t * t * t);
                damping *= retried ? Scalar(2) : fall;
                growth = 2;
                if (joins(std::as_const(block), i)) {
                    block.retire(i, StopReason::StepTolerance);
                    continue;
                }
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
