// W_r in float where float holds each of its entries exactly (an ESN's draws are rounded to
// float: docs/mathematics.md, "The network"). A step's product W_r r is bound by the bytes it
// streams (W_r, 8 N² of them in double, comes from the L3 cache every step), so reading floats
// and widening them to double halves them; each term w_ij r_j is the double product it was.
#pragma once

#include <optional>

#include "types.hpp"

#if defined(__AVX__)
#include <immintrin.h>
#elif defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif

namespace rnndyn {

class CompactRows {
public:
#if defined(__AVX__) || defined(__SSE2__) || defined(_M_X64)
    static constexpr bool kVectorized = true;
#else
    static constexpr bool kVectorized = false;  // one lane: Eigen's double product is faster
#endif

    // The float copy of `matrix`, or none where some entry is not a float exactly (the check
    // stops at the first such entry, so a matrix of arbitrary doubles costs next to nothing)
    // or where the products would not be vectorized.
    static std::optional<CompactRows> of(const ConstMatrixRef<double>& matrix) {
        if (!kVectorized) return std::nullopt;
        for (Eigen::Index i = 0; i < matrix.rows(); ++i)
            for (Eigen::Index j = 0; j < matrix.cols(); ++j)
                if (double(float(matrix(i, j))) != matrix(i, j)) return std::nullopt;
        CompactRows rows;
        rows.values_ = matrix.cast<float>();
        return rows;
    }

    Eigen::Index rows() const { return values_.rows(); }
    Eigen::Index cols() const { return values_.cols(); }

    // y = rows [first, first + count) of the matrix times x (cols() values); each row's sum is
    // taken in the same order whatever `first` and `count`, so results do not depend on how
    // the rows are split among threads.
    void times(Eigen::Index first, Eigen::Index count, const double* x, double* y) const {
        Eigen::Index i = first;
        const Eigen::Index end = first + count;
        for (; i + 3 < end; i += 4) block<4>(i, x, y + (i - first));
        for (; i < end; ++i) block<1>(i, x, y + (i - first));
    }

private:
    CompactRows() = default;

    // Rows i .. i+R-1: two accumulators of four (AVX) or two (SSE2) lanes a row, then the
    // columns left over one by one. Intrinsics, not Eigen's packets: Eigen 3.4 has no
    // float-to-double packet cast for AVX.
    template <int R>
    void block(Eigen::Index i, const double* x, double* y) const {
        const Eigen::Index n = cols();
        const float* row[R];
        for (int q = 0; q < R; ++q) row[q] = values_.data() + (i + q) * n;
        double sum[R] = {};
        Eigen::Index j = 0;
#if defined(__AVX__)
        __m256d acc[R][2];
        for (int q = 0; q < R; ++q) acc[q][0] = acc[q][1] = _mm256_setzero_pd();
        for (; j + 7 < n; j += 8) {
            const __m256d x0 = _mm256_loadu_pd(x + j), x1 = _mm256_loadu_pd(x + j + 4);
            for (int q = 0; q < R; ++q) {
                const __m256d w0 = _mm256_cvtps_pd(_mm_loadu_ps(row[q] + j));
                const __m256d w1 = _mm256_cvtps_pd(_mm_loadu_ps(row[q] + j + 4));
                acc[q][0] = fma(w0, x0, acc[q][0]);
                acc[q][1] = fma(w1, x1, acc[q][1]);
            }
        }
        for (int q = 0; q < R; ++q) {
            alignas(32) double lanes[4];
            _mm256_store_pd(lanes, _mm256_add_pd(acc[q][0], acc[q][1]));
            sum[q] = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        }
#elif defined(__SSE2__) || defined(_M_X64)
        __m128d acc[R][2];
        for (int q = 0; q < R; ++q) acc[q][0] = acc[q][1] = _mm_setzero_pd();
        for (; j + 3 < n; j += 4) {
            const __m128d x0 = _mm_loadu_pd(x + j), x1 = _mm_loadu_pd(x + j + 2);
            for (int q = 0; q < R; ++q) {
                const __m128 w = _mm_loadu_ps(row[q] + j);
                acc[q][0] = _mm_add_pd(acc[q][0], _mm_mul_pd(_mm_cvtps_pd(w), x0));
                acc[q][1] =
                    _mm_add_pd(acc[q][1], _mm_mul_pd(_mm_cvtps_pd(_mm_movehl_ps(w, w)), x1));
            }
        }
        for (int q = 0; q < R; ++q) {
            alignas(16) double lanes[2];
            _mm_store_pd(lanes, _mm_add_pd(acc[q][0], acc[q][1]));
            sum[q] = lanes[0] + lanes[1];
        }
#endif
        for (; j < n; ++j)
            for (int q = 0; q < R; ++q) sum[q] += double(row[q][j]) * x[j];
        for (int q = 0; q < R; ++q) y[q] = sum[q];
    }

#if defined(__AVX__)
    static __m256d fma(__m256d a, __m256d b, __m256d c) {
#if defined(__FMA__)
        return _mm256_fmadd_pd(a, b, c);
#else
        return _mm256_add_pd(_mm256_mul_pd(a, b), c);
#endif
    }
#endif

    RowMatrix<float> values_;
};

}  // namespace rnndyn
