// The rate nonlinearity r = phi(x) and its first two derivatives (DESIGN.md).
#pragma once

#include <stdexcept>
#include <string>

#include <Eigen/Core>

namespace rnndyn {

enum class Activation { Tanh, Logistic };

inline Activation activation_from_name(const std::string& name) {
    if (name == "tanh") return Activation::Tanh;
    if (name == "logistic") return Activation::Logistic;
    throw std::invalid_argument("activation must be 'tanh' or 'logistic', got '" + name + "'");
}

// out = phi(x), element-wise.
template <typename In, typename Out>
void apply_activation(Activation activation, const Eigen::MatrixBase<In>& x,
                      Eigen::MatrixBase<Out> const& out_) {
    auto& out = const_cast<Eigen::MatrixBase<Out>&>(out_);
    using Scalar = typename In::Scalar;
    if (activation == Activation::Tanh) {
        out = x.array().tanh().matrix();
    } else {
        out = (Scalar(1) / (Scalar(1) + (-x.array()).exp())).matrix();
    }
}

// out = phi'(x), element-wise, evaluated from the rates r = phi(x) (both activations allow it).
template <typename In, typename Out>
void activation_slope(Activation activation, const Eigen::MatrixBase<In>& rates,
                      Eigen::MatrixBase<Out> const& out_) {
    auto& out = const_cast<Eigen::MatrixBase<Out>&>(out_);
    using Scalar = typename In::Scalar;
    if (activation == Activation::Tanh) {
        out = (Scalar(1) - rates.array().square()).matrix();
    } else {
        out = (rates.array() * (Scalar(1) - rates.array())).matrix();
    }
}

// out = phi''(x), element-wise, from the rates: tanh'' = -2 r (1 - r^2),
// logistic'' = r (1 - r) (1 - 2 r).
template <typename In, typename Out>
void activation_curvature(Activation activation, const Eigen::MatrixBase<In>& rates,
                          Eigen::MatrixBase<Out> const& out_) {
    auto& out = const_cast<Eigen::MatrixBase<Out>&>(out_);
    using Scalar = typename In::Scalar;
    const auto r = rates.array();
    if (activation == Activation::Tanh) {
        out = (Scalar(-2) * r * (Scalar(1) - r.square())).matrix();
    } else {
        out = (r * (Scalar(1) - r) * (Scalar(1) - Scalar(2) * r)).matrix();
    }
}

}  // namespace rnndyn
