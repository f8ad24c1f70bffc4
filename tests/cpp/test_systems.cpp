// The systems of systems.hpp: F written out by hand; J, ∇q and the Hessian of q against central
// finite differences; the products against the dense matrices; the preconditioner against the
// matrix it inverts.
#include <cmath>
#include <string>

#include <rnndyn/systems.hpp>

#include "check.hpp"
#include "derivatives.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;
using fixtures::phi;
using fixtures::Vector;
using rnndyn::Activation;

constexpr Index kN = 6, kStates = 3;
constexpr Activation kActivations[] = {Activation::Tanh, Activation::Logistic, Activation::Relu};

const char* name(Activation activation) {
    switch (activation) {
        case Activation::Tanh:
            return "tanh";
        case Activation::Logistic:
            return "logistic";
        case Activation::Relu:
            return "relu";
    }
    return "?";
}

}  // namespace

TEST(closed_loop_velocity_is_the_formula) {
    for (Activation activation : kActivations) {
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
    for (Activation activation : kActivations) {
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
    for (Activation activation : kActivations) {
        check::Context context(std::string("closed loop, ") + name(activation));
        const rnndyn::ClosedLoopSystem<double> system(fixtures::uniform(kN, kN, 47),
                                                      fixtures::uniform_vector(kN, 48), activation);
        derivatives::check_all(system, fixtures::uniform(kStates, kN, 49, -1.5, 1.5));
    }
}

TEST(discrete_derivatives_match_differences) {
    for (Activation activation : kActivations) {
        check::Context context(std::string("discrete, ") + name(activation));
        const rnndyn::DiscreteSystem<double> system(fixtures::uniform(kN, kN, 50),
                                                    fixtures::uniform_vector(kN, 51), activation);
        derivatives::check_all(system, fixtures::uniform(kStates, kN, 52));
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
