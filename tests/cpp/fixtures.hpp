// Seeded random inputs, φ written out and central finite differences, shared by the tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include <rnndyn/activation.hpp>
#include <rnndyn/types.hpp>

namespace fixtures {

using Index = Eigen::Index;
using Matrix = rnndyn::RowMatrix<double>;
using Vector = rnndyn::Vector<double>;

// φ(x) written out, apart from activation.hpp's vectorised version.
inline double phi(rnndyn::Activation activation, double x) {
    switch (activation) {
        case rnndyn::Activation::Tanh: return std::tanh(x);
        case rnndyn::Activation::Logistic: return 1 / (1 + std::exp(-x));
        case rnndyn::Activation::Relu: return std::max(x, 0.0);
    }
    return std::nan("");
}

// Entries uniform in [low, high), drawn row by row from `seed`.
inline Matrix uniform(Index rows, Index cols, std::uint64_t seed, double low = -1,
                      double high = 1) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> draw(low, high);
    Matrix out(rows, cols);
    for (Index i = 0; i < rows; ++i)
        for (Index j = 0; j < cols; ++j) out(i, j) = draw(rng);
    return out;
}

inline Vector uniform_vector(Index size, std::uint64_t seed, double low = -1, double high = 1) {
    return uniform(size, 1, seed, low, high).col(0);
}

// A well-conditioned symmetric positive definite matrix: I + A Aᵀ / n.
inline Matrix positive_definite(Index n, std::uint64_t seed) {
    const Matrix A = uniform(n, n, seed);
    Matrix P = A * A.transpose() / double(n);
    P.diagonal().array() += 1;
    return P;
}

// The Jacobian of f: R^n -> R^m at x by central differences, (f(x + h e_j) - f(x - h e_j)) / 2h.
template <class Function>
Matrix central_differences(Function&& f, const Vector& x, double h) {
    Matrix jacobian;
    for (Index j = 0; j < x.size(); ++j) {
        Vector plus = x, minus = x;
        plus(j) += h;
        minus(j) -= h;
        const Vector column = (f(plus) - f(minus)) / (2 * h);
        if (j == 0) jacobian.resize(column.size(), x.size());
        jacobian.col(j) = column;
    }
    return jacobian;
}

}  // namespace fixtures
