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
    // P's rank-one update is deferred to the next partial_gain, which applies it to the part's
    // rows just before reading them, while they are still in cache; flush applies what is
    // left at the end of a run.

    // Part p's share of P r: its rows' lower-triangle entries times r and their mirror images
    // above the diagonal.
    template <typename Rates>
    void partial_gain(int part, const Eigen::MatrixBase<Rates>& rates) {
        const Eigen::Index begin = bounds_[part], m = bounds_[part + 1] - begin;
        apply_pending(part);
        auto y = partial_.col(part);
        y.setZero();
        // rows begin..end: a rectangle left of the diagonal block (used twice: rows and mirror)
        // and the diagonal block's lower triangle; Eigen's GEMV and SYMV kernels
        const auto left = P_.block(begin, 0, m, begin);
        y.segment(begin, m).noalias() = left * rates.head(begin);
        y.head(begin).noalias() = left.transpose() * rates.segment(begin, m);
        y.segment(begin, m).noalias() +=
            P_.block(begin, begin, m, m).template selfadjointView<Eigen::Lower>() *
            rates.segment(begin, m);
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
    void flush(int part) { apply_pending(part); }

private:
    void apply_pending(int part) {
        if (pending_c_ == Scalar(0)) return;
        const Eigen::Index begin = bounds_[part], m = bounds_[part + 1] - begin;
        const auto k = pending_gain_.segment(begin, m);
        P_.block(begin, 0, m, begin).noalias() -=
            (pending_c_ * k) * pending_gain_.head(begin).transpose();
        P_.block(begin, begin, m, m).template selfadjointView<Eigen::Lower>().rankUpdate(
            k, -pending_c_);
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
