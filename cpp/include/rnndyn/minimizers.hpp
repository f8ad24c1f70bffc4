// Minimising q from many starting points: the methods, and the split of the points into fixed
// blocks that threads share (DESIGN.md: fixed points).
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>

#include "adam.hpp"
#include "levenberg_marquardt.hpp"
#include "minimize_common.hpp"
#include "newton_krylov.hpp"
#include "nonlinear_cg.hpp"
#include "parallel.hpp"
#include "trust_ncg.hpp"

namespace rnndyn {

enum class Method { Newton, TrustNcg, LevenbergMarquardt, ConjugateGradient, Adam };

inline Method method_from_name(const std::string& name) {
    if (name == "newton") return Method::Newton;
    if (name == "trust-ncg") return Method::TrustNcg;
    if (name == "lm") return Method::LevenbergMarquardt;
    if (name == "cg") return Method::ConjugateGradient;
    if (name == "adam") return Method::Adam;
    throw std::invalid_argument("method must be 'newton', 'trust-ncg', 'lm', 'cg' or 'adam', got '" + name +
                                "'");
}

// Results for K points: final points (K x N), q, |∇q|, iterations and StopReason codes.
template <typename Scalar>
struct MinimizeResult {
    RowMatrix<Scalar> points;
    Vector<Scalar> q, gradient_norm;
    Eigen::VectorXi iterations, reason;
};

// Points are split into blocks of `kBlockRows` consecutive rows that are minimised together
// (their products batched); blocks go to threads. The split does not depend on n_jobs, so
// neither do the results, bit for bit.
constexpr Eigen::Index kBlockRows = 32;

template <typename Scalar, class System>
MinimizeResult<Scalar> minimize(const System& system, const ConstMatrixRef<Scalar>& starts,
                                Method method, const MinimizeOptions& options, int n_jobs) {
    options.check();
    if (starts.cols() != system.size())
        throw std::invalid_argument("initial states must be K x N");
    if (n_jobs < 1) throw std::invalid_argument("n_jobs must be >= 1");
    const Eigen::Index count = starts.rows();
    MinimizeResult<Scalar> result{starts, Vector<Scalar>(count), Vector<Scalar>(count),
                                  Eigen::VectorXi(count), Eigen::VectorXi(count)};
    const std::size_t blocks = std::size_t((count + kBlockRows - 1) / kBlockRows);
    parallel_for(blocks, n_jobs, [&](std::size_t b) {
        const Eigen::Index first = Eigen::Index(b) * kBlockRows;
        const Eigen::Index rows = std::min(kBlockRows, count - first);
        Block<Scalar> block(system, starts.middleRows(first, rows));
        switch (method) {
            case Method::Newton: newton_krylov(system, block, options); break;
            case Method::TrustNcg: trust_ncg(system, block, options); break;
            case Method::LevenbergMarquardt: levenberg_marquardt(system, block, options); break;
            case Method::ConjugateGradient: nonlinear_cg(system, block, options); break;
            case Method::Adam: adam(system, block, options); break;
        }
        result.points.middleRows(first, rows) = block.X;
        result.q.segment(first, rows) = block.q;
        result.gradient_norm.segment(first, rows) = block.gradient.rowwise().norm();
        for (Eigen::Index i = 0; i < rows; ++i) {
            result.iterations(first + i) = block.iterations[i];
            result.reason(first + i) = block.reason[i];
        }
    });
    return result;
}

}  // namespace rnndyn
