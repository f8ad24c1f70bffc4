// Minimising q from many starting points (docs/mathematics.md, "The closed loop and its fixed
// points"): one switch over the methods. Newton runs its own strategy (newton_strategy.hpp);
// every other method minimises the blocks of kBlockRows points on its own (block.hpp).
#pragma once

#include <stdexcept>

#include "adam.hpp"
#include "block.hpp"
#include "levenberg_marquardt.hpp"
#include "newton_strategy.hpp"
#include "nonlinear_cg.hpp"
#include "options.hpp"
#include "trust_ncg.hpp"

namespace rnndyn {

template <typename Scalar, class System>
MinimizeResult<Scalar> minimize(const System& system, const ConstMatrixRef<Scalar>& starts,
                                Method method, const MinimizeOptions& options, int n_jobs) {
    options.check();
    if (starts.cols() != system.size()) throw std::invalid_argument("initial states must be K x N");
    if (n_jobs < 1) throw std::invalid_argument("n_jobs must be >= 1");
    const Eigen::Index count = starts.rows();
    MinimizeResult<Scalar> result{starts, Vector<Scalar>(count), Vector<Scalar>(count),
                                  Eigen::VectorXi::Zero(count), Eigen::VectorXi(count)};
    auto in_blocks = [&](auto&& minimizer) {
        detail::minimize_rows(system, detail::all_rows(count), kBlockRows, n_jobs, result,
                              minimizer);
    };
    switch (method) {
        case Method::Newton:
            detail::newton_strategy(system, options, n_jobs, result);
            break;
        case Method::TrustNcg:
            in_blocks([&](Block<Scalar>& block) { trust_ncg(system, block, options); });
            break;
        case Method::LevenbergMarquardt:
            in_blocks([&](Block<Scalar>& block) { levenberg_marquardt(system, block, options); });
            break;
        case Method::ConjugateGradient:
            in_blocks([&](Block<Scalar>& block) { nonlinear_cg(system, block, options); });
            break;
        case Method::Adam:
            in_blocks([&](Block<Scalar>& block) { adam(system, block, options); });
            break;
    }
    return result;
}

}  // namespace rnndyn
