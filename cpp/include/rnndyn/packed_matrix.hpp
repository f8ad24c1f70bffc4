// A fixed matrix packed for repeated products with thin blocks of vectors: the minimisers apply
// W_c (and W_cᵀ) to blocks of 1 to 32 states thousands of times (systems.hpp). A general matrix
// product repacks the big matrix on every call, which for a few states costs more than the
// arithmetic; here it is packed once, in panels of kPanelRows rows interleaved column by column
// (the order the kernel reads them), and each product only streams it: once, whatever the number
// of states, each slice of a panel read from L1 by every group of states in turn (read once per
// group, the products of 32 states took half again as long).
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include "types.hpp"

namespace rnndyn {

namespace detail {

// A packet of doubles from as many floats at `from`, each widened exactly.
inline Eigen::internal::packet_traits<double>::type widen(const float* from) {
#if defined(EIGEN_VECTORIZE_AVX512)
    return _mm512_cvtps_pd(_mm256_loadu_ps(from));
#elif defined(EIGEN_VECTORIZE_AVX)
    return _mm256_cvtps_pd(_mm_loadu_ps(from));
#elif defined(EIGEN_VECTORIZE_SSE2)
    return _mm_cvtps_pd(_mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(from))));
#else
    using Packet = Eigen::internal::packet_traits<double>::type;
    constexpr int width = Eigen::internal::packet_traits<double>::size;
    double values[width];
    for (int i = 0; i < width; ++i) values[i] = double(from[i]);
    return Eigen::internal::ploadu<Packet>(values);
#endif
}

// The AVX2 build carries AVX-512 kernels for PackedMatrix, taken at run time where the CPU has
// AVX-512F: a 512-bit multiply-add does twice a 256-bit one's work on such cores, and a batched
// product at N = 1000 is bound by them, not by its bytes, from 8 states on (docs/mathematics.md,
// "The closed loop and its fixed points").
#if defined(EIGEN_VECTORIZE_AVX2) && defined(EIGEN_VECTORIZE_FMA) &&                 \
    !defined(EIGEN_VECTORIZE_AVX512) && (defined(__GNUC__) || defined(__clang__)) && \
    defined(__x86_64__)
#define RNNDYN_AVX512_KERNELS 1
#define RNNDYN_AVX512 __attribute__((target("avx512f")))

inline bool cpu_has_avx512f() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

// Whether products take the AVX-512 kernels: the CPU's answer, until the module's
// set_avx512_kernels says otherwise.
inline std::atomic<bool>& avx512_kernels() {
    static std::atomic<bool> on{cpu_has_avx512f()};
    return on;
}

// 512-bit operations on Scalars for the kernel of two panels of 3 AVX2 packets each (width
// w): a register holds 2w of one panel's rows, or w of each panel's last packet.
template <typename Scalar>
struct Wide;

template <>
struct Wide<double> {
    using V = __m512d;
    RNNDYN_AVX512 static V set1(double x) { return _mm512_set1_pd(x); }
    RNNDYN_AVX512 static V madd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
    RNNDYN_AVX512 static V rows(const double* a) { return _mm512_loadu_pd(a); }
    RNNDYN_AVX512 static V rows(const float* a) { return _mm512_cvtps_pd(_mm256_loadu_ps(a)); }
    RNNDYN_AVX512 static V halves(const double* a, const double* b) {
        return _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd(a)), _mm256_loadu_pd(b),
                                  1);
    }
    RNNDYN_AVX512 static V halves(const float* a, const float* b) {
        const __m256 both =
            _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(a)), _mm_loadu_ps(b), 1);
        return _mm512_cvtps_pd(both);
    }
    RNNDYN_AVX512 static void store(double* to, V v) { _mm512_storeu_pd(to, v); }
    RNNDYN_AVX512 static void store_halves(double* a, double* b, V v) {
        _mm256_storeu_pd(a, _mm512_castpd512_pd256(v));
        _mm256_storeu_pd(b, _mm512_extractf64x4_pd(v, 1));
    }
};

// Floats: 8 of a panel's and 8 of the other's move as 4 doubles' bits each.
template <>
struct Wide<float> {
    using V = __m512;
    RNNDYN_AVX512 static V set1(float x) { return _mm512_set1_ps(x); }
    RNNDYN_AVX512 static V madd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    RNNDYN_AVX512 static V rows(const float* a) { return _mm512_loadu_ps(a); }
    RNNDYN_AVX512 static V halves(const float* a, const float* b) {
        return _mm512_castpd_ps(Wide<double>::halves(reinterpret_cast<const double*>(a),
                                                     reinterpret_cast<const double*>(b)));
    }
    RNNDYN_AVX512 static void store(float* to, V v) { _mm512_storeu_ps(to, v); }
    RNNDYN_AVX512 static void store_halves(float* a, float* b, V v) {
        Wide<double>::store_halves(reinterpret_cast<double*>(a), reinterpret_cast<double*>(b),
                                   _mm512_castps_pd(v));
    }
};
#endif

}  // namespace detail

// Stored = float holds a double matrix whose entries are all floats (an ESN's W_r: compact_rows.hpp)
// in half the bytes, widened exactly as the kernel loads it: the products are those of the double
// matrix, bit for bit, and a product of one or two states, bound by the bytes it streams, takes
// half the time (N = 1000: 296 -> 148 us; 32 states, where the widening adds to the arithmetic,
// 1.34 -> 1.53 ms).
template <typename Scalar, typename Stored = Scalar>
class PackedMatrix {
    using Packet = typename Eigen::internal::packet_traits<Scalar>::type;
    static constexpr int kWidth = Eigen::internal::packet_traits<Scalar>::size;
    static constexpr bool kWidened = !std::is_same_v<Scalar, Stored>;

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
        data_.assign(std::size_t(panels_ * kPanelRows * cols_), Stored(0));  // zero padding rows
        for (Eigen::Index p = 0; p < panels_; ++p) {
            const Eigen::Index first = p * kPanelRows;
            const Eigen::Index count = std::min<Eigen::Index>(kPanelRows, rows_ - first);
            Stored* panel = panel_data(p);
            for (Eigen::Index r = 0; r < count; ++r)
                for (Eigen::Index j = 0; j < cols_; ++j)
                    panel[j * kPanelRows + r] = Stored(A(first + r, j));
        }
    }

    Eigen::Index rows() const { return rows_; }
    Eigen::Index cols() const { return cols_; }

    // A applied to each row of V (K x cols): the K x rows matrix V Aᵀ. Each row's result is
    // the same, bit for bit, whatever the other rows: each (row, depth block) is one chain of
    // multiply-adds in column order, added to the result in depth order.
    template <class Derived>
    RowMatrix<Scalar> apply(const Eigen::MatrixBase<Derived>& V) const {
        const Eigen::Index count = V.rows();
        eigen_assert(V.cols() == cols_);
        RowMatrix<Scalar> out = RowMatrix<Scalar>::Zero(count, rows_);
        // V's slice for one depth block, interleaved by groups of up to 4 (AVX-512: 8) states
        std::vector<Scalar> slice(std::size_t(count * std::min(kDepth, cols_)));
        const bool wide = wide_kernels();
        for (Eigen::Index d = 0; d < cols_; d += kDepth) {
            const Eigen::Index depth = std::min(kDepth, cols_ - d);
            for_groups(count, wide, [&](auto group, Eigen::Index k) {
                pack<decltype(group)::value>(V, slice.data(), k, d, depth);
            });
            for (Eigen::Index p = 0; p < panels_; p += kBatch) {
                const int batch = int(std::min<Eigen::Index>(kBatch, panels_ - p));
                const Stored* a[kBatch];
                for (int q = 0; q < batch; ++q) a[q] = panel_data(p + q) + d * kPanelRows;
                for_groups(count, wide, [&](auto group, Eigen::Index k) {
                    panels<decltype(group)::value>(a, p, batch, slice.data() + k * depth, depth, k,
                                                   wide, out);
                });
            }
        }
        return out;
    }

private:
    // Panels per pass over a depth block: enough that a group of one state has 12 chains of
    // multiply-adds in flight (one panel holds 3), not the latency of one chain per 3 packets.
    static constexpr int kBatch = 4;

    Stored* panel_data(Eigen::Index p) { return data_.data() + p * kPanelRows * cols_; }
    const Stored* panel_data(Eigen::Index p) const { return data_.data() + p * kPanelRows * cols_; }

    // kWidth of A's entries from `from`, as Scalars.
    static Packet load(const Stored* from) {
        if constexpr (!kWidened) {
            return Eigen::internal::ploadu<Packet>(from);
        } else {
            return detail::widen(from);
        }
    }

    // Whether the AVX-512 kernels run (detail::avx512_kernels).
    static bool wide_kernels() {
#if defined(RNNDYN_AVX512_KERNELS)
        return detail::avx512_kernels().load(std::memory_order_relaxed);
#else
        return false;
#endif
    }

    // f(G, k) for V's rows in groups of G = 8 (`wide` only: 32 registers), 4, then 2, then 1 (G
    // an integral constant).
    template <class F>
    static void for_groups(Eigen::Index count, bool wide, F&& f) {
        Eigen::Index k = 0;
        if (wide)
            for (; k + 8 <= count; k += 8) f(std::integral_constant<int, 8>(), k);
        for (; k + 4 <= count; k += 4) f(std::integral_constant<int, 4>(), k);
        if (k + 2 <= count) {
            f(std::integral_constant<int, 2>(), k);
            k += 2;
        }
        if (k < count) f(std::integral_constant<int, 1>(), k);
    }

    // Rows k .. k+G-1 of V over columns d .. d+depth, interleaved into the slice.
    template <int G, class Derived>
    static void pack(const Eigen::MatrixBase<Derived>& V, Scalar* slice, Eigen::Index k,
                     Eigen::Index d, Eigen::Index depth) {
        Scalar* b = slice + k * depth;
        for (Eigen::Index j = 0; j < depth; ++j)
            for (int s = 0; s < G; ++s) b[j * G + s] = V(k + s, d + j);
    }

    // A group of G states (b) times `batch` panels from panel p (slices a[0..batch)), into
    // out's rows k .. k+G-1: 4 / G panels at a time, so that every group runs 12 chains (with
    // the AVX-512 kernels pairs of panels, 6-24 chains in 32 registers).
    template <int G>
    void panels(const Stored* const* a, Eigen::Index p, int batch, const Scalar* b,
                Eigen::Index depth, Eigen::Index k, bool wide, RowMatrix<Scalar>& out) const {
        int q = 0;
#if defined(RNNDYN_AVX512_KERNELS)
        if (wide) {
            constexpr int Pairs = G >= 8 ? 1 : 2;  // 24, 24, 12 or 6 chains
            for (; q + 2 * Pairs <= batch; q += 2 * Pairs)
                run<G, 2 * Pairs, true>(a + q, p + q, b, depth, k, out);
        }
#else
        (void)wide;  // false without the kernels (wide_kernels)
#endif
        if constexpr (G <= 4) {
            constexpr int P = 4 / G;
            for (; q + P <= batch; q += P) run<G, P>(a + q, p + q, b, depth, k, out);
            for (; q < batch; ++q) run<G, 1>(a + q, p + q, b, depth, k, out);
        } else {
            for (; q < batch; ++q) run<G, 1>(a + q, p + q, b, depth, k, out);
        }
    }

    // P panels from panel p for one group: the kernel, then its tiles added to out.
    template <int G, int P, bool Avx512 = false>
    void run(const Stored* const* a, Eigen::Index p, const Scalar* b, Eigen::Index depth,
             Eigen::Index k, RowMatrix<Scalar>& out) const {
        Scalar tile[P][G][kPanelRows];
#if defined(RNNDYN_AVX512_KERNELS)
        if constexpr (Avx512) {
            wide_kernel<G, P / 2>(a, b, depth, tile);
        } else {
            kernel<G, P>(a, b, depth, tile);
        }
#else
        kernel<G, P>(a, b, depth, tile);
#endif
        for (int q = 0; q < P; ++q) {
            const Eigen::Index first = (p + q) * kPanelRows;
            const Eigen::Index count = std::min<Eigen::Index>(kPanelRows, rows_ - first);
            for (int s = 0; s < G; ++s) {
                Scalar* row = &out(k + s, first);
                for (Eigen::Index r = 0; r < count; ++r) row[r] += tile[q][s][r];
            }
        }
    }

    // tile[q][s] = panel slice a[q] (kPanelRows x depth) times column s of b (depth x G).
    template <int G, int P>
    static void kernel(const Stored* const* a, const Scalar* b, Eigen::Index depth,
                       Scalar (&tile)[P][G][kPanelRows]) {
        namespace ei = Eigen::internal;
        Packet acc[P][G][3];
        for (int q = 0; q < P; ++q)
            for (int s = 0; s < G; ++s)
                for (int u = 0; u < 3; ++u) acc[q][s][u] = ei::pset1<Packet>(Scalar(0));
        for (Eigen::Index j = 0; j < depth; ++j, b += G) {
            for (int q = 0; q < P; ++q) {
                const Stored* column = a[q] + j * kPanelRows;
                const Packet a0 = load(column);
                const Packet a1 = load(column + kWidth);
                const Packet a2 = load(column + 2 * kWidth);
                for (int s = 0; s < G; ++s) {
                    const Packet v = ei::pset1<Packet>(b[s]);
                    acc[q][s][0] = ei::pmadd(a0, v, acc[q][s][0]);
                    acc[q][s][1] = ei::pmadd(a1, v, acc[q][s][1]);
                    acc[q][s][2] = ei::pmadd(a2, v, acc[q][s][2]);
                }
            }
        }
        for (int q = 0; q < P; ++q)
            for (int s = 0; s < G; ++s)
                for (int u = 0; u < 3; ++u) ei::pstoreu(tile[q][s] + u * kWidth, acc[q][s][u]);
    }

#if defined(RNNDYN_AVX512_KERNELS)
    // kernel's sums, bit for bit, for Pairs pairs of panels: per column a pair's rows fill three
    // 512-bit registers (2w rows of each panel, then the last w of both), each row's chain the
    // same multiply-adds in the same order.
    template <int G, int Pairs>
    RNNDYN_AVX512 static void wide_kernel(const Stored* const* a, const Scalar* b,
                                          Eigen::Index depth,
                                          Scalar (&tile)[2 * Pairs][G][kPanelRows]) {
        using W = detail::Wide<Scalar>;
        typename W::V acc[Pairs][G][3];
        for (int q = 0; q < Pairs; ++q)
            for (int s = 0; s < G; ++s)
                for (int u = 0; u < 3; ++u) acc[q][s][u] = W::set1(Scalar(0));
        for (Eigen::Index j = 0; j < depth; ++j, b += G) {
            for (int q = 0; q < Pairs; ++q) {
                const Stored* first = a[2 * q] + j * kPanelRows;
                const Stored* second = a[2 * q + 1] + j * kPanelRows;
                const auto a0 = W::rows(first);
                const auto a1 = W::rows(second);
                const auto a2 = W::halves(first + 2 * kWidth, second + 2 * kWidth);
                for (int s = 0; s < G; ++s) {
                    const auto v = W::set1(b[s]);
                    acc[q][s][0] = W::madd(a0, v, acc[q][s][0]);
                    acc[q][s][1] = W::madd(a1, v, acc[q][s][1]);
                    acc[q][s][2] = W::madd(a2, v, acc[q][s][2]);
                }
            }
        }
        for (int q = 0; q < Pairs; ++q)
            for (int s = 0; s < G; ++s) {
                W::store(tile[2 * q][s], acc[q][s][0]);
                W::store(tile[2 * q + 1][s], acc[q][s][1]);
                W::store_halves(tile[2 * q][s] + 2 * kWidth, tile[2 * q + 1][s] + 2 * kWidth,
                                acc[q][s][2]);
            }
    }
#endif

    Eigen::Index rows_ = 0, cols_ = 0, panels_ = 0;
    std::vector<Stored> data_;  // panel p, column j, row r at (p * cols_ + j) * kPanelRows + r
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
