// The rate network and its forward-Euler integration (DESIGN.md: simulation and step order).
#pragma once

#include <stdexcept>
#include <string>

#include "activation.hpp"
#include "rls.hpp"
#include "types.hpp"

namespace rnndyn {

// Read-only view of a network's fixed weights; the readout is passed apart because FORCE
// changes it.  Sizes: recurrent N x N, feedback N x O, input N x I, bias N or empty,
// leak N (dt / tau per unit).
template <typename Scalar>
struct Network {
    ConstMatrixRef<Scalar> recurrent;
    ConstMatrixRef<Scalar> feedback;
    ConstMatrixRef<Scalar> input;
    ConstVectorRef<Scalar> bias;
    ConstVectorRef<Scalar> leak;
    Activation activation;

    Eigen::Index size() const { return recurrent.rows(); }
    Eigen::Index outputs() const { return feedback.cols(); }
    Eigen::Index inputs() const { return input.cols(); }

    void check(const ConstMatrixRef<Scalar>& readout) const {
        const Eigen::Index n = size();
        require(recurrent.cols() == n, "recurrent must be N x N");
        require(feedback.rows() == n, "feedback must have N rows");
        require(input.rows() == n, "input must have N rows");
        require(bias.size() == 0 || bias.size() == n, "bias must have length N or 0");
        require(leak.size() == n, "leak (dt / tau) must have length N");
        require(readout.rows() == outputs() && readout.cols() == n, "readout must be O x N");
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
// DESIGN.md.  With `teacher_forcing`, step t feeds back f_{t-1}, and `previous_target` at
// t = 0; otherwise the network's own output.  With `rls`, FORCE updates `readout` and P on the
// steps the schedule says.  `targets` may have zero rows when neither needs it.
template <typename Scalar>
void run(const Network<Scalar>& net, MatrixRef<Scalar> readout, VectorRef<Scalar> state,
         const ConstMatrixRef<Scalar>& inputs, const ConstMatrixRef<Scalar>& targets,
         bool teacher_forcing, const ConstVectorRef<Scalar>& previous_target, Rls<Scalar>* rls,
         Recording<Scalar> record) {
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

    Vector<Scalar> rates(n), drive(n), output(n_out), fed_back(n_out), error(n_out);
    apply_activation(net.activation, state, rates);
    output.noalias() = readout * rates;
    for (Index t = 0; t < steps; ++t) {
        if (!teacher_forcing) {
            fed_back = output;
        } else if (t == 0) {
            fed_back = previous_target;
        } else {
            fed_back = targets.row(t - 1).transpose();
        }
        // 1. x <- x + (dt / tau) (-x + W_r r + W_fb z + B u_t + b)
        drive.noalias() = net.recurrent * rates;
        drive.noalias() += net.feedback * fed_back;
        if (net.inputs() > 0) drive.noalias() += net.input * inputs.row(t).transpose();
        if (net.bias.size() > 0) drive += net.bias;
        state.array() += net.leak.array() * (drive - state).array();
        // 2.-3. r <- phi(x), z <- W_o r
        apply_activation(net.activation, state, rates);
        output.noalias() = readout * rates;
        // 4. FORCE on the error measured before the update
        if (has_targets) {
            error = output - targets.row(t).transpose();
            if (record.errors.rows() > 0) record.errors.row(t) = error.transpose();
            if (rls != nullptr && rls->due(t)) {
                rls->update(rates, error, readout);
                output.noalias() = readout * rates;
            }
        }
        // 5. record
        if (record.states.rows() > 0) record.states.row(t) = state.transpose();
        if (record.outputs.rows() > 0) record.outputs.row(t) = output.transpose();
    }
}

}  // namespace rnndyn
