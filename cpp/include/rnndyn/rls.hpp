// Recursive least squares for FORCE learning (Sussillo & Abbott 2009; DESIGN.md: FORCE).
#pragma once

#include <stdexcept>

#include "types.hpp"

namespace rnndyn {

// Holds the inverse correlation estimate P (N x N, only its lower triangle is read or written,
// so it cannot drift from symmetry) and applies the rank-one update every `train_every` steps.
template <typename Scalar>
class Rls {
public:
    // `step_offset` is the global index of the first step of the coming run, so that the
    // update schedule continues across chunked calls.
    Rls(MatrixRef<Scalar> inverse_correlation, Eigen::Index train_every, Eigen::Index step_offset)
        : P_(inverse_correlation), train_every_(train_every), step_offset_(step_offset),
          gain_(inverse_correlation.rows()) {
        if (P_.rows() != P_.cols()) throw std::invalid_argument("P must be square");
        if (train_every < 1) throw std::invalid_argument("train_every must be >= 1");
        if (step_offset < 0) throw std::invalid_argument("step_offset must be >= 0");
    }

    Eigen::Index size() const { return P_.rows(); }

    // True when step t of the run (0-based) ends with an update: (t + 1) % train_every == 0,
    // counted from the first step of training.
    bool due(Eigen::Index t) const { return (step_offset_ + t + 1) % train_every_ == 0; }

    // k = P r;  c = 1 / (1 + r'k);  P <- P - c k k';  W_o <- W_o - c e k'.
    // `error` is the output error measured before the update.
    template <typename Rates, typename Error>
    void update(const Eigen::MatrixBase<Rates>& rates, const Eigen::MatrixBase<Error>& error,
                MatrixRef<Scalar> readout) {
        gain_.noalias() = P_.template selfadjointView<Eigen::Lower>() * rates;
        const Scalar c = Scalar(1) / (Scalar(1) + rates.dot(gain_));
        P_.template selfadjointView<Eigen::Lower>().rankUpdate(gain_, -c);
        readout.noalias() -= (c * error) * gain_.transpose();
    }

private:
    MatrixRef<Scalar> P_;
    Eigen::Index train_every_;
    Eigen::Index step_offset_;
    Vector<Scalar> gain_;
};

}  // namespace rnndyn
