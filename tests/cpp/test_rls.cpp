// Recursive least squares and FORCE (rls.hpp, network.hpp): the update is the textbook
// P <- P - P r rᵀ P / (1 + rᵀ P r), on P's lower triangle only, and FORCE training through
// run() is the textbook algorithm step by step, for any number of threads.
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include <rnndyn/network.hpp>
#include <rnndyn/rls.hpp>

#include "check.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;
using fixtures::Vector;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// P with NaN above the diagonal: any read of the upper triangle would show in the results.
Matrix lower_only(Matrix P) {
    P.triangularView<Eigen::StrictlyUpper>().setConstant(kNaN);
    return P;
}

Matrix lower_of(const Matrix& P) { return P.triangularView<Eigen::Lower>(); }

// The textbook update of a full symmetric P; returns k = P r and c = 1 / (1 + rᵀ P r).
void textbook_update(Matrix& P, const Vector& r, Vector& k, double& c) {
    k = P * r;
    c = 1 / (1 + r.dot(k));
    P -= c * k * k.transpose();
}

}  // namespace

TEST(rls_update_is_the_textbook_formula) {
    for (Index n : {1, 5, 13, 37}) {  // 37: packets, a remainder row and four parts of rows
        check::Context context("N = " + std::to_string(n));
        Matrix expected = fixtures::positive_definite(n, 20);
        Matrix P = lower_only(expected);
        rnndyn::Rls<double> rls(P, 1, 0);
        // two updates: the second applies the first's deferred rank-one update as it reads P
        for (std::uint64_t seed : {21, 22}) {
            const Vector r = fixtures::uniform_vector(n, seed);
            Vector k, gain;
            double c = 0;
            textbook_update(expected, r, k, c);
            for (int part = 0; part < rnndyn::Rls<double>::kParts; ++part)
                rls.partial_gain(part, r);
            const double core_c = rls.gain(r, gain);
            CHECK_CLOSE(gain, k, 1e-14);
            CHECK_CLOSE(core_c, c, 1e-14);
            rls.defer(gain, core_c);
        }
        for (int part = 0; part < rnndyn::Rls<double>::kParts; ++part) rls.flush(part);
        CHECK_CLOSE(lower_of(P), lower_of(expected), 1e-14);
        CHECK(expected.isApprox(expected.transpose(), 1e-14));  // the textbook P stays symmetric
        CHECK(P.triangularView<Eigen::StrictlyUpper>().toDenseMatrix().array().isNaN().count() ==
              n * (n - 1) / 2);  // the upper triangle is never written
    }
}

TEST(rls_schedule_counts_from_the_first_training_step) {
    const Matrix P = Matrix::Identity(3, 3);
    Matrix copy = P;
    const rnndyn::Rls<double> every_third(copy, 3, 2);  // steps 2, 5, 8, ... of training
    for (Index t = 0; t < 7; ++t) CHECK(every_third.due(t) == (t % 3 == 0));
    const rnndyn::Rls<double> every_step(copy, 1, 0);
    for (Index t = 0; t < 3; ++t) CHECK(every_step.due(t));
}

namespace {

struct Force {
    Matrix states, outputs, errors, readout, P;
};

// FORCE (Sussillo & Abbott 2009) with the step order of docs/mathematics.md: step, z = W_o r,
// e = z - f, and on scheduled steps k = P r, c = 1 / (1 + rᵀk), P -= c k kᵀ, W_o -= c e kᵀ.
Force force_by_hand(const Matrix& recurrent, const Matrix& feedback, const Matrix& input,
                    const Vector& leak, Matrix readout, Vector x, Matrix P, const Matrix& inputs,
                    const Matrix& targets, Index train_every, Index step_offset) {
    const Index steps = inputs.rows();
    Force out{Matrix(steps, x.size()), Matrix(steps, readout.rows()), Matrix(steps, readout.rows()),
              Matrix(), Matrix()};
    Vector rates = x.array().tanh().matrix(), output = readout * rates;
    for (Index t = 0; t < steps; ++t) {
        const Vector drive =
            recurrent * rates + feedback * output + input * inputs.row(t).transpose();
        x += leak.cwiseProduct(drive - x);
        rates = x.array().tanh().matrix();
        output = readout * rates;
        const Vector error = output - targets.row(t).transpose();
        out.errors.row(t) = error.transpose();
        if ((step_offset + t + 1) % train_every == 0) {
            Vector k;
            double c = 0;
            textbook_update(P, rates, k, c);
            readout -= c * error * k.transpose();
            output = readout * rates;
        }
        out.states.row(t) = x.transpose();
        out.outputs.row(t) = output.transpose();
    }
    out.readout = readout;
    out.P = P;
    return out;
}

}  // namespace

// W_r's entries floats (as an ESN's draws), so that the steps may read them in float
TEST(force_training_is_the_textbook_algorithm) {
    const Index n = 37, n_out = 2, n_in = 2, steps = 9, train_every = 2, step_offset = 1;
    const double scale = 1.5 / std::sqrt(double(n));
    const Matrix recurrent =
        fixtures::uniform(n, n, 30, -scale, scale).cast<float>().cast<double>();
    const std::optional<rnndyn::CompactRows> compact = rnndyn::CompactRows::of(recurrent);
    CHECK(compact.has_value() == rnndyn::CompactRows::kVectorized);
    const Matrix feedback = fixtures::uniform(n, n_out, 31);
    const Matrix input = fixtures::uniform(n, n_in, 32);
    const Matrix readout = fixtures::uniform(n_out, n, 33, -0.1, 0.1);
    const Vector leak = Vector::Constant(n, 0.1), bias(0);
    const Vector state = fixtures::uniform_vector(n, 34);
    const Matrix P = fixtures::positive_definite(n, 35);
    const Matrix inputs = fixtures::uniform(steps, n_in, 36);
    const Matrix targets = fixtures::uniform(steps, n_out, 37);
    const Force expected = force_by_hand(recurrent, feedback, input, leak, readout, state, P,
                                         inputs, targets, train_every, step_offset);
    rnndyn::Network<double> net{recurrent, feedback, input, bias, leak, rnndyn::Activation::Tanh};
    Force first;
    for (const bool floats : {false, true}) {
        net.compact = floats && compact ? &*compact : nullptr;
        for (int n_jobs : {1, 2, 4}) {
            check::Context context("n_jobs " + std::to_string(n_jobs) +
                                   (floats ? ", W_r as floats" : ""));
            Force got{Matrix(steps, n), Matrix(steps, n_out), Matrix(steps, n_out), readout,
                      lower_only(P)};
            Vector x = state;
            rnndyn::Rls<double> rls(got.P, train_every, step_offset);
            rnndyn::run<double>(net, got.readout, x, inputs, targets, false, Vector::Zero(n_out),
                                &rls, {got.states, got.outputs, got.errors}, n_jobs);
            CHECK_CLOSE(got.states, expected.states, 1e-12);
            CHECK_CLOSE(got.outputs, expected.outputs, 1e-12);
            CHECK_CLOSE(got.errors, expected.errors, 1e-12);
            CHECK_CLOSE(got.readout, expected.readout, 1e-12);
            CHECK_CLOSE(lower_of(got.P), lower_of(expected.P), 1e-12);
            if (n_jobs == 1) {
                first = got;
            } else {  // the same numbers, bit for bit
                CHECK(got.states == first.states && got.outputs == first.outputs);
                CHECK(got.readout == first.readout && lower_of(got.P) == lower_of(first.P));
            }
        }
    }
}
