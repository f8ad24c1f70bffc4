// Free runs (free_run.hpp): many states stepped together are the forward-Euler steps of
// docs/mathematics.md (The network) at a constant input, written out here by hand, and each
// state's numbers are the same alone, with others, or on any number of threads. Their products
// with W_r as floats (compact_rows.hpp, several vectors at once) are those of one vector.
#include <optional>
#include <string>

#include <rnndyn/free_run.hpp>

#include "check.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;
using fixtures::phi;
using fixtures::Vector;
using rnndyn::Activation;

TEST(compact_rows_several_vectors_are_one_at_a_time) {
    if (!rnndyn::CompactRows::kVectorized) return;
    const Index shapes[][2] = {{37, 37}, {5, 13}, {1, 7}, {64, 1003}};
    for (const auto& shape : shapes) {
        const Index rows = shape[0], cols = shape[1];
        const Matrix W = fixtures::uniform(rows, cols, 31).cast<float>().cast<double>();
        const auto compact = rnndyn::CompactRows::of(W);
        const Matrix X = fixtures::uniform(5, cols, 32);  // 5 vectors, one a row
        for (Index states = 1; states <= 5; ++states) {
            check::Context context(std::to_string(rows) + " x " + std::to_string(cols) + ", " +
                                   std::to_string(states) + " vectors");
            Matrix Y(states, rows);
            compact->times(0, rows, X.data(), cols, states, Y.data(), rows);
            for (Index s = 0; s < states; ++s) {
                Vector one(rows);
                compact->times(0, rows, X.row(s).data(), one.data());
                CHECK(Y.row(s) == one.transpose());
            }
            Matrix part(states, 1);  // a single row, as a thread's share may be
            compact->times(rows - 1, 1, X.data(), cols, states, part.data(), 1);
            CHECK(part.col(0) == Y.col(rows - 1));
        }
    }
}

struct Weights {
    Matrix recurrent, feedback, input, readout;
    Vector bias, leak, u;

    rnndyn::Network<double> network() const {
        return {recurrent, feedback, input, bias, leak, Activation::Tanh};
    }
    Vector drive() const { return input * u + bias; }
};

Weights make_weights(Index n, std::uint64_t seed) {
    const double scale = 1.5 / std::sqrt(double(n));
    return {fixtures::uniform(n, n, seed, -scale, scale).cast<float>().cast<double>(),
            fixtures::uniform(n, 2, seed + 1),
            fixtures::uniform(n, 3, seed + 2),
            fixtures::uniform(2, n, seed + 3, -0.5, 0.5),
            fixtures::uniform_vector(n, seed + 4, -0.2, 0.2),
            fixtures::uniform_vector(n, seed + 5, 0.05, 0.5),
            fixtures::uniform_vector(3, seed + 6)};
}

// `steps` steps of x <- x + leak ⊙ F(x), F = -x + W_r φ(x) + W_fb W_o φ(x) + B u + b, for each
// row of X, one scalar at a time; `previous` and `velocity` at the last step.
void euler_by_hand(const Weights& w, Matrix& X, Matrix& previous, Matrix& velocity, Index steps) {
    const Index n = X.cols(), n_out = w.readout.rows();
    const Vector c = w.drive();
    for (Index k = 0; k < X.rows(); ++k) {
        for (Index t = 0; t < steps; ++t) {
            Vector rates(n), z = Vector::Zero(n_out), F(n);
            for (Index j = 0; j < n; ++j) rates(j) = phi(Activation::Tanh, X(k, j));
            for (Index o = 0; o < n_out; ++o)
                for (Index j = 0; j < n; ++j) z(o) += w.readout(o, j) * rates(j);
            for (Index i = 0; i < n; ++i) {
                F(i) = -X(k, i) + c(i);
                for (Index j = 0; j < n; ++j) F(i) += w.recurrent(i, j) * rates(j);
                for (Index o = 0; o < n_out; ++o) F(i) += w.feedback(i, o) * z(o);
            }
            previous.row(k) = X.row(k);
            velocity.row(k) = F.transpose();
            for (Index i = 0; i < n; ++i) X(k, i) += w.leak(i) * F(i);
        }
    }
}

TEST(free_runs_are_forward_euler_by_hand_whatever_the_batch_and_threads) {
    const Weights w = make_weights(41, 40);
    const Matrix start = fixtures::uniform(3, 41, 47, -1.5, 1.5);
    Matrix expected = start, expected_previous(3, 41), expected_velocity(3, 41);
    euler_by_hand(w, expected, expected_previous, expected_velocity, 6);
    const auto compact = rnndyn::CompactRows::of(w.recurrent);
    for (const bool floats : {false, true}) {
        rnndyn::Network<double> net = w.network();
        net.compact = floats && compact ? &*compact : nullptr;
        Matrix first;  // the single-thread run of all three
        for (int n_jobs : {1, 2, 3}) {
            check::Context context(std::string(floats ? "W_r as floats" : "W_r in double") +
                                   ", n_jobs " + std::to_string(n_jobs));
            Matrix X = start, previous(3, 41), velocity(3, 41);
            rnndyn::free_run<double>(net, w.readout, w.drive(), X, previous, velocity, 6, n_jobs);
            CHECK_CLOSE(X, expected, 1e-13);
            CHECK_CLOSE(previous, expected_previous, 1e-13);
            CHECK_CLOSE(velocity, expected_velocity, 1e-13);
            if (n_jobs == 1) first = X;
            CHECK(X == first);
            Matrix alone = start.row(1), p(1, 41), v(1, 41);  // the middle state by itself
            rnndyn::free_run<double>(net, w.readout, w.drive(), alone, p, v, 6, n_jobs);
            CHECK(alone == X.row(1));
        }
    }
}

TEST(free_runs_check_their_arguments) {
    const Weights w = make_weights(9, 50);
    const rnndyn::Network<double> net = w.network();
    Matrix X = fixtures::uniform(2, 9, 51), previous = Matrix::Constant(2, 9, 7.0), velocity = X;
    const Matrix before = X;
    rnndyn::free_run<double>(net, w.readout, w.drive(), X, previous, velocity, 0);
    CHECK(X == before);  // no steps: nothing moves, nothing is written
    CHECK(previous == Matrix::Constant(2, 9, 7.0));
    Matrix narrow(2, 8), short_previous(1, 9);
    CHECK_THROWS(rnndyn::free_run<double>(net, w.readout, w.drive(), narrow, previous, velocity, 1),
                 std::invalid_argument);
    CHECK_THROWS(
        rnndyn::free_run<double>(net, w.readout, w.drive(), X, short_previous, velocity, 1),
        std::invalid_argument);
    CHECK_THROWS(
        rnndyn::free_run<double>(net, w.readout, Vector::Zero(8), X, previous, velocity, 1),
        std::invalid_argument);
    CHECK_THROWS(rnndyn::free_run<double>(net, w.readout, w.drive(), X, previous, velocity, -1),
                 std::invalid_argument);
    CHECK_THROWS(rnndyn::free_run<double>(net, Matrix(3, 9), w.drive(), X, previous, velocity, 1),
                 std::invalid_argument);
}

}  // namespace
