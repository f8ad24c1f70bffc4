// A fixed matrix packed for repeated products with thin blocks of vectors: the minimisers apply
// W_c (and W_cᵀ) to blocks of 1 to 32 states thousands of times (systems.hpp). A general matrix
// product repacks the big matrix on every call, which for a few states costs more than the
// arithmetic; here it is packed once, in panels of kPanelRows rows interleaved column by column
// (the order the kernel reads them), and each product only streams it.
#pragma once

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "types.hpp"

namespace rnndyn {

template <typename Scalar>
class PackedMatrix {
    using Packet = typename Eigen::internal::packet_traits<Scalar>::type;
    static constexpr int kWidth = Eigen::internal::packet_traits<Scalar>::size;

public:
    // Rows of A per panel: three packets, so that a kernel of 3 x 4 packet accumulators, three
    // loads of A and a broadcast of V fits in 16 vector registers.
    static constexpr int kPanelRows = 3 * kWidth;
    // Columns per pass over the panels: a panel's slice (kPanelRows x kDepth) stays in L1 while
    // every state's group reads it.
    static constexpr Eigen::Index kDepth = 256;

    PackedMatrix() = default;

    explicit PackedMatrix(const Eigen::Ref<const RowMatrix<Scalar>>& A)
            : rows_(A.rows()), cols_(A.cols()), panels_((A.rows() + kPanelRows - 1) / kPanelRows) {
        data_.assign(std::size_t(panels_ * kPanelRows * cols_), Scalar(0));  // zero padding rows
        for (Eigen::Index p = 0; p < panels_; ++p) {
            const Eigen::Index first = p * kPanelRows;
            const Eigen::Index count = std::min<Eigen::Index>(kPanelRows, rows_ - first);
            Scalar* panel = panel_data(p);
            for (Eigen::Index r = 0; r < count; ++r)
                for (Eigen::Index j = 0; j < cols_; ++j)
                    panel[j * kPanelRows + r] = A(first + r, j);
        }
    }

    Eigen::Index rows() const { return rows_; }
    Eigen::Index cols() const { return cols_; }

    // A applied to each row of V (K x cols): the K x rows matrix V Aᵀ. Each row's result is
    // the same, bit for bit, whatever the other rows (one accumulation order per row).
    template <class Derived>
    RowMatrix<Scalar> apply(const Eigen::MatrixBase<Derived>& V) const {
        const Eigen::Index count = V.rows();
        eigen_assert(V.cols() == cols_);
        RowMatrix<Scalar> out = RowMatrix<Scalar>::Zero(count, rows_);
        // V's slice for one depth block, interleaved by groups of up to 4 states
        std::vector<Scalar> slice(std::size_t(count * std::min(kDepth, cols_)));
        for (Eigen::Index d = 0; d < cols_; d += kDepth) {
            const Eigen::Index depth = std::min(kDepth, cols_ - d);
            Eigen::Index k = 0;
            for (; k + 4 <= count; k += 4) block<4>(V, out, slice.data(), k, d, depth);
            if (k + 2 <= count) {
                block<2>(V, out, slice.data(), k, d, depth);
                k += 2;
            }
            if (k < count) block<1>(V, out, slice.data(), k, d, depth);
        }
        return out;
    }

private:
    Scalar* panel_data(Eigen::Index p) { return data_.data() + p * kPanelRows * cols_; }
    const Scalar* panel_data(Eigen::Index p) const { return data_.data() + p * kPanelRows * cols_; }

    // Rows k .. k+G-1 of V over columns d .. d+depth: packs them, then runs every panel.
    template <int G, class Derived>
    void block(const Eigen::MatrixBase<Derived>& V, RowMatrix<Scalar>& out, Scalar* slice,
               Eigen::Index k, Eigen::Index d, Eigen::Index depth) const {
        Scalar* b = slice + k * depth;
        for (Eigen::Index j = 0; j < depth; ++j)
            for (int s = 0; s < G; ++s) b[j * G + s] = V(k + s, d + j);
        for (Eigen::Index p = 0; p < panels_; ++p) {
            Scalar tile[G][kPanelRows];
            kernel<G>(panel_data(p) + d * kPanelRows, b, depth, tile);
            const Eigen::Index first = p * kPanelRows;
            const Eigen::Index count = std::min<Eigen::Index>(kPanelRows, rows_ - first);
            for (int s = 0; s < G; ++s) {
                Scalar* row = &out(k + s, first);
                for (Eigen::Index r = 0; r < count; ++r) row[r] += tile[s][r];
            }
        }
    }

    // tile[s] = the panel's slice (kPanelRows x depth) times column s of b (depth x G).
    template <int G>
    static void kernel(const Scalar* a, const Scalar* b, Eigen::Index depth,
                       Scalar (&tile)[G][kPanelRows]) {
        namespace ei = Eigen::internal;
        Packet acc[G][3];
        for (int s = 0; s < G; ++s)
            for (int u = 0; u < 3; ++u) acc[s][u] = ei::pset1<Packet>(Scalar(0));
        for (Eigen::Index j = 0; j < depth; ++j, a += kPanelRows, b += G) {
            const Packet a0 = ei::ploadu<Packet>(a);
            const Packet a1 = ei::ploadu<Packet>(a + kWidth);
            const Packet a2 = ei::ploadu<Packet>(a + 2 * kWidth);
            for (int s = 0; s < G; ++s) {
                const Packet v = ei::pset1<Packet>(b[s]);
                acc[s][0] = ei::pmadd(a0, v, acc[s][0]);
                acc[s][1] = ei::pmadd(a1, v, acc[s][1]);
                acc[s][2] = ei::pmadd(a2, v, acc[s][2]);
            }
        }
        for (int s = 0; s < G; ++s)
            for (int u = 0; u < 3; ++u) ei::pstoreu(tile[s] + u * kWidth, acc[s][u]);
    }

    Eigen::Index rows_ = 0, cols_ = 0, panels_ = 0;
    std::vector<Scalar> data_;  // panel p, column j, row r at (p * cols_ + j) * kPanelRows + r
};

// A system's W and Wᵀ, each packed on its first product (by whichever thread comes first) and
// shared by the system's copies, which hold the same W.
template <typename Scalar>
class PackedProducts {
public:
    // V Wᵀ: W applied to each row of V.
    template <class Derived>
    RowMatrix<Scalar> times_transpose(const RowMatrix<Scalar>& W,
                                      const Eigen::MatrixBase<Derived>& V) const {
        std::call_once(shared_->forward_once, [&] { shared_->forward = PackedMatrix<Scalar>(W); });
        return shared_->forward.apply(V);
    }

    // U W: Wᵀ applied to each row of U.
    template <class Derived>
    RowMatrix<Scalar> times(const RowMatrix<Scalar>& W, const Eigen::MatrixBase<Derived>& U) const {
        std::call_once(shared_->backward_once,
                       [&] { shared_->backward = PackedMatrix<Scalar>(W.transpose()); });
        return shared_->backward.apply(U);
    }

private:
    struct Shared {
        std::once_flag forward_once, backward_once;
        PackedMatrix<Scalar> forward, backward;
    };
    std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace rnndyn
