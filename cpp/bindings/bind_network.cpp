// Bindings for simulation and FORCE training: argument conversion and GIL release only.
// Each function exists for float64 and float32; pybind11 picks the overload whose arrays
// match without conversion (the in-place arguments are noconvert).
#include <stdexcept>
#include <string>

#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>

#include <rnndyn/network.hpp>

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

template <typename Scalar>
struct Bound {
    using Matrix = rnndyn::MatrixRef<Scalar>;
    using ConstMatrix = rnndyn::ConstMatrixRef<Scalar>;
    using ConstVector = rnndyn::ConstVectorRef<Scalar>;
    using State = rnndyn::VectorRef<Scalar>;

    static rnndyn::Network<Scalar> network(const ConstMatrix& recurrent,
                                           const ConstMatrix& feedback, const ConstMatrix& input,
                                           const ConstVector& bias, const ConstVector& leak,
                                           const std::string& activation) {
        return {recurrent, feedback, input, bias, leak, rnndyn::activation_from_name(activation)};
    }

    // The previous call's last output (O values), or none (empty): see rnndyn::run.
    static const Scalar* continued(const rnndyn::Network<Scalar>& net, const ConstVector& output) {
        if (output.size() == 0) return nullptr;
        if (output.size() != net.outputs())
            throw std::invalid_argument("previous_output must have length O or 0");
        return output.data();
    }

    static Eigen::Index simulate(const ConstMatrix& recurrent, const ConstMatrix& feedback,
                                 const ConstMatrix& input, const ConstVector& bias,
                                 const ConstVector& leak, const std::string& activation,
                                 Matrix readout, State state, const ConstMatrix& inputs,
                                 const ConstMatrix& targets, bool teacher_forcing,
                                 const ConstVector& previous_target, Matrix states, Matrix outputs,
                                 int n_jobs, const ConstVector& previous_output) {
        auto net = network(recurrent, feedback, input, bias, leak, activation);
        rnndyn::RowMatrix<Scalar> no_errors(0, 0);
        return rnndyn::run<Scalar>(net, readout, state, inputs, targets, teacher_forcing,
                                   previous_target, nullptr, {states, outputs, no_errors}, n_jobs,
                                   continued(net, previous_output));
    }

    static Eigen::Index train_force(const ConstMatrix& recurrent, const ConstMatrix& feedback,
                                    const ConstMatrix& input, const ConstVector& bias,
                                    const ConstVector& leak, const std::string& activation,
                                    Matrix readout, State state, const ConstMatrix& inputs,
                                    const ConstMatrix& targets, bool teacher_forcing,
                                    const ConstVector& previous_target, Matrix inverse_correlation,
                                    Eigen::Index train_every, Eigen::Index step_offset,
                                    Matrix states, Matrix outputs, Matrix errors, int n_jobs,
                                    const ConstVector& previous_output) {
        auto net = network(recurrent, feedback, input, bias, leak, activation);
        rnndyn::Rls<Scalar> rls(inverse_correlation, train_every, step_offset);
        return rnndyn::run<Scalar>(net, readout, state, inputs, targets, teacher_forcing,
                                   previous_target, &rls, {states, outputs, errors}, n_jobs,
                                   continued(net, previous_output));
    }

    static void bind(py::module_& m) {
        const auto release = py::call_guard<py::gil_scoped_release>();
        m.def(
            "simulate", &simulate, release, "recurrent"_a, "feedback"_a, "input"_a, "bias"_a,
            "leak"_a, "activation"_a, "readout"_a.noconvert(), "state"_a.noconvert(),
            "inputs"_a.noconvert(), "targets"_a.noconvert(), "teacher_forcing"_a,
            "previous_target"_a.noconvert(), "states"_a.noconvert(), "outputs"_a.noconvert(),
            "n_jobs"_a = 1, "previous_output"_a.noconvert() = rnndyn::Vector<Scalar>(),
            "Runs the network in place; writes states (T x N) and outputs (T x O). Returns -1, or "
            "the step where it diverged and stopped.");
        m.def("train_force", &train_force, release, "recurrent"_a, "feedback"_a, "input"_a,
              "bias"_a, "leak"_a, "activation"_a, "readout"_a.noconvert(), "state"_a.noconvert(),
              "inputs"_a.noconvert(), "targets"_a.noconvert(), "teacher_forcing"_a,
              "previous_target"_a.noconvert(), "inverse_correlation"_a.noconvert(), "train_every"_a,
              "step_offset"_a, "states"_a.noconvert(), "outputs"_a.noconvert(),
              "errors"_a.noconvert(), "n_jobs"_a = 1,
              "previous_output"_a.noconvert() = rnndyn::Vector<Scalar>(),
              "FORCE-trains the readout in place; P's lower triangle is updated in place. Returns "
              "-1, "
              "or the step where it diverged and stopped.");
    }
};

}  // namespace

void bind_network(py::module_& m) {
    Bound<double>::bind(m);
    Bound<float>::bind(m);
}
