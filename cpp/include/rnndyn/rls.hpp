// Recursive least squares for FORCE learning (Sussillo & Abbott 2009; docs/mathematics.md,
// FORCE learning).
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
            : P_(inverse_correlation),
              train_every_(train_every),
              step_offset_(step_offset),
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
    // above the diagonal, in one pass over the rows while they are in registers: apply the
    // deferred update, take the dot product with r (row i of P r) and add the row, scaled by
    // r_i, to the entries above the diagonal (column i of P r). P is read and written once.
    void partial_gain(int part, const Vector<Scalar>& rates) {
        auto y = partial_.col(part);
        y.setZero();
        if (pending_c_ == Scalar(0)) {
            sweep<false>(part, rates.data(), y.data());
        } else {
            sweep<true>(part, rates.data(), y.data());
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

    // Applies a deferred update to part p's rows, by the very arithmetic partial_gain would
    // have used (the same sweep, against r = 0), so that where a run is cut into calls does
    // not change P by a rounding.
    void flush(int part) {
        if (pending_c_ == Scalar(0)) return;
        const Vector<Scalar> none = Vector<Scalar>::Zero(size());
        auto scratch = partial_.col(part);
        sweep<true>(part, none.data(), scratch.data());
    }

private:
    // partial_gain over part p's rows, four at a time so that each load and store of y (and
    // load of k and r) serves four rows: with two, the stores alone (P's and y's) held the
    // sweep back (89 -> 74 us for N = 1000 on one core here); more rows run out of registers.
    template <bool Update>
    void sweep(int part, const Scalar* r, Scalar* y) {
        const Eigen::Index end = bounds_[part + 1];
        Eigen::Index i = bounds_[part];
        for (; i + 3 < end; i += 4) rows<4, Update>(i, r, y);
        for (; i + 1 < end; i += 2) rows<2, Update>(i, r, y);
        if (i < end) rows<1, Update>(i, r, y);
    }

    // Rows i .. i+R-1: columns below i with packets, then the small triangle left over.
    template <int R, bool Update>
    void rows(Eigen::Index i, const Scalar* r, Scalar* y) {
        namespace ei = Eigen::internal;
        using Packet = typename ei::packet_traits<Scalar>::type;
        constexpr Eigen::Index W = ei::packet_traits<Scalar>::size;
        const Scalar* k = Update ? pending_gain_.data() : nullptr;
        Scalar* row[R];
        Scalar a[R], rate[R], sum[R];
        Packet va[R], vrate[R], acc[R];
        for (int q = 0; q < R; ++q) {
            row[q] = &P_(i + q, 0);
            a[q] = Update ? pending_c_ * k[i + q] : Scalar(0);
            rate[q] = r[i + q];
            sum[q] = Scalar(0);
            va[q] = ei::pset1<Packet>(a[q]);
            vrate[q] = ei::pset1<Packet>(rate[q]);
            acc[q] = ei::pset1<Packet>(Scalar(0));
        }
        const Eigen::Index packed = i / W * W;
        for (Eigen::Index j = 0; j < packed; j += W) {
            const Packet vr = ei::ploadu<Packet>(r + j);
            Packet vy = ei::ploadu<Packet>(y + j);
            const Packet vk = Update ? ei::ploadu<Packet>(k + j) : vr;
            for (int q = 0; q < R; ++q) {
                Packet p = ei::ploadu<Packet>(row[q] + j);
                if (Update) {
                    p = ei::psub(p, ei::pmul(va[q], vk));
                    ei::pstoreu(row[q] + j, p);
                }
                acc[q] = ei::pmadd(p, vr, acc[q]);
                vy = ei::pmadd(vrate[q], p, vy);
            }
            ei::pstoreu(y + j, vy);
        }
        // columns packed .. i+q of row i+q, one by one; the diagonal adds no mirror image
        for (int q = 0; q < R; ++q) {
            for (Eigen::Index j = packed; j <= i + q; ++j) {
                Scalar& p = row[q][j];
                if (Update) p -= a[q] * k[j];
                sum[q] += p * r[j];
                if (j < i + q) y[j] += rate[q] * p;
            }
        }
        for (int q = 0; q < R; ++q) y[i + q] += ei::predux(acc[q]) + sum[q];
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
