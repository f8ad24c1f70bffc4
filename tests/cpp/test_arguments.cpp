// Bad shapes, options and names throw std::invalid_argument (ValueError in Python) before any
// work starts, rather than reading out of bounds.
#include <stdexcept>

#include <rnndyn/minimizers.hpp>
#include <rnndyn/network.hpp>
#include <rnndyn/rls.hpp>
#include <rnndyn/systems.hpp>

#include "check.hpp"
#include "fixtures.hpp"

using fixtures::Matrix;
using fixtures::Vector;
using rnndyn::Activation;

TEST(unknown_names_throw) {
    CHECK_THROWS(rnndyn::activation_from_name("ReLU"), std::invalid_argument);
    CHECK_THROWS(rnndyn::activation_from_name("Tanh"), std::invalid_argument);
    CHECK_THROWS(rnndyn::method_from_name("bfgs"), std::invalid_argument);
    CHECK_THROWS(rnndyn::method_from_name(""), std::invalid_argument);
    CHECK(rnndyn::method_from_name("trust-ncg") == rnndyn::Method::TrustNcg);
    CHECK(rnndyn::activation_from_name("logistic") == Activation::Logistic);
    CHECK(rnndyn::activation_from_name("relu") == Activation::Relu);
}

TEST(minimize_options_check_rejects_bad_values) {
    auto with = [](auto change) {
        rnndyn::MinimizeOptions options;
        change(options);
        return options;
    };
    CHECK_THROWS(with([](auto& o) { o.tol_q = -1e-30; }).check(), std::invalid_argument);
    CHECK_THROWS(with([](auto& o) { o.tol_grad = -1; }).check(), std::invalid_argument);
    CHECK_THROWS(with([](auto& o) { o.tol_step = NAN; }).check(), std::invalid_argument);
    CHECK_THROWS(with([](auto& o) { o.max_iter = -1; }).check(), std::invalid_argument);
    CHECK_THROWS(with([](auto& o) { o.max_inner = 0; }).check(), std::invalid_argument);
    CHECK_THROWS(with([](auto& o) { o.max_krylov = 0; }).check(), std::invalid_argument);
    CHECK_THROWS(with([](auto& o) { o.cluster_radius = INFINITY; }).check(), std::invalid_argument);
    CHECK_THROWS(with([](auto& o) { o.initial_radius = 0; }).check(), std::invalid_argument);
    CHECK_THROWS(with([](auto& o) { o.learning_rate = -1; }).check(), std::invalid_argument);
    rnndyn::MinimizeOptions{}.check();  // the defaults pass
}

TEST(systems_reject_bad_shapes) {
    const Matrix W = Matrix::Identity(4, 4);
    const Vector c = Vector::Zero(4);
    CHECK_THROWS(rnndyn::ClosedLoopSystem<double>(Matrix::Zero(4, 3), c, Activation::Tanh),
                 std::invalid_argument);
    CHECK_THROWS(rnndyn::ClosedLoopSystem<double>(W, Vector::Zero(3), Activation::Tanh),
                 std::invalid_argument);
    CHECK_THROWS(rnndyn::ClosedLoopSystem<double>(W, c, Activation::Tanh, Matrix::Zero(4, 2),
                                                  Matrix::Zero(1, 4)),
                 std::invalid_argument);
    CHECK_THROWS(rnndyn::DiscreteSystem<double>(Matrix::Zero(3, 4), c, Activation::Tanh),
                 std::invalid_argument);
    CHECK_THROWS(rnndyn::DiscreteSystem<double>(W, Vector::Zero(5), Activation::Tanh),
                 std::invalid_argument);
    const rnndyn::ClosedLoopSystem<double> closed_loop(W, c, Activation::Tanh);
    const rnndyn::DiscreteSystem<double> discrete(W, c, Activation::Logistic);
    for (const Matrix& states : {Matrix(Matrix::Zero(2, 3)), Matrix(Matrix::Zero(2, 5))}) {
        CHECK_THROWS(closed_loop.velocity(states), std::invalid_argument);
        CHECK_THROWS(discrete.velocity(states), std::invalid_argument);
    }
}

TEST(simulation_and_rls_reject_bad_shapes) {
    const Eigen::Index n = 5, n_out = 2, n_in = 1, steps = 3;
    const Matrix recurrent = Matrix::Zero(n, n), feedback = Matrix::Zero(n, n_out);
    const Matrix input = Matrix::Zero(n, n_in);
    const Vector bias(0), leak = Vector::Constant(n, 0.1);
    const rnndyn::Network<double> net{recurrent, feedback, input, bias, leak, Activation::Tanh};
    Matrix readout = Matrix::Zero(n_out, n), inputs = Matrix::Zero(steps, n_in);
    Matrix targets = Matrix::Zero(steps, n_out), empty(0, 0);
    Vector state = Vector::Zero(n), previous = Vector::Zero(n_out);
    auto run = [&](Matrix& readout_, Vector& state_, const Matrix& inputs_, const Matrix& targets_,
                   bool teacher_forcing, Matrix& states) {
        rnndyn::run<double>(net, readout_, state_, inputs_, targets_, teacher_forcing, previous,
                            nullptr, {states, empty, empty}, 1);
    };
    Matrix wrong_readout = Matrix::Zero(n_out, n + 1), states = Matrix::Zero(steps, n);
    Vector wrong_state = Vector::Zero(n - 1);
    CHECK_THROWS(run(wrong_readout, state, inputs, targets, false, states), std::invalid_argument);
    CHECK_THROWS(run(readout, wrong_state, inputs, targets, false, states), std::invalid_argument);
    CHECK_THROWS(run(readout, state, Matrix::Zero(steps, n_in + 1), targets, false, states),
                 std::invalid_argument);
    CHECK_THROWS(run(readout, state, inputs, Matrix::Zero(steps - 1, n_out), true, states),
                 std::invalid_argument);
    CHECK_THROWS(run(readout, state, inputs, Matrix(0, n_out), true, states),
                 std::invalid_argument);
    Matrix short_states = Matrix::Zero(steps - 1, n);
    CHECK_THROWS(run(readout, state, inputs, targets, false, short_states), std::invalid_argument);
    run(readout, state, inputs, targets, false, states);  // the right shapes pass

    Matrix rectangle = Matrix::Zero(n, n + 1), square = Matrix::Identity(n, n);
    CHECK_THROWS(rnndyn::Rls<double>(rectangle, 1, 0), std::invalid_argument);
    CHECK_THROWS(rnndyn::Rls<double>(square, 0, 0), std::invalid_argument);
    CHECK_THROWS(rnndyn::Rls<double>(square, 1, -1), std::invalid_argument);
    Matrix wrong_P = Matrix::Identity(n + 1, n + 1);
    rnndyn::Rls<double> wrong_size(wrong_P, 1, 0);
    CHECK_THROWS(rnndyn::run<double>(net, readout, state, inputs, targets, false, previous,
                                     &wrong_size, {empty, empty, empty}, 1),
                 std::invalid_argument);
}
