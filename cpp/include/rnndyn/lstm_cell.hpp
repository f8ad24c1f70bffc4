// One LSTM layer as PyTorch computes it, batched over K states (rows), with its first and
// second derivatives (docs/mathematics.md, Gated networks):
//   a = h W_hᵀ + b_h + d,  i, f, o = σ(a_i, a_f, a_o),  g = tanh(a_g),
//   c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c'),
// where d = x W_iᵀ + b_i is the drive from the layer's input x (gated.hpp forms it) and the
// gates are stacked i, f, g, o. The state is s = (h, c) (2H units: h first).
#pragma once

#include <utility>

#include "activation.hpp"
#include "cell_weights.hpp"
#include "types.hpp"

namespace rnndyn {

template <typename Scalar>
class LSTMCell : public CellWeights<Scalar> {
public:
    using Matrix = RowMatrix<Scalar>;
    using Saved = Eigen::Ref<const Matrix>;
    template <typename Other>
    using Rebind = LSTMCell<Other>;                 // the same cell in another precision
    static constexpr Eigen::Index kGates = 4;       // i, f, g, o
    static constexpr Eigen::Index kStateWidth = 2;  // (h, c): 2H per unit
    static constexpr Eigen::Index kSaved = 6;       // i, f, g, o, c, tanh(c'): H each

    LSTMCell(Matrix recurrent, Vector<Scalar> bias)
            : CellWeights<Scalar>(std::move(recurrent), std::move(bias), kGates, "LSTM") {}
    using CellWeights<Scalar>::hidden;

    // The next states (h', c') from states S = (h, c) (K x 2H) and drives D (K x 4H); the
    // values the products need go to `saved` (K x 6H).
    Matrix step(const Matrix& S, const Matrix& D, Eigen::Ref<Matrix> saved) const {
        const Eigen::Index H = hidden();
        Matrix a = S.leftCols(H) * this->W_.transpose() + D;
        a.rowwise() += this->b_.transpose();
        for (Eigen::Index k : {0, 1, 3})
            apply_activation(Activation::Logistic, a.middleCols(k * H, H),
                             saved.middleCols(k * H, H));
        apply_activation(Activation::Tanh, a.middleCols(2 * H, H), saved.middleCols(2 * H, H));
        const auto gate = [&](Eigen::Index k) { return saved.middleCols(k * H, H).array(); };
        saved.middleCols(4 * H, H) = S.rightCols(H);
        Matrix next(S.rows(), 2 * H);
        next.rightCols(H) = (gate(1) * S.rightCols(H).array() + gate(0) * gate(2)).matrix();
        apply_activation(Activation::Tanh, next.rightCols(H), saved.middleCols(5 * H, H));
        next.leftCols(H) = (gate(3) * gate(5)).matrix();
        return next;
    }

    // The tangents of the gates and of (h', c') along a state direction dS = (dh, dc)
    // (K x 2H) and a drive direction dD (K x 4H, or empty for a constant drive).
    struct Tangents {
        Matrix di, df, dg, do_, dc, dt, next;
    };
    Tangents tangents(const Saved& saved, const Matrix& dS, const Matrix& dD) const {
        const Eigen::Index H = hidden();
        Matrix da = dS.leftCols(H) * this->W_.transpose();
        if (dD.size() > 0) da += dD;
        const auto i = part(saved, 0), f = part(saved, 1), g = part(saved, 2), o = part(saved, 3),
                   c = part(saved, 4), t = part(saved, 5);
        Tangents d;
        d.di = (i * (one - i) * da.middleCols(0, H).array()).matrix();
        d.df = (f * (one - f) * da.middleCols(H, H).array()).matrix();
        d.dg = ((one - g.square()) * da.middleCols(2 * H, H).array()).matrix();
        d.do_ = (o * (one - o) * da.middleCols(3 * H, H).array()).matrix();
        d.dc = dS.rightCols(H);
        const Matrix dc_next =
            (d.df.array() * c + f * d.dc.array() + d.di.array() * g + i * d.dg.array()).matrix();
        d.dt = ((one - t.square()) * dc_next.array()).matrix();
        d.next.resize(dS.rows(), 2 * H);
        d.next.leftCols(H) = (d.do_.array() * t + o * d.dt.array()).matrix();
        d.next.rightCols(H) = dc_next;
        return d;
    }

    // The adjoint of one step: for W = (w_h, w_c) (K x 2H), the rows of Wᵀ ∂s'/∂s into gS
    // (K x 2H) and of Wᵀ ∂s'/∂d into gD (K x 4H).
    void adjoint(const Saved& saved, const Matrix& W, Matrix& gS, Matrix& gD) const {
        const Eigen::Index H = hidden();
        const auto i = part(saved, 0), f = part(saved, 1), g = part(saved, 2), o = part(saved, 3),
                   c = part(saved, 4), t = part(saved, 5);
        const auto w_h = W.leftCols(H).array();
        const Matrix g_c = (W.rightCols(H).array() + w_h * o * (one - t.square())).matrix();
        const auto gc = g_c.array();
        gD.resize(W.rows(), kGates * H);
        gD.middleCols(0, H) = (gc * g * i * (one - i)).matrix();
        gD.middleCols(H, H) = (gc * c * f * (one - f)).matrix();
        gD.middleCols(2 * H, H) = (gc * i * (one - g.square())).matrix();
        gD.middleCols(3 * H, H) = (w_h * t * o * (one - o)).matrix();
        gS.resize(W.rows(), 2 * H);
        gS.leftCols(H) = gD * this->W_;
        gS.rightCols(H) = (gc * f).matrix();
    }

    // The derivative of `adjoint` along the tangents d of a direction, W held fixed:
    // Σ_k W_k ∇²s'_k applied to the direction, into hS (K x 2H) and hD (K x 4H).
    void second_order(const Saved& saved, const Matrix& W, const Tangents& d, const Matrix&,
                      Matrix& hS, Matrix& hD) const {
        const Eigen::Index H = hidden();
        const auto i = part(saved, 0), f = part(saved, 1), g = part(saved, 2), o = part(saved, 3),
                   c = part(saved, 4), t = part(saved, 5);
        const auto w_h = W.leftCols(H).array();
        const auto di = d.di.array(), df = d.df.array(), dg = d.dg.array(), do_ = d.do_.array(),
                   dc = d.dc.array(), dt = d.dt.array();
        const Matrix g_c = (W.rightCols(H).array() + w_h * o * (one - t.square())).matrix();
        const Matrix dg_c = (w_h * (do_ * (one - t.square()) - two * o * t * dt)).matrix();
        const auto gc = g_c.array(), dgc = dg_c.array();
        hD.resize(W.rows(), kGates * H);
        hD.middleCols(0, H) =
            ((dgc * g + gc * dg) * i * (one - i) + gc * g * (one - two * i) * di).matrix();
        hD.middleCols(H, H) =
            ((dgc * c + gc * dc) * f * (one - f) + gc * c * (one - two * f) * df).matrix();
        hD.middleCols(2 * H, H) =
            ((dgc * i + gc * di) * (one - g.square()) - two * gc * i * g * dg).matrix();
        hD.middleCols(3 * H, H) =
            (w_h * dt * o * (one - o) + w_h * t * (one - two * o) * do_).matrix();
        hS.resize(W.rows(), 2 * H);
        hS.leftCols(H) = hD * this->W_;
        hS.rightCols(H) = (dgc * f + gc * df).matrix();
    }

private:
    static constexpr Scalar one = 1, two = 2;

    // The k-th H-wide block of the saved values, as an array.
    auto part(const Saved& saved, Eigen::Index k) const {
        return saved.middleCols(k * hidden(), hidden()).array();
    }
};

}  // namespace rnndyn
