// What the two trust-region minimisers share (trust_ncg.hpp on q, newton_krylov.hpp's dogleg
// on F): the radius each state starts with, the ratio of actual to predicted decrease and the
// radius's update from it (Nocedal & Wright, Algorithm 4.1), and the point where a path leaves
// the region.
#pragma once

#include <algorithm>
#include <cmath>

#include "options.hpp"
#include "types.hpp"

namespace rnndyn {

namespace detail {

// The starting radius of each row of X: initial_radius, widened with |x| so that it is
// relative for states far from the origin.
template <typename Scalar>
Vector<Scalar> initial_radii(const RowMatrix<Scalar>& X, const MinimizeOptions& options) {
    Vector<Scalar> radius(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i)
        radius(i) = Scalar(options.initial_radius) * (Scalar(1) + X.row(i).norm() / 10);
    return radius;
}

// ρ = actual / predicted decrease of q; -1 (reject, shrink) where the model predicts no
// decrease or q at the trial point is not finite.
template <typename Scalar>
Scalar reduction_ratio(Scalar actual, Scalar predicted, Scalar q_trial) {
    return predicted > 0 && std::isfinite(q_trial) ? actual / predicted : Scalar(-1);
}

// Shrinks the radius where the model was poor, doubles it where it was good and the step
// reached the boundary.
template <typename Scalar>
void update_radius(Scalar rho, Scalar step_norm, Scalar& radius) {
    if (rho < Scalar(0.25)) {
        radius = Scalar(0.25) * std::min(radius, step_norm);
    } else if (rho > Scalar(0.75) && step_norm >= Scalar(0.99) * radius) {
        radius = Scalar(2) * radius;
    }
}

// τ >= 0 with |z + τ d|_M = radius, from zz = |z|², zd = ⟨z, d⟩, dd = |d|² in the metric M.
template <typename Scalar>
Scalar to_boundary(Scalar zz, Scalar zd, Scalar dd, Scalar radius) {
    const Scalar c = zz - radius * radius;
    const Scalar root = std::sqrt(std::max(Scalar(0), zd * zd - dd * c));
    return dd > 0 ? (-zd + root) / dd : Scalar(0);
}

// τ in [0, 1] with |a + τ (b - a)| = radius, for |a| <= radius <= |b|.
template <typename Scalar>
Scalar dogleg_fraction(const Vector<Scalar>& a, const Vector<Scalar>& b, Scalar radius) {
    const Vector<Scalar> d = b - a;
    return to_boundary(a.squaredNorm(), a.dot(d), d.squaredNorm(), radius);
}

}  // namespace detail

}  // namespace rnndyn
