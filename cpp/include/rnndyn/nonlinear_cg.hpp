// Nonlinear conjugate gradient on q (Polak-Ribière+, restarts on lost descent) with a
// strong-Wolfe line search (Nocedal & Wright, Algorithms 3.5 and 3.6): the paper's method.
// Each point runs its own line search as a small state machine; every round evaluates the
// trial points of all active points in one batched call.
#pragma once

#include <algorithm>
#include <cmath>

#include "block.hpp"

namespace rnndyn {

namespace detail {

// Minimiser of the cubic through (a, fa, da) and (b, fb, db), kept 10% inside [a, b];
// bisection where the cubic does not help.
template <typename Scalar>
Scalar cubic_step(Scalar a, Scalar fa, Scalar da, Scalar b, Scalar fb, Scalar db) {
    const Scalar lo = std::min(a, b), hi = std::max(a, b), margin = Scalar(0.1) * (hi - lo);
    const Scalar d1 = da + db - Scalar(3) * (fa - fb) / (a - b);
    const Scalar radicand = d1 * d1 - da * db;
    if (radicand >= 0 && a != b) {
        const Scalar d2 = (b > a ? Scalar(1) : Scalar(-1)) * std::sqrt(radicand);
        const Scalar x = b - (b - a) * (db + d2 - d1) / (db - da + Scalar(2) * d2);
        if (std::isfinite(x) && x >= lo + margin && x <= hi - margin) return x;
    }
    return Scalar(0.5) * (a + b);
}

template <typename Scalar>
struct LineSearch {
    enum Phase { Bracket, Zoom, Final };
    Phase phase = Bracket;
    Scalar alpha = 0, phi0 = 0, dphi0 = 0;
    Scalar prev = 0, phi_prev = 0, dphi_prev = 0;  // bracketing: previous trial
    Scalar lo = 0, phi_lo = 0, dphi_lo = 0, hi = 0, phi_hi = 0, dphi_hi = 0;  // zoom
    int trials = 0;

    void start(Scalar first_alpha, Scalar phi, Scalar dphi) {
        *this = LineSearch();
        alpha = first_alpha;
        phi0 = phi_prev = phi_lo = phi;
        dphi0 = dphi_prev = dphi_lo = dphi;
    }

    void zoom(Scalar a, Scalar fa, Scalar da, Scalar b, Scalar fb, Scalar db) {
        phase = Zoom;
        lo = a, phi_lo = fa, dphi_lo = da, hi = b, phi_hi = fb, dphi_hi = db;
        alpha = cubic_step(lo, phi_lo, dphi_lo, hi, phi_hi, dphi_hi);
    }

    // Takes q and its slope along the direction at `alpha`; true when alpha is accepted.
    bool observe(Scalar phi, Scalar dphi, int max_trials) {
        constexpr Scalar c1 = Scalar(1e-4), c2 = Scalar(0.1);  // c2 < ½ keeps CG descending
        ++trials;
        const bool sufficient = std::isfinite(phi) && phi <= phi0 + c1 * alpha * dphi0;
        const bool curvature = std::abs(dphi) <= -c2 * dphi0;
        if (phase == Final) return true;
        if (phase == Bracket) {
            if (!sufficient || (trials > 1 && phi >= phi_prev)) {
                zoom(prev, phi_prev, dphi_prev, alpha, phi, dphi);
            } else if (curvature) {
                return true;
            } else if (dphi >= 0) {
                zoom(alpha, phi, dphi, prev, phi_prev, dphi_prev);
            } else {
                prev = alpha, phi_prev = phi, dphi_prev = dphi;
                alpha *= Scalar(2);
            }
        } else {
            if (!sufficient || phi >= phi_lo) {
                hi = alpha, phi_hi = phi, dphi_hi = dphi;
            } else {
                if (curvature) return true;
                if (dphi * (hi - lo) >= 0) hi = lo, phi_hi = phi_lo, dphi_hi = dphi_lo;
                lo = alpha, phi_lo = phi, dphi_lo = dphi;
            }
            alpha = cubic_step(lo, phi_lo, dphi_lo, hi, phi_hi, dphi_hi);
        }
        if (trials >= max_trials) {
            // out of trials: settle for the best point that decreased q, if any
            const Scalar best = phase == Zoom ? lo : prev;
            if (best <= 0) return false;
            phase = Final;
            alpha = best;
        }
        return false;
    }
};

}  // namespace detail

template <typename Scalar, class System>
void nonlinear_cg(const System& system, Block<Scalar>& block, const MinimizeOptions& options) {
    using Matrix = RowMatrix<Scalar>;
    const Eigen::Index m = block.X.rows();
    Matrix direction = -block.gradient;
    std::vector<detail::LineSearch<Scalar>> search(m);
    std::vector<bool> steepest(m, true);  // the current direction is -∇q
    for (Eigen::Index i = 0; i < m; ++i) {
        const Scalar g = block.gradient.row(i).norm();
        search[i].start(std::min(Scalar(1), Scalar(1) / g), block.q(i), -g * g);
    }
    block.retire_converged(options);
    while (!block.active.empty()) {
        const Rows rows = block.active;
        Matrix trial = block.X(rows, Eigen::all);
        for (std::size_t k = 0; k < rows.size(); ++k)
            trial.row(k) += search[rows[k]].alpha * direction.row(rows[k]);
        const Matrix F_trial = system.velocity(trial);
        Matrix g_trial;
        const Linearization<Scalar> lin_trial = system.linearize(trial, F_trial, g_trial);
        const Vector<Scalar> q_trial = half_squared_norms(F_trial);
        Rows moved, moved_local;
        for (std::size_t k = 0; k < rows.size(); ++k) {
            const Eigen::Index i = rows[k];
            auto& ls = search[i];
            const Scalar alpha = ls.alpha;
            const Scalar slope = g_trial.row(k).dot(direction.row(i));
            if (ls.observe(q_trial(k), slope, options.max_inner)) {
                moved.push_back(i);
                moved_local.push_back(Eigen::Index(k));
                continue;
            }
            if (ls.trials >= options.max_inner && ls.phase != ls.Final) {
                // the line search failed: restart along -∇q, or stop if that already failed
                if (steepest[i]) {
                    block.retire(i, StopReason::StepTolerance);
                } else {
                    direction.row(i) = -block.gradient.row(i);
                    steepest[i] = true;
                    const Scalar g = block.gradient.row(i).norm();
                    ls.start(alpha, block.q(i), -g * g);
                }
            } else if (block.step_too_small(i, ls.alpha * direction.row(i).norm(), options)) {
                block.retire(i, StopReason::StepTolerance);
            }
        }
        for (std::size_t j = 0; j < moved.size(); ++j) {
            const Eigen::Index i = moved[j], k = moved_local[j];
            ++block.iterations[i];
            const Vector<Scalar> g_old = block.gradient.row(i).transpose();
            const Scalar old_slope = g_old.dot(direction.row(i).transpose());
            block.X.row(i) = trial.row(k);
            block.F.row(i) = F_trial.row(k);
            block.q(i) = q_trial(k);
            block.gradient.row(i) = g_trial.row(k);
            block.lin.slopes.row(i) = lin_trial.slopes.row(k);
            block.lin.curvature.row(i) = lin_trial.curvature.row(k);
            const auto g_new = g_trial.row(k);
            const Scalar beta =
                std::max(Scalar(0), g_new.dot(g_new - g_old.transpose()) / g_old.squaredNorm());
            direction.row(i) = -g_new + beta * direction.row(i);
            Scalar slope = g_new.dot(direction.row(i));
            steepest[i] = beta == 0;
            if (!(slope < 0)) {
                direction.row(i) = -g_new;
                slope = -g_new.squaredNorm();
                steepest[i] = true;
            }
            // first trial: the step that would repeat the last decrease (N&W eq. 3.60)
            const Scalar first = std::min(Scalar(1e6), search[i].alpha * old_slope / slope);
            search[i].start(std::isfinite(first) && first > 0 ? first : Scalar(1), q_trial(k),
                            slope);
        }
        block.drop_retired();
        block.retire_converged(options);
    }
}

}  // namespace rnndyn
