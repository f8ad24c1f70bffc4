// One GRU layer as PyTorch computes it, batched over K states (rows), with its first and
// second derivatives (docs/mathematics.md, Gated networks):
//   a = h W_hᵀ + b_h,  r = σ(d_r + a_r),  z = σ(d_z + a_z),  n = tanh(d_n + r ⊙ a_n),
//   h' = (1 - z) ⊙ n + z ⊙ h,
// where d = x W_iᵀ + b_i is the drive from the layer's input x (gated.hpp forms it) and the
// gates are stacked r, z, n. The state is h (H units).
#pragma once

#include <utility>

#include "activation.hpp"
#include "cell_weights.hpp"
#include "types.hpp"

namespace rnndyn {

template <typename Scalar>
class GRUCell : public CellWeights<Scalar> {
public:
    using Matrix = RowMatrix<Scalar>;
    using Saved = Eigen::Ref<const Matrix>;
    template <typename Other>
    using Rebind = GRUCell<Other>;                  // the same cell in another precision
    static constexpr Eigen::Index kGates = 3;       // r, z, n
    static constexpr Eigen::Index kStateWidth = 1;  // h: H per unit
    static constexpr Eigen::Index kSaved = 5;       // r, z, n, a_n, h: H each

    GRUCell(Matrix recurrent, Vector<Scalar> bias)
            : CellWeights<Scalar>(std::move(recurrent), std::move(bias), kGates, "GRU") {}
    using CellWeights<Scalar>::hidden;

    // The next states from states S (K x H) and drives D (K x 3H); the values the products
    // need go to `saved` (K x 5H).
    Matrix step(const Matrix& S, const Matrix& D, Eigen::Ref<Matrix> saved) const {
        const Eigen::Index H = hidden();
        Matrix a = S * this->W_.transpose();
        a.rowwise() += this->b_.transpose();
        auto r = saved.middleCols(0, H), z = saved.middleCols(H, H), n = saved.middleCols(2 * H, H);
        apply_activation(Activation::Logistic, D.middleCols(0, H) + a.middleCols(0, H), r);
        apply_activation(Activation::Logistic, D.middleCols(H, H) + a.middleCols(H, H), z);
        const Matrix pre_n =
            D.middleCols(2 * H, H) + Matrix(r.cwiseProduct(a.middleCols(2 * H, H)));
        apply_activation(Activation::Tanh, pre_n, n);
        saved.middleCols(3 * H, H) = a.middleCols(2 * H, H);
        saved.middleCols(4 * H, H) = S;
        return ((one - z.array()) * n.array() + z.array() * S.array()).matrix();
    }

    // The tangents of the gates and of h' along a state direction dS (K x H) and a drive
    // direction dD (K x 3H, or empty for a constant drive).
    struct Tangents {
        Matrix dr, dz, dn, da_n, next;
    };
    Tangents tangents(const Saved& saved, const Matrix& dS, const Matrix& dD) const {
        const Eigen::Index H = hidden();
        Matrix da = dS * this->W_.transpose();
        if (dD.size() > 0) da.leftCols(2 * H) += dD.leftCols(2 * H);
        const auto r = part(saved, 0), z = part(saved, 1), n = part(saved, 2), a_n = part(saved, 3),
                   h = part(saved, 4);
        Tangents t;
        t.dr = (r * (one - r) * da.middleCols(0, H).array()).matrix();
        t.dz = (z * (one - z) * da.middleCols(H, H).array()).matrix();
        t.da_n = da.middleCols(2 * H, H);
        Matrix dpre_n = (t.dr.array() * a_n + r * t.da_n.array()).matrix();
        if (dD.size() > 0) dpre_n += dD.middleCols(2 * H, H);
        t.dn = ((one - n.square()) * dpre_n.array()).matrix();
        t.next = ((one - z) * t.dn.array() + (h - n) * t.dz.array() + z * dS.array()).matrix();
        return t;
    }

    // The adjoint of one step: for W (K x H), the rows of Wᵀ ∂h'/∂h into gS (K x H) and of
    // Wᵀ ∂h'/∂d into gD (K x 3H).
    void adjoint(const Saved& saved, const Matrix& W, Matrix& gS, Matrix& gD) const {
        const Eigen::Index H = hidden();
        const auto r = part(saved, 0), z = part(saved, 1), n = part(saved, 2), a_n = part(saved, 3),
                   h = part(saved, 4), w = W.array();
        gD.resize(W.rows(), kGates * H);
        const auto g_pre_n = w * (one - z) * (one - n.square());
        gD.middleCols(0, H) = (g_pre_n * a_n * r * (one - r)).matrix();
        gD.middleCols(H, H) = (w * (h - n) * z * (one - z)).matrix();
        gD.middleCols(2 * H, H) = g_pre_n.matrix();
        Matrix g_a = gD;  // ∂/∂a: the n gate's is r ⊙ ∂/∂(pre-activation)
        g_a.middleCols(2 * H, H).array() *= r;
        gS = g_a * this->W_;
        gS.array() += w * z;
    }

    // The derivative of `adjoint` along the tangents t of a direction dS (K x H), W held fixed:
    // Σ_k W_k ∇²h'_k applied to the direction, into hS (K x H) and hD (K x 3H).
    void second_order(const Saved& saved, const Matrix& W, const Tangents& t, const Matrix& dS,
                      Matrix& hS, Matrix& hD) const {
        const Eigen::Index H = hidden();
        const auto r = part(saved, 0), z = part(saved, 1), n = part(saved, 2), a_n = part(saved, 3),
                   h = part(saved, 4), w = W.array();
        const auto dr = t.dr.array(), dz = t.dz.array(), dn = t.dn.array();
        const Matrix g_pre_n = (w * (one - z) * (one - n.square())).matrix();
        const Matrix d_pre_n =
            (-w * dz * (one - n.square()) - two * w * (one - z) * n * dn).matrix();
        const auto g_r = g_pre_n.array() * a_n;
        const auto d_r = d_pre_n.array() * a_n + g_pre_n.array() * t.da_n.array();
        hD.resize(W.rows(), kGates * H);
        hD.middleCols(0, H) = (d_r * r * (one - r) + g_r * (one - two * r) * dr).matrix();
        hD.middleCols(H, H) =
            (w * (dS.array() - dn) * z * (one - z) + w * (h - n) * (one - two * z) * dz).matrix();
        hD.middleCols(2 * H, H) = d_pre_n;
        Matrix h_a = hD;
        h_a.middleCols(2 * H, H) = (d_pre_n.array() * r + g_pre_n.array() * dr).matrix();
        hS = h_a * this->W_;
        hS.array() += w * dz;
    }

private:
    static constexpr Scalar one = 1, two = 2;

    // The k-th H-wide block of the saved values, as an array.
    auto part(const Saved& saved, Eigen::Index k) const {
        return saved.middleCols(k * hidden(), hidden()).array();
    }
};

}  // namespace rnndyn
