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
        if (!kVectorized || !holds_floats(matrix)) return std::nullopt;
        CompactRows rows;
        rows.values_ = matrix.cast<float>();
        return rows;
    }

    // Whether every entry of `matrix` is a float exactly (stops at the first that is not).
    static bool holds_floats(const ConstMatrixRef<double>& matrix) {
        for (Eigen::Index i = 0; i < matrix.rows(); ++i)
            for (Eigen::Index j = 0; j < matrix.cols(); ++j)
                if (double(float(matrix(i, j))) != matrix(i, j)) return false;
        return true;
    }

    Eigen::Index rows() const { return values_.rows(); }
    Eigen::Index cols() const { return values_.cols(); }

    // y = rows [first, first + count) of the matrix times x (cols() values); each row's sum is
    // taken in the same order whatever `first` and `count`, so results do not depend on how
    // the rows are split among threads.
    void times(Eigen::Index first, Eigen::Index count, const double* x, double* y) const {
        Eigen::Index i = first;
        const Eigen::Index end = first + count;
        for (; i + 3 < end; i += 4) block<4, 1>(i, x, 0, y + (i - first), 0);
        for (; i < end; ++i) block<1, 1>(i, x, 0, y + (i - first), 0);
    }

    // The same for several vectors at once, each pair of rows read once for two of them:
    // y_s = rows [first, first + count) times x_s for s < states, x_s at x + s·x_stride and
    // y_s at y + s·y_stride. Each (row, vector) sum is the one `times` takes, whatever `states`.
    void times(Eigen::Index first, Eigen::Index count, const double* x, Eigen::Index x_stride,
               Eigen::Index states, double* y, Eigen::Index y_stride) const {
        Eigen::Index s = 0;
        for (; s + 1 < states; s += 2) {
            const double* xs = x + s * x_stride;
            double* ys = y + s * y_stride;
            Eigen::Index i = first;
            for (; i + 1 < first + count; i += 2)
                block<2, 2>(i, xs, x_stride, ys + (i - first), y_stride);
            for (; i < first + count; ++i) block<1, 2>(i, xs, x_stride, ys + (i - first), y_stride);
        }
        if (s < states) times(first, count, x + s * x_stride, y + s * y_stride);
    }

private:
    CompactRows() = default;

    // Rows i .. i+R-1 times S vectors (x_s at x + s·x_stride, results at y + s·y_stride + q):
    // two accumulators of four (AVX) or two (SSE2) lanes per row and vector, then the columns
    // left over one by one, so a sum does not depend on R or S. Intrinsics, not Eigen's
    // packets: Eigen 3.4 has no float-to-double packet cast for AVX.
    template <int R, int S>
    void block(Eigen::Index i, const double* x, Eigen::Index x_stride, double* y,
               Eigen::Index y_stride) const {
        const Eigen::Index n = cols();
        const float* row[R];
        for (int q = 0; q < R; ++q) row[q] = values_.data() + (i + q) * n;
        double sum[R][S] = {};
        Eigen::Index j = 0;
#if defined(__AVX__)
        __m256d acc[R][S][2];
        for (int q = 0; q < R; ++q)
            for (int s = 0; s < S; ++s) acc[q][s][0] = acc[q][s][1] = _mm256_setzero_pd();
        for (; j + 7 < n; j += 8) {
            for (int q = 0; q < R; ++q) {
                const __m256d w0 = _mm256_cvtps_pd(_mm_loadu_ps(row[q] + j));
                const __m256d w1 = _mm256_cvtps_pd(_mm_loadu_ps(row[q] + j + 4));
                for (int s = 0; s < S; ++s) {
                    const double* xs = x + s * x_stride + j;
                    acc[q][s][0] = fma(w0, _mm256_loadu_pd(xs), acc[q][s][0]);
                    acc[q][s][1] = fma(w1, _mm256_loadu_pd(xs + 4), acc[q][s][1]);
                }
            }
        }
        for (int q = 0; q < R; ++q)
            for (int s = 0; s < S; ++s) {
                alignas(32) double lanes[4];
                _mm256_store_pd(lanes, _mm256_add_pd(acc[q][s][0], acc[q][s][1]));
                sum[q][s] = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
            }
#elif defined(__SSE2__) || defined(_M_X64)
        __m128d acc[R][S][2];
        for (int q = 0; q < R; ++q)
            for (int s = 0; s < S; ++s) acc[q][s][0] = acc[q][s][1] = _mm_setzero_pd();
        for (; j + 3 < n; j += 4) {
            for (int q = 0; q < R; ++q) {
                const __m128 w = _mm_loadu_ps(row[q] + j);
                const __m128d w0 = _mm_cvtps_pd(w), w1 = _mm_cvtps_pd(_mm_movehl_ps(w, w));
                for (int s = 0; s < S; ++s) {
                    const double* xs = x + s * x_stride + j;
                    acc[q][s][0] = _mm_add_pd(acc[q][s][0], _mm_mul_pd(w0, _mm_loadu_pd(xs)));
                    acc[q][s][1] = _mm_add_pd(acc[q][s][1], _mm_mul_pd(w1, _mm_loadu_pd(xs + 2)));
                }
            }
        }
        for (int q = 0; q < R; ++q)
            for (int s = 0; s < S; ++s) {
                alignas(16) double lanes[2];
                _mm_store_pd(lanes, _mm_add_pd(acc[q][s][0], acc[q][s][1]));
                sum[q][s] = lanes[0] + lanes[1];
            }
#endif
        for (; j < n; ++j)
            for (int q = 0; q < R; ++q)
                for (int s = 0; s < S; ++s) sum[q][s] += double(row[q][j]) * x[s * x_stride + j];
        for (int q = 0; q < R; ++q)
            for (int s = 0; s < S; ++s) y[s * y_stride + q] = sum[q][s];
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
