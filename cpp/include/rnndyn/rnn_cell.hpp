// One vanilla RNN layer as PyTorch computes it (torch.nn.RNN, mode RNN_TANH or RNN_RELU),
// batched over K states (rows), with its first and second derivatives for gated.hpp's stack
// (docs/mathematics.md, Gated networks; Derivatives for φ' and φ''):
//   h' = φ(d + h W_hᵀ + b_h),
// where d = x W_iᵀ + b_i is the drive from the layer's input x (gated.hpp forms it) and φ is
// tanh or the ReLU (slope 1 where the pre-activation is > 0, else 0; curvature 0). The state is
// h (H units); the cell is a gated one with a single "gate", its output.
#pragma once

#include <utility>

#include "activation.hpp"
#include "cell_weights.hpp"
#include "types.hpp"

namespace rnndyn {

template <typename Scalar, Activation kPhi>
class RNNCell : public CellWeights<Scalar> {
    static_assert(kPhi == Activation::Tanh || kPhi == Activation::Relu,
                  "torch.nn.RNN's nonlinearity is tanh or relu");

public:
    using Matrix = RowMatrix<Scalar>;
    using Saved = Eigen::Ref<const Matrix>;
    template <typename Other>
    using Rebind = RNNCell<Other, kPhi>;            // the same cell in another precision
    static constexpr Eigen::Index kGates = 1;       // h' itself
    static constexpr Eigen::Index kStateWidth = 1;  // h: H per unit
    static constexpr Eigen::Index kSaved = 1;       // h' = φ(pre-activation): H

    RNNCell(Matrix recurrent, Vector<Scalar> bias)
            : CellWeights<Scalar>(std::move(recurrent), std::move(bias), kGates, "RNN") {}
    using CellWeights<Scalar>::hidden;

    // The next states from states S (K x H) and drives D (K x H); h' goes to `saved` (K x H).
    Matrix step(const Matrix& S, const Matrix& D, Eigen::Ref<Matrix> saved) const {
        Matrix pre = S * this->W_.transpose() + D;
        pre.rowwise() += this->b_.transpose();
        apply_activation(kPhi, pre, saved);
        return saved;
    }

    // The tangents of the pre-activation and of h' along a state direction dS (K x H) and a
    // drive direction dD (K x H, or empty for a constant drive).
    struct Tangents {
        Matrix d_pre, next;
    };
    Tangents tangents(const Saved& saved, const Matrix& dS, const Matrix& dD) const {
        Tangents t;
        t.d_pre = dS * this->W_.transpose();
        if (dD.size() > 0) t.d_pre += dD;
        t.next = slope(saved).cwiseProduct(t.d_pre);
        return t;
    }

    // The adjoint of one step: for W (K x H), the rows of Wᵀ ∂h'/∂h into gS (K x H) and of
    // Wᵀ ∂h'/∂d into gD (K x H).
    void adjoint(const Saved& saved, const Matrix& W, Matrix& gS, Matrix& gD) const {
        gD = slope(saved).cwiseProduct(W);
        gS = gD * this->W_;
    }

    // The derivative of `adjoint` along the tangents t of a direction (W held fixed):
    // Σ_k W_k ∇²h'_k applied to it, into hS (K x H) and hD (K x H); zero for the ReLU.
    void second_order(const Saved& saved, const Matrix& W, const Tangents& t, const Matrix&,
                      Matrix& hS, Matrix& hD) const {
        Matrix curvature(saved.rows(), saved.cols());
        activation_curvature(kPhi, saved, curvature);
        hD = curvature.cwiseProduct(W).cwiseProduct(t.d_pre);
        hS = hD * this->W_;
    }

private:
    // φ' at the pre-activations, from the saved rates h'.
    static Matrix slope(const Saved& saved) {
        Matrix out(saved.rows(), saved.cols());
        activation_slope(kPhi, saved, out);
        return out;
    }
};

}  // namespace rnndyn
