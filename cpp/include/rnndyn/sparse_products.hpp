// Products with W_c = W_r + W_fb W_o when the reservoir W_r is sparse (an ESN of connection
// probability p, e.g. Sussillo & Abbott's p = 0.1): W_r's nonzeros by rows plus the rank-O loop,
// so that a product reads about 12 p N² bytes where PackedMatrix streams 8 N² (docs/mathematics.md,
// "The closed loop and its fixed points"). As with PackedMatrix, each row of a block's result is
// the same, bit for bit, whatever the other rows: a state is one lane of a packet, and every lane
// runs the same sequence of fused multiply-adds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "types.hpp"

namespace rnndyn {

// A = S + L R with S sparse (rows x cols, its nonzeros by rows), L (rows x O) and R (O x cols).
template <typename Scalar>
class SparsePlusLowRank {
    using Packet = typename Eigen::internal::packet_traits<Scalar>::type;
    static constexpr int kWidth = Eigen::internal::packet_traits<Scalar>::size;
    static constexpr int kRows = 4;

public:
    using Matrix = RowMatrix<Scalar>;

    SparsePlusLowRank() = default;

    // S's nonzeros are those of `sparse`; `left` and `right` may have O = 0 columns / rows.
    SparsePlusLowRank(const Eigen::Ref<const Matrix>& sparse, Matrix left, Matrix right)
            : rows_(sparse.rows()),
              cols_(sparse.cols()),
              left_(std::move(left)),
              right_(std::move(right)) {
        starts_.reserve(std::size_t(rows_ + 1));  // holds starts_[0] = 0
        for (Eigen::Index i = 0; i < rows_; ++i) {
            for (Eigen::Index j = 0; j < cols_; ++j)
                if (sparse(i, j) != Scalar(0)) {
                    offsets_.push_back(std::int32_t(j * kWidth));
                    values_.push_back(sparse(i, j));
                }
            starts_.push_back(Eigen::Index(values_.size()));
        }
    }

    // The fraction of a matrix's entries that are not zero.
    static double density(const Eigen::Ref<const Matrix>& A) {
        return A.size() == 0 ? 0.0 : double((A.array() != Scalar(0)).count()) / double(A.size());
    }

    // Aᵀ = Sᵀ + Rᵀ Lᵀ in the same form.
    SparsePlusLowRank transposed() const {
        SparsePlusLowRank t;
        t.rows_ = cols_;
        t.cols_ = rows_;
        t.left_ = right_.transpose();
        t.right_ = left_.transpose();
        std::vector<Eigen::Index> count(std::size_t(cols_) + 1, 0);
        for (const std::int32_t j : offsets_) ++count[std::size_t(j / kWidth) + 1];
        for (Eigen::Index j = 0; j < cols_; ++j) count[j + 1] += count[j];
        t.starts_ = count;
        t.offsets_.resize(offsets_.size());
        t.values_.resize(values_.size());
        for (Eigen::Index i = 0; i < rows_; ++i)  // rows ascending: each column's in order
            for (Eigen::Index k = starts_[i]; k < starts_[i + 1]; ++k) {
                const Eigen::Index slot = count[offsets_[k] / kWidth]++;
                t.offsets_[slot] = std::int32_t(i * kWidth);
                t.values_[slot] = values_[k];
            }
        return t;
    }

    template <typename Other>
    SparsePlusLowRank<Other> cast() const {
        SparsePlusLowRank<Other> copy;
        copy.rows_ = rows_;
        copy.cols_ = cols_;
        copy.starts_ = starts_;
        copy.offsets_.reserve(offsets_.size());
        for (const std::int32_t offset : offsets_)
            copy.offsets_.push_back(offset / kWidth * SparsePlusLowRank<Other>::kWidth);
        copy.values_.assign(values_.begin(), values_.end());
        copy.left_ = left_.template cast<Other>();
        copy.right_ = right_.template cast<Other>();
        return copy;
    }

    Eigen::Index rows() const { return rows_; }
    Eigen::Index cols() const { return cols_; }

    // A applied to each row of V (K x cols): the K x rows matrix V Aᵀ.
    template <class Derived>
    Matrix apply(const Eigen::MatrixBase<Derived>& V) const {
        eigen_assert(V.cols() == cols_);
        Matrix out(V.rows(), rows_);
        std::vector<Scalar> lanes(std::size_t(cols_ * kWidth));
        for (Eigen::Index k = 0; k < V.rows(); k += kWidth)
            chunk(V, std::min<Eigen::Index>(kWidth, V.rows() - k), k, lanes.data(), out);
        return out;
    }

private:
    template <typename>
    friend class SparsePlusLowRank;  // cast

    // Rows k .. k+width-1 of V, one state a lane: `lanes` holds V's columns (cols x kWidth),
    // unused lanes zero.
    template <class Derived>
    void chunk(const Eigen::MatrixBase<Derived>& V, Eigen::Index width, Eigen::Index k,
               Scalar* lanes, Matrix& out) const {
        std::fill(lanes, lanes + cols_ * kWidth, Scalar(0));
        for (Eigen::Index s = 0; s < width; ++s)
            for (Eigen::Index j = 0; j < cols_; ++j) lanes[j * kWidth + s] = V(k + s, j);
        const std::vector<Scalar> loop = loop_coefficients(lanes);
        // kRows rows at a time, so that their chains of multiply-adds overlap
        Eigen::Index i = 0;
        for (; i + kRows <= rows_; i += kRows) {
            Packet sum[kRows];
            const Scalar* value[kRows];
            const std::int32_t* offset[kRows];
            Eigen::Index shared = cols_;
            for (int r = 0; r < kRows; ++r) {
                sum[r] = Eigen::internal::pset1<Packet>(Scalar(0));
                value[r] = values_.data() + starts_[i + r];
                offset[r] = offsets_.data() + starts_[i + r];
                shared = std::min(shared, starts_[i + r + 1] - starts_[i + r]);
            }
            for (Eigen::Index t = 0; t < shared; ++t)
                for (int r = 0; r < kRows; ++r)
                    sum[r] = term(value[r][t], offset[r][t], lanes, sum[r]);
            for (int r = 0; r < kRows; ++r)
                finish(i + r, starts_[i + r] + shared, lanes, loop, width, k, sum[r], out);
        }
        for (; i < rows_; ++i)
            finish(i, starts_[i], lanes, loop, width, k, Eigen::internal::pset1<Packet>(Scalar(0)),
                   out);
    }

    // R applied to the lanes: a packet of coefficients for each of R's O rows.
    std::vector<Scalar> loop_coefficients(const Scalar* lanes) const {
        namespace ei = Eigen::internal;
        std::vector<Scalar> loop(std::size_t(right_.rows() * kWidth));
        for (Eigen::Index o = 0; o < right_.rows(); ++o) {
            Packet sum = ei::pset1<Packet>(Scalar(0));
            for (Eigen::Index j = 0; j < cols_; ++j)
                sum = ei::pmadd(ei::pset1<Packet>(right_(o, j)),
                                ei::ploadu<Packet>(lanes + j * kWidth), sum);
            ei::pstoreu(loop.data() + o * kWidth, sum);
        }
        return loop;
    }

    static Packet term(Scalar value, std::int32_t offset, const Scalar* lanes, const Packet& sum) {
        namespace ei = Eigen::internal;
        return ei::pmadd(ei::pset1<Packet>(value), ei::ploadu<Packet>(lanes + offset), sum);
    }

    // Row i's remaining nonzeros from `from`, then its low-rank part; its lanes into `out`.
    void finish(Eigen::Index i, Eigen::Index from, const Scalar* lanes,
                const std::vector<Scalar>& loop, Eigen::Index width, Eigen::Index k, Packet sum,
                Matrix& out) const {
        namespace ei = Eigen::internal;
        for (Eigen::Index t = from; t < starts_[i + 1]; ++t)
            sum = term(values_[t], offsets_[t], lanes, sum);
        for (Eigen::Index o = 0; o < left_.cols(); ++o)
            sum = ei::pmadd(ei::pset1<Packet>(left_(i, o)),
                            ei::ploadu<Packet>(loop.data() + o * kWidth), sum);
        Scalar values[kWidth];
        ei::pstoreu(values, sum);
        for (Eigen::Index s = 0; s < width; ++s) out(k + s, i) = values[s];
    }

    Eigen::Index rows_ = 0, cols_ = 0;
    std::vector<Eigen::Index> starts_{0};  // row i's nonzeros: starts_[i] .. starts_[i + 1] - 1
    std::vector<std::int32_t> offsets_;    // each nonzero's column times kWidth: its lanes
    std::vector<Scalar> values_;
    Matrix left_, right_;
};

}  // namespace rnndyn
