// A stack of gated layers (gru_cell.hpp, lstm_cell.hpp; rnn_cell.hpp, a vanilla RNN layer as a
// one-gate cell) as one discrete-time system at a constant input u: the state stacks the
// layers' states, s = (s_1, ..., s_L), and layer l's input is the new h of layer l - 1 within
// the same step (layer 1's is u). Fixed points are the zeros of G(s) = f(s) - s
// (docs/mathematics.md, Gated networks). It has the shape of systems.hpp's systems, so every
// minimiser takes it.
//
// The Linearization holds the states (`slopes`, which the products' shape check reads), G
// (`curvature`: the weights of the exact Hessian's second-order term) and the gates of every
// layer (`saved`). J v runs forward through the layers, Jᵀ u backward, and the second-order
// term Σ_k G_k ∇²G_k v is the derivative of the backward pass along v (forward-over-reverse).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "systems.hpp"
#include "types.hpp"

namespace rnndyn {

template <class Cell>
class GatedSystem : public Unstructured<typename Cell::Matrix::Scalar> {
public:
    using Scalar = typename Cell::Matrix::Scalar;
    using Matrix = RowMatrix<Scalar>;
    static constexpr bool discrete_time = true;

    // One layer as PyTorch holds it: weight_ih (GH x I_l), weight_hh (GH x H), bias_ih and
    // bias_hh (GH), G the cell's number of gates.
    struct Layer {
        Matrix input_weights, recurrent_weights;
        Vector<Scalar> input_bias, recurrent_bias;
    };

    GatedSystem(const std::vector<Layer>& layers, const Vector<Scalar>& input) {
        if (layers.empty()) throw std::invalid_argument("a gated system needs at least one layer");
        Eigen::Index width = input.size();
        for (std::size_t l = 0; l < layers.size(); ++l) {
            const Layer& layer = layers[l];
            cells_.emplace_back(layer.recurrent_weights, layer.recurrent_bias);
            const Eigen::Index gates = layer.recurrent_weights.rows();
            if (layer.input_weights.rows() != gates || layer.input_weights.cols() != width ||
                layer.input_bias.size() != gates)
                throw std::invalid_argument("layer " + std::to_string(l) +
                                            ": weight_ih must be GH x (its input's width) and "
                                            "bias_ih GH");
            input_weights_.push_back(layer.input_weights);
            input_biases_.push_back(layer.input_bias);
            width = cells_.back().hidden();
        }
        constant_drive_ = input_weights_[0] * input + input_biases_[0];
    }

    // The same system in another precision (rounded weights).
    template <typename Other>
    auto cast() const {
        using OtherCell = typename Cell::template Rebind<Other>;
        std::vector<typename GatedSystem<OtherCell>::Layer> layers;
        for (std::size_t l = 0; l < cells_.size(); ++l)
            layers.push_back({input_weights_[l].template cast<Other>(),
                              cells_[l].recurrent().template cast<Other>(),
                              input_biases_[l].template cast<Other>(),
                              cells_[l].bias().template cast<Other>()});
        GatedSystem<OtherCell> copy(layers, Vector<Other>::Zero(input_weights_[0].cols()));
        copy.constant_drive_ = constant_drive_.template cast<Other>();
        return copy;
    }

    Eigen::Index size() const {
        Eigen::Index n = 0;
        for (const Cell& cell : cells_) n += Cell::kStateWidth * cell.hidden();
        return n;
    }

    Matrix velocity(const Matrix& X) const {
        Matrix saved(X.rows(), saved_width());
        return forward(X, saved) - X;
    }

    Linearization<Scalar> first_order(const Matrix& X) const {
        Linearization<Scalar> lin;
        lin.saved.resize(X.rows(), saved_width());
        forward(X, lin.saved);
        lin.slopes = X;
        return lin;
    }

    Linearization<Scalar> linearize(const Matrix& X, const Matrix& G, Matrix& gradient) const {
        Linearization<Scalar> lin = first_order(X);
        lin.curvature = G;
        gradient = jacobian_transpose_product(lin, G);
        return lin;
    }

    // J V: each layer's tangent, its h' part driving the next layer.
    Matrix jacobian_product(const Linearization<Scalar>& lin, const Matrix& V) const {
        lin.check(V);
        Matrix JV(V.rows(), V.cols()), drive;
        for (std::size_t l = 0; l < cells_.size(); ++l) {
            const auto t = cells_[l].tangents(saved_of(lin, l), state_of(V, l), drive);
            state_of(JV, l) = t.next - state_of(V, l);
            drive = t.next.leftCols(cells_[l].hidden()) * next_input_weights(l).transpose();
        }
        return JV;
    }

    // Jᵀ U: backward through the layers, each layer's seed its own rows of U plus what the
    // next layer's drive sends back to its h'.
    Matrix jacobian_transpose_product(const Linearization<Scalar>& lin, const Matrix& U) const {
        lin.check(U);
        Matrix JtU(U.rows(), U.cols()), back, gS, gD;
        for (std::size_t l = cells_.size(); l-- > 0;) {
            const Matrix seed = seed_of(U, l, back);
            cells_[l].adjoint(saved_of(lin, l), seed, gS, gD);
            state_of(JtU, l) = gS - state_of(U, l);
            back = gD * input_weights_[l];
        }
        return JtU;
    }

    // Σ_k G_k ∇²G_k V: the backward pass of ∇q = JᵀG differentiated along V, with G held
    // fixed (the rest of the derivative, Jᵀ J V, is hessian_product's first term).
    Matrix second_order_product(const Linearization<Scalar>& lin, const Matrix& V) const {
        lin.check(V);
        std::vector<typename Cell::Tangents> tangents;
        std::vector<Matrix> drives(cells_.size());
        for (std::size_t l = 0; l < cells_.size(); ++l) {
            tangents.push_back(cells_[l].tangents(saved_of(lin, l), state_of(V, l), drives[l]));
            if (l + 1 < cells_.size())
                drives[l + 1] = tangents[l].next.leftCols(cells_[l].hidden()) *
                                next_input_weights(l).transpose();
        }
        Matrix SV(V.rows(), V.cols()), back, d_back, gS, gD, hS, hD;
        for (std::size_t l = cells_.size(); l-- > 0;) {
            const Matrix seed = seed_of(lin.curvature, l, back);
            cells_[l].adjoint(saved_of(lin, l), seed, gS, gD);
            cells_[l].second_order(saved_of(lin, l), seed, tangents[l], state_of(V, l), hS, hD);
            if (d_back.size() > 0) {  // the next layer's second order, sent back through h'
                Matrix d_seed = Matrix::Zero(V.rows(), state_width(l));
                d_seed.leftCols(cells_[l].hidden()) = d_back;
                Matrix pS, pD;
                cells_[l].adjoint(saved_of(lin, l), d_seed, pS, pD);
                hS += pS;
                hD += pD;
            }
            state_of(SV, l) = hS;
            back = gD * input_weights_[l];
            d_back = hD * input_weights_[l];
        }
        return SV;
    }

    Matrix hessian_product(const Linearization<Scalar>& lin, const Matrix& V, bool exact) const {
        Matrix HV = jacobian_transpose_product(lin, jacobian_product(lin, V));
        if (exact) HV += second_order_product(lin, V);
        return HV;
    }

    // The dense Jacobian at row `row`: J applied to the identity's columns.
    Matrix jacobian(const Linearization<Scalar>& lin, Eigen::Index row) const {
        return jacobian_product(repeated(lin, row), Matrix::Identity(size(), size())).transpose();
    }

    void gauss_newton(const Linearization<Scalar>& lin, Eigen::Index row,
                      ColMatrix<Scalar>& normal) const {
        this->normal_from_dense(jacobian(lin, row), normal);
    }

    // normal += Σ_k G_k ∇²G_k at row `row` (symmetric: its products with the identity).
    void add_second_order(const Linearization<Scalar>& lin, Eigen::Index row,
                          ColMatrix<Scalar>& normal) const {
        const Matrix S = second_order_product(repeated(lin, row), Matrix::Identity(size(), size()));
        normal.template triangularView<Eigen::Lower>() += S;
    }

private:
    // The forward pass: the next states of every row of X, the gates into `saved`.
    Matrix forward(const Matrix& X, Matrix& saved) const {
        if (X.cols() != size()) throw std::invalid_argument("states must have N columns");
        Matrix next(X.rows(), X.cols());
        Matrix drive = constant_drive_.transpose().replicate(X.rows(), 1);
        for (std::size_t l = 0; l < cells_.size(); ++l) {
            state_of(next, l) = cells_[l].step(state_of(X, l), drive, saved_cols(saved, l));
            if (l + 1 < cells_.size()) {
                drive = state_of(next, l).leftCols(cells_[l].hidden()) *
                        input_weights_[l + 1].transpose();
                drive.rowwise() += input_biases_[l + 1].transpose();
            }
        }
        return next;
    }

    // What layer l's h' feeds: the next layer's weight_ih (an empty product after the last).
    Matrix next_input_weights(std::size_t l) const {
        if (l + 1 < cells_.size()) return input_weights_[l + 1];
        return Matrix(0, cells_[l].hidden());
    }

    // Layer l's seed for its adjoint: its rows of U, with `back` added to its h' part.
    Matrix seed_of(const Matrix& U, std::size_t l, const Matrix& back) const {
        Matrix seed = state_of(U, l);
        if (back.size() > 0) seed.leftCols(cells_[l].hidden()) += back;
        return seed;
    }

    // One row of a linearization, repeated once per unit (for products with the identity).
    Linearization<Scalar> repeated(const Linearization<Scalar>& lin, Eigen::Index row) const {
        return lin.select(Rows(std::size_t(size()), row));
    }

    Eigen::Index state_width(std::size_t l) const { return Cell::kStateWidth * cells_[l].hidden(); }
    Eigen::Index state_offset(std::size_t l) const {
        Eigen::Index offset = 0;
        for (std::size_t k = 0; k < l; ++k) offset += state_width(k);
        return offset;
    }
    Eigen::Index saved_width() const { return Cell::kSaved * size() / Cell::kStateWidth; }
    Eigen::Index saved_offset(std::size_t l) const {
        return Cell::kSaved * state_offset(l) / Cell::kStateWidth;
    }

    template <class M>
    auto state_of(M& X, std::size_t l) const {
        return X.middleCols(state_offset(l), state_width(l));
    }
    Eigen::Ref<Matrix> saved_cols(Matrix& saved, std::size_t l) const {
        return saved.middleCols(saved_offset(l), Cell::kSaved * cells_[l].hidden());
    }
    Eigen::Ref<const Matrix> saved_of(const Linearization<Scalar>& lin, std::size_t l) const {
        return lin.saved.middleCols(saved_offset(l), Cell::kSaved * cells_[l].hidden());
    }

    std::vector<Cell> cells_;
    std::vector<Matrix> input_weights_;         // weight_ih of each layer
    std::vector<Vector<Scalar>> input_biases_;  // bias_ih of each layer
    Vector<Scalar> constant_drive_;             // W_ih u + b_ih of the first layer

    template <class>
    friend class GatedSystem;  // cast
};

}  // namespace rnndyn
