// The systems of systems.hpp: F written out by hand; J, ∇q and the Hessian of q against central
// finite differences; the products against the dense matrices; the preconditioner against the
// matrix it inverts.
#include <cmath>
#include <string>

#include <rnndyn/systems.hpp>

#include "check.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;
using fixtures::phi;
using fixtures::Vector;
using rnndyn::Activation;

constexpr Index kN = 6, kStates = 3;

const char* name(Activation activation) {
    return activation == Activation::Tanh ? "tanh" : "logistic";
}

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
Matrix symmetric_from_lower(const rnndyn::ColMatrix<double>& lower) {
    Matrix full = lower.triangularView<Eigen::Lower>();
    full.triangularView<Eigen::StrictlyUpper>() = full.transpose();
    return full;
}

// Every derivative of `system` at the rows of X against differences and dense matrices.
template <class System>
void check_derivatives(const System& system, const Matrix& X) {
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

}  // namespace

TEST(closed_loop_velocity_is_the_formula) {
    for (Activation activation : {Activation::Tanh, Activation::Logistic}) {
        check::Context context(name(activation));
        const Matrix W = fixtures::uniform(kN, kN, 41);
        const Matrix X = fixtures::uniform(kStates, kN, 42, -2, 2);
        const Vector c = fixtures::uniform_vector(kN, 43);
        const rnndyn::ClosedLoopSystem<double> system(W, c, activation);
        const Matrix F = system.velocity(X);
        for (Index k = 0; k < kStates; ++k) {
            for (Index i = 0; i < kN; ++i) {  // F(x)_i = -x_i + Σ_j W_ij φ(x_j) + c_i
                double expected = -X(k, i) + c(i);
                for (Index j = 0; j < kN; ++j) expected += W(i, j) * phi(activation, X(k, j));
                CHECK_CLOSE(F(k, i), expected, 1e-14);
            }
        }
    }
}

TEST(discrete_velocity_is_the_formula) {
    for (Activation activation : {Activation::Tanh, Activation::Logistic}) {
        check::Context context(name(activation));
        const Matrix W = fixtures::uniform(kN, kN, 44), X = fixtures::uniform(kStates, kN, 45);
        const Vector c = fixtures::uniform_vector(kN, 46);
        const rnndyn::DiscreteSystem<double> system(W, c, activation);
        const Matrix G = system.velocity(X);
        for (Index k = 0; k < kStates; ++k) {
            for (Index i = 0; i < kN; ++i) {  // G(h)_i = φ(Σ_j W_ij h_j + c_i) - h_i
                double drive = c(i);
                for (Index j = 0; j < kN; ++j) drive += W(i, j) * X(k, j);
                CHECK_CLOSE(G(k, i), phi(activation, drive) - X(k, i), 1e-14);
            }
        }
    }
}

TEST(closed_loop_derivatives_match_differences) {
    for (Activation activation : {Activation::Tanh, Activation::Logistic}) {
        check::Context context(std::string("closed loop, ") + name(activation));
        const rnndyn::ClosedLoopSystem<double> system(fixtures::uniform(kN, kN, 47),
                                                      fixtures::uniform_vector(kN, 48), activation);
        check_derivatives(system, fixtures::uniform(kStates, kN, 49, -1.5, 1.5));
    }
}

TEST(discrete_derivatives_match_differences) {
    for (Activation activation : {Activation::Tanh, Activation::Logistic}) {
        check::Context context(std::string("discrete, ") + name(activation));
        const rnndyn::DiscreteSystem<double> system(fixtures::uniform(kN, kN, 50),
                                                    fixtures::uniform_vector(kN, 51), activation);
        check_derivatives(system, fixtures::uniform(kStates, kN, 52));
    }
}

// M = I + (W_fb W_o D)ᵀ(W_fb W_o D), D = diag(φ'(x)): precondition applies M⁻¹, and
// metric_coordinates give aᵀMa = |a|² + |coordinates|².
TEST(closed_loop_preconditioner_inverts_its_matrix) {
    const Index n_out = 2;
    const Matrix feedback = fixtures::uniform(kN, n_out, 53);
    const Matrix readout = fixtures::uniform(n_out, kN, 54);
    const Matrix W = fixtures::uniform(kN, kN, 55) + feedback * readout;
    const rnndyn::ClosedLoopSystem<double> system(W, fixtures::uniform_vector(kN, 56),
                                                  Activation::Tanh, feedback, readout);
    const Matrix X = fixtures::uniform(kStates, kN, 57), V = fixtures::uniform(kStates, kN, 58);
    Matrix gradient;
    const auto lin = system.linearize(X, system.velocity(X), gradient);
    Matrix MV(kStates, kN);
    Vector quadratic(kStates);
    for (Index k = 0; k < kStates; ++k) {
        const Matrix A = feedback * readout * lin.slopes.row(k).asDiagonal();
        const Matrix M = Matrix::Identity(kN, kN) + A.transpose() * A;
        MV.row(k) = (M * V.row(k).transpose()).transpose();
        quadratic(k) = V.row(k) * M * V.row(k).transpose();
    }
    CHECK_CLOSE(system.precondition(lin, MV), V, 1e-13);
    const Matrix coordinates = system.metric_coordinates(lin, V);
    CHECK(coordinates.cols() == n_out);
    const Vector metric = V.rowwise().squaredNorm() + coordinates.rowwise().squaredNorm();
    CHECK_CLOSE(metric, quadratic, 1e-13);
}
