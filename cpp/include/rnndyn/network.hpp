// The rate network and its forward-Euler integration (docs/mathematics.md, The network:
// Simulation; FORCE learning: the order of a step).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "activation.hpp"
#include "compact_rows.hpp"
#include "rls.hpp"
#include "team.hpp"
#include "types.hpp"

namespace rnndyn {

// Read-only view of a network's fixed weights; the readout is passed apart because FORCE
// changes it.  Sizes: recurrent N x N, feedback N x O, input N x I, bias N or empty,
// leak N (dt / tau per unit). `compact`, if set, holds `recurrent` in float, exactly
// (CompactRows::of; double networks only), and the steps' products read it instead.
template <typename Scalar>
struct Network {
    ConstMatrixRef<Scalar> recurrent;
    ConstMatrixRef<Scalar> feedback;
    ConstMatrixRef<Scalar> input;
    ConstVectorRef<Scalar> bias;
    ConstVectorRef<Scalar> leak;
    Activation activation;
    const CompactRows* compact = nullptr;

    Eigen::Index size() const { return recurrent.rows(); }
    Eigen::Index outputs() const { return feedback.cols(); }
    Eigen::Index inputs() const { return input.cols(); }

    // The fixed weights' shapes against each other; each message names the argument, what it
    // must be and what it was.
    void check_weights() const {
        const Eigen::Index n = size();
        const std::string units = " (N = " + std::to_string(n) + "), got ";
        require(recurrent.cols() == n, "recurrent must be N x N, got " + shape(recurrent));
        require(feedback.rows() == n, "feedback must be N x O" + units + shape(feedback));
        require(input.rows() == n, "input must be N x I" + units + shape(input));
        require(bias.size() == 0 || bias.size() == n,
                "bias must have length N or 0" + units + std::to_string(bias.size()));
        require(leak.size() == n,
                "leak (dt / tau) must have length N" + units + std::to_string(leak.size()));
        require(compact == nullptr || (compact->rows() == n && compact->cols() == n),
                "the compact copy of recurrent must be N x N");
    }

    // Rows [first, first + count) of W_r r, into `out`.
    template <class Out>
    void recurrent_rows(Eigen::Index first, Eigen::Index count, const Vector<Scalar>& rates,
                        Out&& out) const {
        if constexpr (std::is_same_v<Scalar, double>) {
            if (compact != nullptr) {
                compact->times(first, count, rates.data(), out.data());
                return;
            }
        }
        out.noalias() = recurrent.middleRows(first, count) * rates;
    }

    void check(const ConstMatrixRef<Scalar>& readout) const {
        check_weights();
        require(readout.rows() == outputs() && readout.cols() == size(),
                "readout must be O x N (" + std::to_string(outputs()) + " x " +
                    std::to_string(size()) + "), got " + shape(readout));
    }

    static std::string shape(const ConstMatrixRef<Scalar>& matrix) {
        return std::to_string(matrix.rows()) + " x " + std::to_string(matrix.cols());
    }

    static void require(bool ok, const std::string& message) {
        if (!ok) throw std::invalid_argument(message);
    }
};

// Where run() writes, one row per step; a block with zero rows is not recorded.
template <typename Scalar>
struct Recording {
    MatrixRef<Scalar> states;   // T x N: x_t after step t
    MatrixRef<Scalar> outputs;  // T x O: z_t after step t (and after the update, if any)
    MatrixRef<Scalar> errors;   // T x O: z_t - f_t before the update (needs targets)
};

// Runs T = inputs.rows() steps from `state` (advanced in place) in the fixed order of
// docs/mathematics.md, FORCE learning.  With `teacher_forcing`, step t feeds back f_{t-1},
// and `previous_target` at t = 0; otherwise the network's own output.  With `rls`, FORCE
// updates `readout` and P on the steps the schedule says.  `targets` may have zero rows when
// neither needs it.  A run cut into calls gives the same numbers as one call when each call
// after the first is given the last output of the one before (`continued_output`, O values).
// Returns -1, or the first step that diverged (a non-finite output, or an update whose
// 1 + rᵀPr is not positive: P no longer positive definite), where the run stops; the state,
// readout and P are then not to be used.
template <typename Scalar>
Eigen::Index run(const Network<Scalar>& net, MatrixRef<Scalar> readout, VectorRef<Scalar> state,
                 const ConstMatrixRef<Scalar>& inputs, const ConstMatrixRef<Scalar>& targets,
                 bool teacher_forcing, const ConstVectorRef<Scalar>& previous_target,
                 Rls<Scalar>* rls, Recording<Scalar> record, int n_jobs = 1,
                 const Scalar* continued_output = nullptr) {
    using Index = Eigen::Index;
    net.check(readout);
    const Index n = net.size(), n_out = net.outputs(), steps = inputs.rows();
    const auto require = Network<Scalar>::require;
    require(state.size() == n, "state must have length N");
    require(inputs.cols() == net.inputs(), "inputs must be T x I");
    const bool has_targets = targets.rows() > 0;
    require(!has_targets || (targets.rows() == steps && targets.cols() == n_out),
            "targets must be T x O");
    require(has_targets || (!teacher_forcing && rls == nullptr),
            "teacher forcing and training need targets");
    require(previous_target.size() == n_out, "previous_target must have length O");
    require(rls == nullptr || rls->size() == n, "P must be N x N");
    auto check_record = [&](const MatrixRef<Scalar>& block, Index width, const char* what) {
        require(block.rows() == 0 || (block.rows() == steps && block.cols() == width),
                std::string(what) + " recording must be T x width or empty");
    };
    check_record(record.states, n, "states");
    check_record(record.outputs, n_out, "outputs");
    check_record(record.errors, n_out, "errors");
    require(record.errors.rows() == 0 || has_targets, "errors need targets");

    // Threads split the units into fixed parts (W_r's rows, x, r; P's rows in Rls); each
    // thread keeps its own copy of the small vectors (z, e, k) and computes them redundantly,
    // so a step needs one barrier, two when it trains. r is double-buffered: step t reads
    // rates[t % 2] while writing rates[(t + 1) % 2].
    constexpr int kParts = 4;
    const auto units = split_rows(n, kParts, false);
    Team team(std::min(n_jobs, kParts));
    Vector<Scalar> rates_buffer[2] = {Vector<Scalar>(n), Vector<Scalar>(n)};
    apply_activation(net.activation, state, rates_buffer[0]);
    Index diverged = -1;
    // per part of x: non-finite after step t, in [t % 2] (read by all threads after the barrier
    // of step t, rewritten only after that of step t + 1)
    char nonfinite[2][kParts] = {};
    team.run([&](int rank) {
        const int threads = team.size();
        Vector<Scalar> drive(n), output(n_out), fed_back(n_out), error(n_out), gain;
        // z at the start: as the previous call ended (after an update, z is W_o r less the
        // update's share, which W_o r recomputed would differ from by a rounding), else W_o r
        if (continued_output != nullptr) {
            output = Eigen::Map<const Vector<Scalar>>(continued_output, n_out);
        } else {
            output.noalias() = readout * rates_buffer[0];
        }
        for (Index t = 0; t < steps; ++t) {
            const Vector<Scalar>& rates = rates_buffer[t % 2];
            Vector<Scalar>& next_rates = rates_buffer[(t + 1) % 2];
            if (!teacher_forcing) {
                fed_back = output;
            } else if (t == 0) {
                fed_back = previous_target;
            } else {
                fed_back = targets.row(t - 1).transpose();
            }
            for (int part = rank; part < kParts; part += threads) {
                const Index a = units[part], m = units[part + 1] - a;
                // 1. x <- x + (dt / tau) (-x + W_r r + W_fb z + B u_t + b)
                auto x = state.segment(a, m);
                auto d = drive.segment(a, m);
                net.recurrent_rows(a, m, rates, d);
                d.noalias() += net.feedback.middleRows(a, m) * fed_back;
                if (net.inputs() > 0)
                    d.noalias() += net.input.middleRows(a, m) * inputs.row(t).transpose();
                if (net.bias.size() > 0) d += net.bias.segment(a, m);
                x.array() += net.leak.segment(a, m).array() * (d - x).array();
                // 2. r <- phi(x)
                apply_activation(net.activation, x, next_rates.segment(a, m));
                nonfinite[t % 2][part] = !x.allFinite();
                if (record.states.rows() > 0) record.states.row(t).segment(a, m) = x.transpose();
            }
            team.barrier();  // r complete
            // 3. z <- W_o r
            output.noalias() = readout * next_rates;
            // 4. FORCE on the error measured before the update
            if (has_targets) {
                error = output - targets.row(t).transpose();
                if (rank == 0 && record.errors.rows() > 0) record.errors.row(t) = error.transpose();
                if (rls != nullptr && rls->due(t)) {
                    for (int part = rank; part < kParts; part += threads)
                        rls->partial_gain(part, next_rates);
                    team.barrier();  // every part of P r complete
                    const Scalar c = rls->gain(next_rates, gain);
                    if (rank == 0) rls->defer(gain, c);
                    for (int part = rank; part < kParts; part += threads) {
                        const Index a = units[part], m = units[part + 1] - a;
                        readout.middleCols(a, m).noalias() -=
                            (c * error) * gain.segment(a, m).transpose();
                    }
                    // z after the update, W_o r - c e (k'r), without waiting for W_o
                    output -= (c * gain.dot(next_rates)) * error;
                    if (!(c > 0) || !std::isfinite(c))  // P lost positive definiteness
                        output.setConstant(std::numeric_limits<Scalar>::quiet_NaN());
                }
            }
            // 5. record
            if (rank == 0 && record.outputs.rows() > 0) record.outputs.row(t) = output.transpose();
            // every thread holds the same z and flags, so all of them stop at the same step
            const char* flags = nonfinite[t % 2];
            const bool state_bad = std::any_of(flags, flags + kParts, [](char f) { return f; });
            if (state_bad || !output.allFinite()) {
                if (rank == 0) diverged = t;
                break;
            }
        }
        if (rls != nullptr) {
            team.barrier();  // the last deferred update is stored
            for (int part = rank; part < kParts; part += threads) rls->flush(part);
        }
    });
    return diverged;
}

}  // namespace rnndyn
