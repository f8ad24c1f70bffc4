// The gated systems of gated.hpp: one GRU, one LSTM and one RNN step written out unit by unit,
// and every derivative of one- and two-layer stacks against central finite differences
// (derivatives.hpp).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <rnndyn/gated.hpp>
#include <rnndyn/gru_cell.hpp>
#include <rnndyn/lstm_cell.hpp>
#include <rnndyn/rnn_cell.hpp>

#include "check.hpp"
#include "derivatives.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;
using fixtures::Vector;
using GRU = rnndyn::GatedSystem<rnndyn::GRUCell<double>>;
using LSTM = rnndyn::GatedSystem<rnndyn::LSTMCell<double>>;
using TanhRNN = rnndyn::GatedSystem<rnndyn::RNNCell<double, rnndyn::Activation::Tanh>>;
using ReluRNN = rnndyn::GatedSystem<rnndyn::RNNCell<double, rnndyn::Activation::Relu>>;

constexpr Index kHidden = 4, kInputs = 2, kStates = 3;

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// `layers` layers of `gates` gates with weights uniform in [-1, 1), seeded from `seed`.
template <class System>
std::vector<typename System::Layer> random_layers(Index gates, int layers, std::uint64_t seed) {
    std::vector<typename System::Layer> out;
    for (int l = 0; l < layers; ++l) {
        const Index width = l == 0 ? kInputs : kHidden;
        const std::uint64_t s = seed + 10 * std::uint64_t(l);
        out.push_back({fixtures::uniform(gates * kHidden, width, s),
                       fixtures::uniform(gates * kHidden, kHidden, s + 1),
                       fixtures::uniform_vector(gates * kHidden, s + 2),
                       fixtures::uniform_vector(gates * kHidden, s + 3)});
    }
    return out;
}

// Row `row` of W x + b.
double affine(const Matrix& W, const Vector& x, const Vector& b, Index row) {
    return W.row(row).dot(x) + b(row);
}

}  // namespace

TEST(gru_velocity_is_pytorchs_formula) {
    const auto layers = random_layers<GRU>(3, 1, 60);
    const Vector u = fixtures::uniform_vector(kInputs, 61);
    const GRU system(layers, u);
    const Matrix X = fixtures::uniform(kStates, kHidden, 62);
    const Matrix G = system.velocity(X);
    const auto& L = layers[0];
    for (Index k = 0; k < kStates; ++k) {
        const Vector h = X.row(k).transpose();
        for (Index i = 0; i < kHidden; ++i) {
            const Index H = kHidden;
            const auto in = [&](Index row) {
                return affine(L.input_weights, u, L.input_bias, row);
            };
            const auto rec = [&](Index row) {
                return affine(L.recurrent_weights, h, L.recurrent_bias, row);
            };
            const double r = sigmoid(in(i) + rec(i)), z = sigmoid(in(H + i) + rec(H + i));
            const double n = std::tanh(in(2 * H + i) + r * rec(2 * H + i));
            CHECK_CLOSE(G(k, i), (1 - z) * n + z * h(i) - h(i), 1e-14);
        }
    }
}

TEST(lstm_velocity_is_pytorchs_formula) {
    const auto layers = random_layers<LSTM>(4, 1, 63);
    const Vector u = fixtures::uniform_vector(kInputs, 64);
    const LSTM system(layers, u);
    const Matrix X = fixtures::uniform(kStates, 2 * kHidden, 65);
    const Matrix G = system.velocity(X);
    const auto& L = layers[0];
    for (Index k = 0; k < kStates; ++k) {
        const Vector h = X.row(k).head(kHidden).transpose();
        const Vector c = X.row(k).tail(kHidden).transpose();
        for (Index j = 0; j < kHidden; ++j) {
            const auto a = [&](Index gate) {
                const Index row = gate * kHidden + j;
                return affine(L.input_weights, u, L.input_bias, row) +
                       affine(L.recurrent_weights, h, L.recurrent_bias, row);
            };
            const double i = sigmoid(a(0)), f = sigmoid(a(1)), g = std::tanh(a(2)),
                         o = sigmoid(a(3));
            const double c_next = f * c(j) + i * g;
            CHECK_CLOSE(G(k, j), o * std::tanh(c_next) - h(j), 1e-14);
            CHECK_CLOSE(G(k, kHidden + j), c_next - c(j), 1e-14);
        }
    }
}

// Two RNN layers of `System` against h_l' = φ(W_ih x + b_ih + W_hh h_l + b_hh) unit by unit,
// the second layer reading the first's new h within the step.
template <class System, class Phi>
void check_rnn_stack_velocity(Phi phi) {
    const auto layers = random_layers<System>(1, 2, 77);
    const Vector u = fixtures::uniform_vector(kInputs, 78);
    const Matrix X = fixtures::uniform(kStates, 2 * kHidden, 79);
    const Matrix G = System(layers, u).velocity(X);
    for (Index k = 0; k < kStates; ++k) {
        Vector x = u;
        for (std::size_t l = 0; l < 2; ++l) {
            const auto& L = layers[l];
            const Index offset = Index(l) * kHidden;
            const Vector h = X.row(k).segment(offset, kHidden).transpose();
            Vector next(kHidden);
            for (Index i = 0; i < kHidden; ++i)
                next(i) = phi(affine(L.input_weights, x, L.input_bias, i) +
                              affine(L.recurrent_weights, h, L.recurrent_bias, i));
            CHECK_CLOSE(G.row(k).segment(offset, kHidden).transpose(), next - h, 1e-14);
            x = next;
        }
    }
}

TEST(rnn_stack_velocity_is_pytorchs_formula) {
    check_rnn_stack_velocity<TanhRNN>([](double p) { return std::tanh(p); });
    check_rnn_stack_velocity<ReluRNN>([](double p) { return std::max(p, 0.0); });
}

// Every derivative of a `layers`-layer stack of `System` (cells of `gates` gates) at random
// weights (seeded from `seed`) and states.
template <class System>
void check_stack_derivatives(const std::string& name, Index gates, int layers, std::uint64_t seed) {
    check::Context context(name + ", " + std::to_string(layers) + " layer(s)");
    const System system(random_layers<System>(gates, layers, seed),
                        fixtures::uniform_vector(kInputs, 66));
    derivatives::check_all(system, fixtures::uniform(kStates, system.size(), seed + 1));
}

TEST(gated_derivatives_match_differences) {
    for (int layers : {1, 2}) {
        check_stack_derivatives<GRU>("GRU", 3, layers, 67);
        check_stack_derivatives<LSTM>("LSTM", 4, layers, 69);
        check_stack_derivatives<TanhRNN>("tanh RNN", 1, layers, 80);
        check_stack_derivatives<ReluRNN>("ReLU RNN", 1, layers, 82);
    }
}

TEST(gated_systems_check_their_shapes) {
    auto layers = random_layers<GRU>(3, 2, 71);
    CHECK_THROWS(GRU(layers, Vector::Zero(kInputs + 1)), std::invalid_argument);
    CHECK_THROWS(GRU({}, Vector::Zero(kInputs)), std::invalid_argument);
    layers[1].input_weights = Matrix::Zero(3 * kHidden, kHidden + 1);
    CHECK_THROWS(GRU(layers, Vector::Zero(kInputs)), std::invalid_argument);
    CHECK_THROWS(LSTM(random_layers<LSTM>(3, 1, 72), Vector::Zero(kInputs)), std::invalid_argument);
    CHECK_THROWS(TanhRNN(random_layers<TanhRNN>(3, 1, 84), Vector::Zero(kInputs)),
                 std::invalid_argument);
    const GRU system(random_layers<GRU>(3, 1, 73), Vector::Zero(kInputs));
    CHECK_THROWS(system.velocity(Matrix::Zero(2, kHidden + 1)), std::invalid_argument);
}

TEST(gated_system_in_float_agrees) {
    const LSTM system(random_layers<LSTM>(4, 2, 74), fixtures::uniform_vector(kInputs, 75));
    const Matrix X = fixtures::uniform(kStates, system.size(), 76);
    const auto single = system.cast<float>();
    const Matrix G = single.velocity(X.cast<float>()).cast<double>();
    CHECK_CLOSE(G, system.velocity(X), 1e-5);
}
