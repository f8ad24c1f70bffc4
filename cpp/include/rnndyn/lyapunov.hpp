// Lyapunov exponents of a simulated trajectory by QR re-orthonormalisation (Benettin, Galgani,
// Giorgilli & Strelcyn 1980): k tangent vectors Q (N x k) follow the Jacobian of the step map,
// Q <- qr(M_t Q), and the logs of |diag R| summed over the steps, divided by the time, are the
// k leading exponents. The trajectory comes from the simulation itself, so the exponents are
// those of the map actually simulated.
//   ESN (Euler step):  M_t = I + L (-I + W_c diag(φ'(x_t))),   L = diag(dt / τ)
//   RNN:               M_t = diag(φ'(a_t)) W,                   a_t = W h_t + B u_t + b
#pragma once

#include <cmath>
#include <stdexcept>

#include <Eigen/QR>

#include "activation.hpp"
#include "types.hpp"

namespace rnndyn {

// Sums of log|R_ii| over the steps, and Q (N x k, orthonormal columns) advanced in place.
// `rates` (T x N) holds, for each step, φ where the step's nonlinearity acts: φ(x_t) for the
// ESN, φ(a_t) = h_{t+1} for the RNN; the slopes φ' follow from them. `leak` (N) is dt / τ for
// the ESN and empty for the RNN. `matrix` is W_c = W_r + W_fb W_o (ESN) or W (RNN).
template <typename Scalar>
Vector<Scalar> tangent_log_growth(const ConstMatrixRef<Scalar>& matrix,
                                  const ConstVectorRef<Scalar>& leak, Activation activation,
                                  const ConstMatrixRef<Scalar>& rates,
                                  Eigen::Ref<ColMatrix<Scalar>> Q) {
    const Eigen::Index n = matrix.rows(), k = Q.cols();
    if (matrix.cols() != n) throw std::invalid_argument("matrix must be N x N");
    if (leak.size() != 0 && leak.size() != n)
        throw std::invalid_argument("leak must have length N or 0");
    if (rates.cols() != n) throw std::invalid_argument("rates must be T x N");
    if (Q.rows() != n || k < 1 || k > n)
        throw std::invalid_argument("Q must be N x k, 1 <= k <= N");
    const bool discrete = leak.size() == 0;
    Vector<Scalar> logs = Vector<Scalar>::Zero(k), slopes(n);
    ColMatrix<Scalar> product(n, k);
    Eigen::HouseholderQR<ColMatrix<Scalar>> qr(n, k);
    for (Eigen::Index t = 0; t < rates.rows(); ++t) {
        activation_slope(activation, rates.row(t).transpose(), slopes);
        if (discrete) {
            product.noalias() = matrix * Q;
            product = slopes.asDiagonal() * product;
        } else {
            product.noalias() = matrix * (slopes.asDiagonal() * Q);
            product -= Q;
            product = Q + leak.asDiagonal() * product;
        }
        qr.compute(product);
        const auto& packed = qr.matrixQR();
        for (Eigen::Index i = 0; i < k; ++i) logs(i) += std::log(std::abs(packed(i, i)));
        Q = qr.householderQ() * ColMatrix<Scalar>::Identity(n, k);
    }
    return logs;
}

}  // namespace rnndyn
