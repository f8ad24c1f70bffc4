// Simulation (network.hpp): run() is the forward-Euler step of docs/mathematics.md (The
// network), written out here by hand, and its results do not depend on the number of threads.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include <rnndyn/network.hpp>

#include "check.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;
using fixtures::phi;
using fixtures::Vector;
using rnndyn::Activation;

struct Weights {
    Matrix recurrent, feedback, input, readout;
    Vector bias, leak, state;

    rnndyn::Network<double> network(Activation activation) const {
        return {recurrent, feedback, input, bias, leak, activation};
    }
};

Weights make_weights(Index n, Index outputs, Index inputs, bool bias, std::uint64_t seed) {
    return {fixtures::uniform(n, n, seed, -1.5 / std::sqrt(double(n)), 1.5 / std::sqrt(double(n))),
            fixtures::uniform(n, outputs, seed + 1),
            fixtures::uniform(n, inputs, seed + 2),
            fixtures::uniform(outputs, n, seed + 3, -0.5, 0.5),
            bias ? fixtures::uniform_vector(n, seed + 4, -0.2, 0.2) : Vector(0),
            fixtures::uniform_vector(n, seed + 5, 0.05, 0.5),
            fixtures::uniform_vector(n, seed + 6)};
}

// T steps of x <- x + (dt/tau) ⊙ (-x + W_r φ(x) + W_fb z_fed + B u_t + b), z = W_o φ(x), one
// scalar at a time; z_fed is the last output, or with teacher forcing f_{t-1} (f_{-1} given).
void euler_by_hand(const Weights& w, Activation activation, const Matrix& inputs,
                   const Matrix& targets, bool teacher_forcing, const Vector& previous_target,
                   Matrix& states, Matrix& outputs) {
    const Index n = w.state.size(), n_out = w.readout.rows(), steps = inputs.rows();
    Vector x = w.state, rates(n), fed_back(n_out), output(n_out);
    auto read_out = [&] {
        for (Index i = 0; i < n; ++i) rates(i) = phi(activation, x(i));
        for (Index k = 0; k < n_out; ++k) {
            output(k) = 0;
            for (Index j = 0; j < n; ++j) output(k) += w.readout(k, j) * rates(j);
        }
    };
    read_out();
    states.resize(steps, n);
    outputs.resize(steps, n_out);
    for (Index t = 0; t < steps; ++t) {
        for (Index k = 0; k < n_out; ++k)
            fed_back(k) = !teacher_forcing ? output(k)
                          : t == 0         ? previous_target(k)
                                           : targets(t - 1, k);
        Vector next(n);
        for (Index i = 0; i < n; ++i) {
            double drive = w.bias.size() > 0 ? w.bias(i) : 0;
            for (Index j = 0; j < n; ++j) drive += w.recurrent(i, j) * rates(j);
            for (Index k = 0; k < n_out; ++k) drive += w.feedback(i, k) * fed_back(k);
            for (Index k = 0; k < inputs.cols(); ++k) drive += w.input(i, k) * inputs(t, k);
            next(i) = x(i) + w.leak(i) * (-x(i) + drive);
        }
        x = next;
        read_out();
        states.row(t) = x.transpose();
        outputs.row(t) = output.transpose();
    }
}

struct Run {
    Matrix states, outputs;
    Vector state;
};

Run simulate(const Weights& w, Activation activation, const Matrix& inputs, const Matrix& targets,
             bool teacher_forcing, const Vector& previous_target, int n_jobs) {
    Run run{Matrix(inputs.rows(), w.state.size()), Matrix(inputs.rows(), w.readout.rows()),
            w.state};
    Matrix readout = w.readout, no_errors(0, 0);
    rnndyn::run<double>(w.network(activation), readout, run.state, inputs, targets, teacher_forcing,
                        previous_target, nullptr, {run.states, run.outputs, no_errors}, n_jobs);
    return run;
}

}  // namespace

TEST(simulation_is_forward_euler_by_hand) {
    struct Case {
        const char* name;
        Activation activation;
        bool teacher_forcing;
        Index inputs;
        bool bias;
    };
    const Case cases[] = {{"tanh, own output fed back", Activation::Tanh, false, 3, true},
                          {"logistic, teacher forcing", Activation::Logistic, true, 3, true},
                          {"tanh, no input, no bias", Activation::Tanh, true, 0, false}};
    const Index n = 37, n_out = 2, steps = 5;  // N = 37: four unequal parts of the units
    for (const Case& c : cases) {
        const Weights w = make_weights(n, n_out, c.inputs, c.bias, 7);
        const Matrix inputs = fixtures::uniform(steps, c.inputs, 8);
        const Matrix targets = fixtures::uniform(steps, n_out, 9);
        const Vector previous_target = fixtures::uniform_vector(n_out, 10);
        Matrix states, outputs;
        euler_by_hand(w, c.activation, inputs, targets, c.teacher_forcing, previous_target, states,
                      outputs);
        for (int n_jobs : {1, 2}) {
            check::Context context(std::string(c.name) + ", n_jobs " + std::to_string(n_jobs));
            const Run run = simulate(w, c.activation, inputs, targets, c.teacher_forcing,
                                     previous_target, n_jobs);
            CHECK_CLOSE(run.states, states, 1e-13);
            CHECK_CLOSE(run.outputs, outputs, 1e-13);
            CHECK(run.state == run.states.row(steps - 1).transpose());
        }
    }
}

TEST(simulation_does_not_depend_on_threads) {
    const Weights w = make_weights(101, 3, 2, true, 11);
    const Matrix inputs = fixtures::uniform(20, 2, 12);
    const Run one = simulate(w, Activation::Tanh, inputs, Matrix(0, 3), false, Vector::Zero(3), 1);
    for (int n_jobs : {2, 3, 4, 8}) {
        check::Context context("n_jobs " + std::to_string(n_jobs));
        const Run many =
            simulate(w, Activation::Tanh, inputs, Matrix(0, 3), false, Vector::Zero(3), n_jobs);
        CHECK(many.states == one.states);
        CHECK(many.outputs == one.outputs);
    }
}

// W_r in float (compact_rows.hpp): only a matrix whose every entry is a float is copied, and
// its rows times x are the double sums, each row the same whatever rows it is taken with.
TEST(compact_rows_hold_only_floats) {
    Matrix floats = fixtures::uniform(9, 9, 21).cast<float>().cast<double>();
    const auto compact = rnndyn::CompactRows::of(floats);
    CHECK(compact.has_value() == rnndyn::CompactRows::kVectorized);
    if (compact) CHECK(compact->rows() == 9 && compact->cols() == 9);
    floats(8, 8) += 1e-12;  // one entry that is not a float
    CHECK(!rnndyn::CompactRows::of(floats).has_value());
}

TEST(compact_rows_products_are_double_sums) {
    if (!rnndyn::CompactRows::kVectorized) return;
    const Index shapes[][2] = {{37, 37}, {5, 13}, {3, 7}, {64, 1003}};
    for (const auto& shape : shapes) {
        const Index rows = shape[0], cols = shape[1];
        check::Context context(std::to_string(rows) + " x " + std::to_string(cols));
        const Matrix W = fixtures::uniform(rows, cols, 22).cast<float>().cast<double>();
        const Vector x = fixtures::uniform_vector(cols, 23);
        const auto compact = rnndyn::CompactRows::of(W);
        Vector all(rows);
        compact->times(0, rows, x.data(), all.data());
        for (Index i = 0; i < rows; ++i) {
            long double sum = 0, size = 0;
            for (Index j = 0; j < cols; ++j) {
                sum += (long double)W(i, j) * x(j);
                size += std::abs((long double)W(i, j) * x(j));
            }
            // the classic bound of a double sum of `cols` terms; float's rounding is 1e-8
            CHECK(std::abs(all(i) - double(sum)) <= double(cols) * 1.2e-16 * double(size));
        }
        for (Index first = 0; first < rows; first += 3) {  // rows 3 at a time, then one by one
            const Index count = std::min<Index>(3, rows - first);
            Vector part(count);
            compact->times(first, count, x.data(), part.data());
            CHECK(part == all.segment(first, count));
            compact->times(first, 1, x.data(), part.data());
            CHECK(part(0) == all(first));
        }
    }
}

TEST(simulation_with_recurrent_as_floats_is_forward_euler_by_hand) {
    Weights w = make_weights(37, 2, 3, true, 7);
    w.recurrent = w.recurrent.cast<float>().cast<double>();
    const auto compact = rnndyn::CompactRows::of(w.recurrent);
    const Matrix inputs = fixtures::uniform(5, 3, 8), targets(0, 2);
    const Vector previous_target = Vector::Zero(2);
    Matrix states, outputs;
    euler_by_hand(w, Activation::Tanh, inputs, targets, false, previous_target, states, outputs);
    rnndyn::Network<double> net = w.network(Activation::Tanh);
    net.compact = compact ? &*compact : nullptr;
    for (int n_jobs : {1, 2}) {
        check::Context context("n_jobs " + std::to_string(n_jobs));
        Matrix got_states(5, 37), got_outputs(5, 2), readout = w.readout, no_errors(0, 0);
        Vector x = w.state;
        rnndyn::run<double>(net, readout, x, inputs, targets, false, previous_target, nullptr,
                            {got_states, got_outputs, no_errors}, n_jobs);
        CHECK_CLOSE(got_states, states, 1e-13);
        CHECK_CLOSE(got_outputs, outputs, 1e-13);
    }
    const auto other = rnndyn::CompactRows::of(Matrix::Zero(9, 9));
    if (other) {
        net.compact = &*other;
        CHECK_THROWS(net.check_weights(), std::invalid_argument);
    }
}
