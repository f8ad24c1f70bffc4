// Recursive least squares for FORCE learning (Sussillo & Abbott 2009; DESIGN.md: FORCE).
#pragma once

#include <stdexcept>
#include <vector>

#include "team.hpp"
#include "types.hpp"

namespace rnndyn {

// Holds the inverse correlation estimate P (N x N, only its lower triangle is read or written,
// so it cannot drift from symmetry) and applies the rank-one update every `train_every` steps.
template <typename Scalar>
class Rls {
public:
    // P's rows are split into kParts ranges of equal triangle area; threads take whole parts
    // and the parts' contributions to k = P r are summed in a fixed order, so results do not
    // depend on the number of threads.
    static constexpr int kParts = 4;

    // `step_offset` is the global index of the first step of the coming run, so that the
    // update schedule continues across chunked calls.
    Rls(MatrixRef<Scalar> inverse_correlation, Eigen::Index train_every, Eigen::Index step_offset)
        : P_(inverse_correlation), train_every_(train_every), step_offset_(step_offset),
          bounds_(split_rows(inverse_correlation.rows(), kParts, true)),
          partial_(inverse_correlation.rows(), kParts) {
        if (P_.rows() != P_.cols()) throw std::invalid_argument("P must be square");
        if (train_every < 1) throw std::invalid_argument("train_every must be >= 1");
        if (step_offset < 0) throw std::invalid_argument("step_offset must be >= 0");
    }

    Eigen::Index size() const { return P_.rows(); }

    // True when step t of the run (0-based) ends with an update: (t + 1) % train_every == 0,
    // counted from the first step of training.
    bool due(Eigen::Index t) const { return (step_offset_ + t + 1) % train_every_ == 0; }

    // The update k = P r;  c = 1 / (1 + r'k);  P <- P - c k k';  W_o <- W_o - c e k', in
    // phases: partial_gain for each part; a barrier; gain (on every thread); defer (once).
    // P's rank-one update is deferred to the next partial_gain, which applies it to each row
    // just before reading the row, so P streams through memory once per update instead of
    // twice; flush applies what is left at the end of a run.

    // Part p's share of P r: its rows' lower-triangle entries times r (row dot products) and
    // their mirror images above the diagonal (axpys into earlier rows), rows in pairs so that
    // one pass of the axpy over y serves two rows.
    template <typename Rates>
    void partial_gain(int part, const Eigen::MatrixBase<Rates>& rates) {
        auto y = partial_.col(part);
        y.setZero();
        Eigen::Index i = bounds_[part];
        for (; i + 1 < bounds_[part + 1]; i += 2) {
            apply_pending(i, i + 2);
            const auto first = P_.row(i).head(i), second = P_.row(i + 1).head(i);
            const Scalar corner = P_(i + 1, i);
            y(i) += first.dot(rates.head(i)) + P_(i, i) * rates(i) + corner * rates(i + 1);
            y(i + 1) += second.dot(rates.head(i)) + corner * rates(i) +
                        P_(i + 1, i + 1) * rates(i + 1);
            y.head(i) += rates(i) * first.transpose() + rates(i + 1) * second.transpose();
        }
        if (i < bounds_[part + 1]) {
            apply_pending(i, i + 1);
            const auto below = P_.row(i).head(i);
            y(i) += below.dot(rates.head(i)) + P_(i, i) * rates(i);
            y.head(i) += rates(i) * below.transpose();
        }
    }

    // k (written to `gain`) and c.
    template <typename Rates>
    Scalar gain(const Eigen::MatrixBase<Rates>& rates, Vector<Scalar>& gain) const {
        gain = partial_.col(0);
        for (int part = 1; part < kParts; ++part) gain += partial_.col(part);
        return Scalar(1) / (Scalar(1) + rates.dot(gain));
    }

    // P <- P - c k k', to be applied by the next partial_gain or flush. One thread calls it,
    // after every partial_gain of this update and before the next barrier.
    void defer(const Vector<Scalar>& gain, Scalar c) {
        pending_gain_ = gain;
        pending_c_ = c;
    }

    // Applies a deferred update to part p's rows.
    void flush(int part) { apply_pending(bounds_[part], bounds_[part + 1]); }

private:
    void apply_pending(Eigen::Index begin, Eigen::Index end) {
        if (pending_c_ == Scalar(0)) return;
        for (Eigen::Index i = begin; i < end; ++i)
            P_.row(i).head(i + 1) -=
                (pending_c_ * pending_gain_(i)) * pending_gain_.head(i + 1).transpose();
    }

    MatrixRef<Scalar> P_;
    Eigen::Index train_every_;
    Eigen::Index step_offset_;
    std::vector<Eigen::Index> bounds_;
    Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> partial_;  // N x kParts, column-major
    Vector<Scalar> pending_gain_;
    Scalar pending_c_ = 0;  // 0: nothing deferred
};

}  // namespace rnndyn
