// What every gated cell (gru_cell.hpp, lstm_cell.hpp, rnn_cell.hpp) holds: a layer's recurrent
// weight_hh (GH x H) and bias_hh (GH) in PyTorch's stacked gate order, checked once.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "types.hpp"

namespace rnndyn {

template <typename Scalar>
class CellWeights {
public:
    CellWeights(RowMatrix<Scalar> recurrent, Vector<Scalar> bias, Eigen::Index gates,
                const std::string& kind)
            : W_(std::move(recurrent)), b_(std::move(bias)) {
        if (W_.rows() != gates * W_.cols() || b_.size() != W_.rows()) {
            const std::string g = std::to_string(gates);
            throw std::invalid_argument("a " + kind + " layer's weight_hh must be " + g +
                                        "H x H and bias_hh " + g + "H");
        }
    }

    Eigen::Index hidden() const { return W_.cols(); }
    const RowMatrix<Scalar>& recurrent() const { return W_; }
    const Vector<Scalar>& bias() const { return b_; }

protected:
    RowMatrix<Scalar> W_;  // weight_hh
    Vector<Scalar> b_;     // bias_hh
};

}  // namespace rnndyn
