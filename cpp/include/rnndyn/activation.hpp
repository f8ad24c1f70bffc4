// The rate nonlinearity r = phi(x) and its first two derivatives (docs/mathematics.md, The
// network and Derivatives).
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <Eigen/Core>

namespace rnndyn {

enum class Activation { Tanh, Logistic, Relu };

inline Activation activation_from_name(const std::string& name) {
    if (name == "tanh") return Activation::Tanh;
    if (name == "logistic") return Activation::Logistic;
    if (name == "relu") return Activation::Relu;
    throw std::invalid_argument("activation must be 'tanh', 'logistic' or 'relu', got '" + name +
                                "'");
}

namespace detail {

// tanh of a packet of doubles (Eigen 3.4 vectorises tanh for float only; std::tanh unit by unit
// is ~10 µs of a 1000-unit FORCE step). Within 1 ulp of the exact value: |x| < 0.625 by
// x + x³ P(x²), P of degree 10 fitted to tanh's relative error there; beyond, 1 - 2 / (e^2|x| + 1),
// which no longer cancels. NaN stays NaN, ±inf gives ±1.
template <typename Packet>
Packet tanh_packet(const Packet& x) {
    namespace ei = Eigen::internal;
    static constexpr double kP[] = {
        -0.3333333333333282,    0.13333333333258574,   -0.053968253929884025,
        0.021869487548390396,   -0.008863220678637084, 0.0035919868055759104,
        -0.0014549477330272034, 0.0005862827756886501, -0.00022850057920795148,
        7.70764978733634e-05,   -1.604127192289327e-05};
    const Packet z = ei::pmul(x, x);
    Packet p = ei::pset1<Packet>(kP[10]);
    for (int k = 9; k >= 0; --k) p = ei::pmadd(p, z, ei::pset1<Packet>(kP[k]));
    const Packet near_zero = ei::pmadd(ei::pmul(x, z), p, x);
    const Packet one = ei::pset1<Packet>(1.0), magnitude = ei::pabs(x);
    const Packet e = ei::pexp(ei::padd(magnitude, magnitude));
    const Packet far = ei::psub(one, ei::pdiv(ei::pset1<Packet>(2.0), ei::padd(e, one)));
    const Packet signed_far = ei::pselect(ei::pcmp_lt(x, ei::pzero(x)), ei::pnegate(far), far);
    return ei::pselect(ei::pcmp_lt(magnitude, ei::pset1<Packet>(0.625)), near_zero, signed_far);
}

// out[i] = tanh(x[i]) for n contiguous doubles, a packet at a time; the last, partial packet
// goes through a padded copy, so every element gets the same arithmetic wherever it sits.
inline void tanh_doubles(const double* x, double* out, Eigen::Index n) {
    namespace ei = Eigen::internal;
    using Packet = ei::packet_traits<double>::type;
    constexpr Eigen::Index kWidth = ei::packet_traits<double>::size;
    Eigen::Index i = 0;
    for (; i + 2 * kWidth <= n; i += 2 * kWidth) {  // two at a time: their latencies overlap
        const Packet a = tanh_packet(ei::ploadu<Packet>(x + i));
        const Packet b = tanh_packet(ei::ploadu<Packet>(x + i + kWidth));
        ei::pstoreu(out + i, a);
        ei::pstoreu(out + i + kWidth, b);
    }
    for (; i + kWidth <= n; i += kWidth)
        ei::pstoreu(out + i, tanh_packet(ei::ploadu<Packet>(x + i)));
    if (i == n) return;
    double padded[kWidth] = {};
    std::copy(x + i, x + n, padded);
    ei::pstoreu(padded, tanh_packet(ei::ploadu<Packet>(padded)));
    std::copy(padded, padded + (n - i), out + i);
}

// tanh_doubles applies: doubles, a vectorised exp, and both sides stored alike in contiguous
// slices (vectors, whole matrices, rows of row-major ones).
template <typename In, typename Out>
constexpr bool packet_tanh_applies() {
    using Traits = Eigen::internal::packet_traits<double>;
    return std::is_same_v<typename In::Scalar, double> && Traits::Vectorizable && Traits::HasExp &&
           Traits::size > 1 && (int(In::Flags) & Eigen::DirectAccessBit) &&
           (int(Out::Flags) & Eigen::DirectAccessBit) &&
           bool(In::IsRowMajor) == bool(Out::IsRowMajor);
}

}  // namespace detail

// out = phi(x), element-wise.
template <typename In, typename Out>
void apply_activation(Activation activation, const Eigen::MatrixBase<In>& x,
                      Eigen::MatrixBase<Out> const& out_) {
    auto& out = const_cast<Eigen::MatrixBase<Out>&>(out_);
    using Scalar = typename In::Scalar;
    if (activation == Activation::Tanh) {
        if constexpr (detail::packet_tanh_applies<In, Out>()) {
            eigen_assert(out.rows() == x.rows() && out.cols() == x.cols());
            if (x.innerStride() == 1 && out.innerStride() == 1) {
                for (Eigen::Index o = 0; o < x.outerSize(); ++o)
                    detail::tanh_doubles(x.derived().data() + o * x.outerStride(),
                                         out.derived().data() + o * out.outerStride(),
                                         x.innerSize());
                return;
            }
        }
        out = x.array().tanh().matrix();
    } else if (activation == Activation::Logistic) {
        out = (Scalar(1) / (Scalar(1) + (-x.array()).exp())).matrix();
    } else {
        out = x.array().max(Scalar(0)).matrix();
    }
}

// out = phi'(x), element-wise, evaluated from the rates r = phi(x) (every activation allows it:
// the ReLU's slope is 1 where r > 0 and 0 elsewhere, 0 at the kink as in PyTorch).
template <typename In, typename Out>
void activation_slope(Activation activation, const Eigen::MatrixBase<In>& rates,
                      Eigen::MatrixBase<Out> const& out_) {
    auto& out = const_cast<Eigen::MatrixBase<Out>&>(out_);
    using Scalar = typename In::Scalar;
    if (activation == Activation::Tanh) {
        out = (Scalar(1) - rates.array().square()).matrix();
    } else if (activation == Activation::Logistic) {
        out = (rates.array() * (Scalar(1) - rates.array())).matrix();
    } else {
        out = (rates.array() > Scalar(0)).template cast<Scalar>().matrix();
    }
}

// out = phi''(x), element-wise, from the rates: tanh'' = -2 r (1 - r^2),
// logistic'' = r (1 - r) (1 - 2 r), and 0 for the piecewise-linear ReLU (docs/mathematics.md,
// Derivatives: its Hessian of q is JᵀJ within each linear region).
template <typename In, typename Out>
void activation_curvature(Activation activation, const Eigen::MatrixBase<In>& rates,
                          Eigen::MatrixBase<Out> const& out_) {
    auto& out = const_cast<Eigen::MatrixBase<Out>&>(out_);
    using Scalar = typename In::Scalar;
    const auto r = rates.array();
    if (activation == Activation::Tanh) {
        out = (Scalar(-2) * r * (Scalar(1) - r.square())).matrix();
    } else if (activation == Activation::Logistic) {
        out = (r * (Scalar(1) - r) * (Scalar(1) - Scalar(2) * r)).matrix();
    } else {
        out.setZero();
    }
}

}  // namespace rnndyn
