// Every derivative of a system of systems.hpp's shape checked at the rows of X: J, ∇q and the
// exact Hessian of q against central finite differences, the products against the dense
// matrices (shared by test_systems.cpp and test_gated.cpp).
#pragma once

#include <string>

#include <rnndyn/systems.hpp>

#include "check.hpp"
#include "fixtures.hpp"

namespace derivatives {

using fixtures::Index;
using fixtures::Matrix;
using fixtures::Vector;

// F (or G) at one state, through the batched interface.
template <class System>
Vector velocity_at(const System& system, const Vector& x) {
    return system.velocity(Matrix(x.transpose())).row(0).transpose();
}

template <class System>
Vector gradient_at(const System& system, const Vector& x) {
    const Matrix X = x.transpose(), F = system.velocity(X);
    Matrix gradient;
    system.linearize(X, F, gradient);
    return gradient.row(0).transpose();
}

// The lower triangle mirrored: what a Cholesky factorisation of dense_hessian would see.
inline Matrix symmetric_from_lower(const rnndyn::ColMatrix<double>& lower) {
    Matrix full = lower.triangularView<Eigen::Lower>();
    full.triangularView<Eigen::StrictlyUpper>() = full.transpose();
    return full;
}

// Every derivative of `system` at the rows of X against differences and dense matrices.
template <class System>
void check_all(const System& system, const Matrix& X) {
    const Matrix F = system.velocity(X);
    Matrix gradient;
    const rnndyn::Linearization<double> lin = system.linearize(X, F, gradient);
    // the products' shortcut to the slopes: the same slopes, bit for bit
    CHECK((system.first_order(X).slopes.array() == lin.slopes.array()).all());
    const Matrix V = fixtures::uniform(X.rows(), X.cols(), 40);
    const Matrix JV = system.jacobian_product(lin, V);
    const Matrix JtV = system.jacobian_transpose_product(lin, V);
    const Matrix HV = system.hessian_product(lin, V, true);
    const Matrix GV = system.hessian_product(lin, V, false);
    for (Index k = 0; k < X.rows(); ++k) {
        check::Context context("state " + std::to_string(k));
        const Vector x = X.row(k).transpose(), v = V.row(k).transpose();
        const Matrix J = system.jacobian(lin, k);
        const Matrix J_differences = fixtures::central_differences(
            [&](const Vector& y) { return velocity_at(system, y); }, x, 1e-6);
        CHECK_CLOSE(J, J_differences, 1e-8);
        const Matrix q_differences = fixtures::central_differences(
            [&](const Vector& y) {
                return Vector::Constant(1, velocity_at(system, y).squaredNorm() / 2);
            },
            x, 1e-6);
        CHECK_CLOSE(gradient.row(k), q_differences, 1e-8);
        CHECK_CLOSE(gradient.row(k), (J.transpose() * F.row(k).transpose()).transpose(), 1e-13);
        CHECK_CLOSE(JV.row(k), (J * v).transpose(), 1e-13);
        CHECK_CLOSE(JtV.row(k), (J.transpose() * v).transpose(), 1e-13);
        // the exact Hessian of q is the Jacobian of ∇q
        const Matrix H = symmetric_from_lower(rnndyn::dense_hessian(system, lin, k, true));
        const Matrix H_differences = fixtures::central_differences(
            [&](const Vector& y) { return gradient_at(system, y); }, x, 1e-5);
        CHECK_CLOSE(H, H_differences, 1e-7);
        const Matrix gauss_newton =
            symmetric_from_lower(rnndyn::dense_hessian(system, lin, k, false));
        CHECK_CLOSE(gauss_newton, J.transpose() * J, 1e-13);
        CHECK_CLOSE(HV.row(k), (H * v).transpose(), 1e-13);
        CHECK_CLOSE(GV.row(k), (gauss_newton * v).transpose(), 1e-13);
    }
}

}  // namespace derivatives
