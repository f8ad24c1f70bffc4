// Free runs: many states of one network stepped together at a constant input, with the readout
// fed back and nothing trained (docs/mathematics.md, The skeleton: free runs). The skeleton's
// basins, bisections, edge tracking and branches are such runs, mostly of 1 to 16 states at a
// time for thousands of steps; a step is bound by reading W_r, so it reads W_r as the steps of
// `run` do (as floats where it can, split among threads by rows) and once for every state.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "network.hpp"

namespace rnndyn {

namespace detail {

// Rows [first, first + count) of W_r r for each row r of `rates` (K x N), into `out`
// (K x count): W_r's rows read once for every state (CompactRows' several vectors), each
// state's sums as Network::recurrent_rows takes them.
template <typename Scalar>
void recurrent_products(const Network<Scalar>& net, Eigen::Index first, Eigen::Index count,
                        const RowMatrix<Scalar>& rates, RowMatrix<Scalar>& out) {
    if constexpr (std::is_same_v<Scalar, double>) {
        if (net.compact != nullptr) {
            net.compact->times(first, count, rates.data(), rates.cols(), rates.rows(), out.data(),
                               out.cols());
            return;
        }
    }
    for (Eigen::Index k = 0; k < rates.rows(); ++k)
        out.row(k).noalias() =
            (net.recurrent.middleRows(first, count) * rates.row(k).transpose()).transpose();
}

}  // namespace detail

// Advances each row x of `states` (K x N) `steps` Euler steps in place,
//   x <- x + leak ⊙ F(x),  F(x) = -x + W_r r + W_fb (W_o r) + c,  r = φ(x),
// with the readout W_o fed back and c = B u + b (`drive`, N) for the constant input u. Writes
// the state before the last step into `previous` and F there into `velocity` (both K x N; left
// as they were when steps = 0). Each state's numbers do not depend on the others nor on n_jobs.
template <typename Scalar>
void free_run(const Network<Scalar>& net, const ConstMatrixRef<Scalar>& readout,
              const ConstVectorRef<Scalar>& drive, MatrixRef<Scalar> states,
              MatrixRef<Scalar> previous, MatrixRef<Scalar> velocity, Eigen::Index steps,
              int n_jobs = 1) {
    using Index = Eigen::Index;
    net.check(readout);
    const Index n = net.size(), count = states.rows();
    const auto require = Network<Scalar>::require;
    require(states.cols() == n, "states must be K x N");
    require(drive.size() == n, "drive must have length N");
    require(previous.rows() == count && previous.cols() == n, "previous must be K x N");
    require(velocity.rows() == count && velocity.cols() == n, "velocity must be K x N");
    require(steps >= 0, "steps must be >= 0");
    if (count == 0 || steps == 0) return;
    // threads split the units as in run(); r is double-buffered (step t reads rates[t % 2])
    constexpr int kParts = 4;
    const auto units = split_rows(n, kParts, false);
    Team team(std::min(n_jobs, kParts));
    RowMatrix<Scalar> rates[2] = {RowMatrix<Scalar>(count, n), RowMatrix<Scalar>(count, n)};
    apply_activation(net.activation, states, rates[0]);
    team.run([&](int rank) {
        // each thread keeps W_o r of every state (K x O), computed redundantly, a state at a
        // time as run() computes its one
        RowMatrix<Scalar> fed_back(count, net.outputs());
        auto feed_back = [&](const RowMatrix<Scalar>& r) {
            for (Index k = 0; k < count; ++k)
                fed_back.row(k).noalias() = (readout * r.row(k).transpose()).transpose();
        };
        feed_back(rates[0]);
        RowMatrix<Scalar> recurrent;
        Vector<Scalar> F;
        for (Index t = 0; t < steps; ++t) {
            const RowMatrix<Scalar>& r = rates[t % 2];
            RowMatrix<Scalar>& next = rates[(t + 1) % 2];
            for (int part = rank; part < kParts; part += team.size()) {
                const Index a = units[part], m = units[part + 1] - a;
                recurrent.resize(count, m);
                detail::recurrent_products(net, a, m, r, recurrent);
                for (Index k = 0; k < count; ++k) {
                    auto x = states.row(k).segment(a, m);
                    F = recurrent.row(k).transpose();
                    F.noalias() += net.feedback.middleRows(a, m) * fed_back.row(k).transpose();
                    F += drive.segment(a, m);
                    F -= x.transpose();
                    if (t == steps - 1) {
                        previous.row(k).segment(a, m) = x;
                        velocity.row(k).segment(a, m) = F.transpose();
                    }
                    x.array() += (net.leak.segment(a, m).array() * F.array()).transpose();
                    apply_activation(net.activation, x, next.row(k).segment(a, m));
                }
            }
            team.barrier();  // r complete
            feed_back(next);
        }
    });
}

}  // namespace rnndyn
