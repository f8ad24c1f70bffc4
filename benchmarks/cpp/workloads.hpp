// The timed workloads: seeded networks and flip-flop data, and what each benchmark times.
// Weights are drawn in double and cast, so float and double runs start from the same numbers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <rnndyn/minimizers.hpp>
#include <rnndyn/network.hpp>
#include <rnndyn/rls.hpp>
#include <rnndyn/systems.hpp>
#include <rnndyn/team.hpp>

#include "timer.hpp"

namespace bench {

using rnndyn::RowMatrix;
using rnndyn::Vector;
using Index = Eigen::Index;

struct Sizes {
    Index n = 1000;       // units
    int threads = 1;      // n_jobs of the core
    int repetitions = 5;  // timed, after one warm-up
    Index steps = 1000;   // per simulation or FORCE run
    Index updates = 200;  // RLS updates per repetition
    Index products = 20;  // Hessian products per repetition
    Index starts = 32;    // rows of a Hessian product; starting points of a search
};

constexpr std::uint64_t kSeed = 20240601;
constexpr Index kBits = 3;  // Table 1: a 3-bit flip-flop, 3 inputs and 3 outputs

// Row by row, so the numbers do not depend on how Eigen would traverse an expression.
template <class Distribution>
RowMatrix<double> draw(Index rows, Index cols, Distribution distribution, std::mt19937_64& rng) {
    RowMatrix<double> out(rows, cols);
    for (Index i = 0; i < rows; ++i)
        for (Index j = 0; j < cols; ++j) out(i, j) = distribution(rng);
    return out;
}

// A network's weights and initial state; W_o = 0, as FORCE starts.
template <typename Scalar>
struct Weights {
    RowMatrix<Scalar> recurrent, feedback, input, readout;
    Vector<Scalar> bias, leak, initial_state;  // bias empty: none

    rnndyn::Network<Scalar> network() const {
        return {recurrent, feedback, input, bias, leak, rnndyn::Activation::Tanh};
    }
};

// Table 1's network: W_r ~ N(0, g²/N), W_fb and B uniform in [-1, 1], dt / tau = 0.1,
// x(0) ~ N(0, 0.5²).
template <typename Scalar>
Weights<Scalar> make_network(Index n, double g, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    const std::uniform_real_distribution<double> uniform(-1, 1);
    Weights<Scalar> w;
    w.recurrent = draw(n, n, std::normal_distribution<double>(0, g / std::sqrt(double(n))), rng)
                      .cast<Scalar>();
    w.feedback = draw(n, kBits, uniform, rng).cast<Scalar>();
    w.input = draw(n, kBits, uniform, rng).cast<Scalar>();
    w.readout = RowMatrix<Scalar>::Zero(kBits, n);
    w.leak = Vector<Scalar>::Constant(n, Scalar(0.1));
    w.initial_state = draw(n, 1, std::normal_distribution<double>(0, 0.5), rng).cast<Scalar>();
    return w;
}

// Flip-flop-like data (T x bits): per channel, 20-step pulses of random sign with onsets
// 100-400 steps apart; the target holds the sign of the latest onset, 0 before the first.
template <typename Scalar>
struct FlipFlop {
    RowMatrix<Scalar> inputs, targets;
};

template <typename Scalar>
FlipFlop<Scalar> make_flip_flop(Index steps, std::uint64_t seed) {
    constexpr Index kPulseWidth = 20;
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<Index> first_onset(0, 200), gap(100, 400);
    std::bernoulli_distribution positive(0.5);
    FlipFlop<Scalar> data{RowMatrix<Scalar>::Zero(steps, kBits),
                          RowMatrix<Scalar>::Zero(steps, kBits)};
    for (Index channel = 0; channel < kBits; ++channel) {
        for (Index onset = first_onset(rng); onset < steps; onset += gap(rng)) {
            const Scalar sign = positive(rng) ? 1 : -1;
            const Index width = std::min(kPulseWidth, steps - onset);
            data.inputs.col(channel).segment(onset, width).setConstant(sign);
            data.targets.col(channel).tail(steps - onset).setConstant(sign);
        }
    }
    return data;
}

// 1. Forward-Euler steps without training; time per step.
template <typename Scalar>
Timing simulation_step(const Sizes& sizes) {
    const Weights<Scalar> w = make_network<Scalar>(sizes.n, 1.5, kSeed);
    const FlipFlop<Scalar> data = make_flip_flop<Scalar>(sizes.steps, kSeed + 1);
    RowMatrix<Scalar> readout = w.readout, unrecorded(0, 0), no_targets(0, kBits);
    Vector<Scalar> state;
    const Vector<Scalar> no_previous_target = Vector<Scalar>::Zero(kBits);
    return measure(
        sizes.repetitions, double(sizes.steps), [&] { state = w.initial_state; },
        [&] {
            rnndyn::run<Scalar>(w.network(), readout, state, data.inputs, no_targets, false,
                                no_previous_target, nullptr, {unrecorded, unrecorded, unrecorded},
                                sizes.threads);
        });
}

// 2. RLS updates on their own, phased and shared among threads as run() does them; time per
// update (the final flush included).
template <typename Scalar>
Timing rls_update(const Sizes& sizes) {
    using Rls = rnndyn::Rls<Scalar>;
    std::mt19937_64 rng(kSeed + 2);
    // rates in (-1, 1), one vector per update, stored as run() holds them
    std::vector<Vector<Scalar>> rates;
    for (Index u = 0; u < sizes.updates; ++u)
        rates.push_back(draw(sizes.n, 1, std::normal_distribution<double>(0, 1), rng)
                            .array()
                            .tanh()
                            .matrix()
                            .cast<Scalar>());
    RowMatrix<Scalar> P;
    return measure(
        sizes.repetitions, double(sizes.updates),
        [&] { P = RowMatrix<Scalar>::Identity(sizes.n, sizes.n); },
        [&] {
            Rls rls(P, 1, 0);
            rnndyn::Team team(std::min(sizes.threads, Rls::kParts));
            team.run([&](int rank) {
                Vector<Scalar> gain;
                for (Index u = 0; u < sizes.updates; ++u) {
                    const Vector<Scalar>& r = rates[std::size_t(u)];
                    for (int part = rank; part < Rls::kParts; part += team.size())
                        rls.partial_gain(part, r);
                    team.barrier();  // every part of P r complete
                    const Scalar c = rls.gain(r, gain);
                    if (rank == 0) rls.defer(gain, c);
                    team.barrier();  // the gain is read and the update deferred
                }
                for (int part = rank; part < Rls::kParts; part += team.size()) rls.flush(part);
            });
        });
}

// 3. FORCE on Table 1's set-up, training at every step (P = I / alpha, alpha = 1); time per
// step.
template <typename Scalar>
Timing force_step(const Sizes& sizes) {
    const Weights<Scalar> w = make_network<Scalar>(sizes.n, 1.5, kSeed);
    const FlipFlop<Scalar> data = make_flip_flop<Scalar>(sizes.steps, kSeed + 1);
    RowMatrix<Scalar> readout, P, unrecorded(0, 0);
    Vector<Scalar> state;
    const Vector<Scalar> no_previous_target = Vector<Scalar>::Zero(kBits);
    return measure(
        sizes.repetitions, double(sizes.steps),
        [&] {
            readout = w.readout;
            P = RowMatrix<Scalar>::Identity(sizes.n, sizes.n);
            state = w.initial_state;
        },
        [&] {
            rnndyn::Rls<Scalar> rls(P, 1, 0);
            rnndyn::run<Scalar>(w.network(), readout, state, data.inputs, data.targets, false,
                                no_previous_target, &rls, {unrecorded, unrecorded, unrecorded},
                                sizes.threads);
        });
}

// 4. Exact Hessian-vector products of q for `starts` states at once; time per product.
inline Timing hessian_product(const Sizes& sizes) {
    const Weights<double> w = make_network<double>(sizes.n, 1.5, kSeed);
    const rnndyn::ClosedLoopSystem<double> system(w.recurrent, Vector<double>::Zero(sizes.n),
                                                  rnndyn::Activation::Tanh);
    std::mt19937_64 rng(kSeed + 3);
    const std::normal_distribution<double> normal(0, 1);
    const RowMatrix<double> X = draw(sizes.starts, sizes.n, normal, rng);
    const RowMatrix<double> V = draw(sizes.starts, sizes.n, normal, rng);
    RowMatrix<double> gradient, product;
    const auto lin = system.linearize(X, system.velocity(X), gradient);
    return measure(
        sizes.repetitions, double(sizes.products), [] {},
        [&] {
            for (Index p = 0; p < sizes.products; ++p)
                product = system.hessian_product(lin, V, true);
        });
}

// 5. Newton-Krylov fixed-point searches from `starts` points on an untrained g = 0.9 network,
// whose only fixed point is the origin; time per search, how many reached q <= tol_q and the
// most iterations any point took.
inline Timing fixed_point_search(const Sizes& sizes, Index& converged, int& iterations) {
    const Weights<double> w = make_network<double>(sizes.n, 0.9, kSeed);
    const rnndyn::ClosedLoopSystem<double> system(w.recurrent, Vector<double>::Zero(sizes.n),
                                                  rnndyn::Activation::Tanh);
    std::mt19937_64 rng(kSeed + 4);
    const RowMatrix<double> starts =
        draw(sizes.starts, sizes.n, std::normal_distribution<double>(0, 1), rng);
    const rnndyn::MinimizeOptions options;
    rnndyn::MinimizeResult<double> result;
    const Timing timing = measure(
        sizes.repetitions, 1.0, [] {},
        [&] {
            result = rnndyn::minimize<double>(system, starts, rnndyn::Method::Newton, options,
                                              sizes.threads);
        });
    converged = (result.q.array() <= options.tol_q).count();
    iterations = result.iterations.maxCoeff();
    return timing;
}

}  // namespace bench
