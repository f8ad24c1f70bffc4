// Bindings for simulation and FORCE training: argument conversion and GIL release only.
// An ESN's fixed weights are bound once per run or training call, as a Network (float64) or a
// NetworkF32 (float32); simulate and train_force take it, and pybind11 picks the overload of
// its class (the in-place arguments are noconvert, so they must match its dtype).
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <rnndyn/free_run.hpp>
#include <rnndyn/network.hpp>

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

// An ESN's fixed weights (recurrent N x N, feedback N x O, input N x I, bias N or 0, leak N)
// and activation, seen by the core as one rnndyn::Network. It holds the arrays, so they live as
// long as it does: arrays of its dtype in C order are held as they are, without a copy (W_r is
// the big one); others are converted once, here. Shapes are checked here, once. A float64 W_r
// whose entries are all floats is also held in float (rnndyn::CompactRows), for the steps.
template <typename Scalar>
class BoundNetwork {
public:
    using Array = py::array_t<Scalar, py::array::c_style | py::array::forcecast>;

    BoundNetwork(Array recurrent, Array feedback, Array input, Array bias, Array leak,
                 const std::string& activation)
            : recurrent_(std::move(recurrent)),
              feedback_(std::move(feedback)),
              input_(std::move(input)),
              bias_(std::move(bias)),
              leak_(std::move(leak)),
              network_{matrix(recurrent_, "recurrent"), matrix(feedback_, "feedback"),
                       matrix(input_, "input"),         vector(bias_, "bias"),
                       vector(leak_, "leak"),           rnndyn::activation_from_name(activation)} {
        if constexpr (std::is_same_v<Scalar, double>) {
            compact_ = rnndyn::CompactRows::of(network_.recurrent);
            if (compact_) network_.compact = &*compact_;
        }
        network_.check_weights();
    }

    // the views point into the arrays held here
    BoundNetwork(const BoundNetwork&) = delete;
    BoundNetwork& operator=(const BoundNetwork&) = delete;

    const rnndyn::Network<Scalar>& network() const { return network_; }

private:
    using MatrixMap = Eigen::Map<const rnndyn::RowMatrix<Scalar>>;
    using VectorMap = Eigen::Map<const rnndyn::Vector<Scalar>>;

    static MatrixMap matrix(const Array& array, const char* name) {
        require_dimensions(array, 2, name);
        return {array.data(), array.shape(0), array.shape(1)};
    }

    static VectorMap vector(const Array& array, const char* name) {
        require_dimensions(array, 1, name);
        return {array.data(), array.shape(0)};
    }

    static void require_dimensions(const Array& array, py::ssize_t dimensions, const char* name) {
        if (array.ndim() != dimensions)
            throw std::invalid_argument(std::string(name) + " must have " +
                                        std::to_string(dimensions) + " dimensions, got " +
                                        std::to_string(array.ndim()));
    }

    Array recurrent_, feedback_, input_, bias_, leak_;
    rnndyn::Network<Scalar> network_;  // after the arrays: it is built from them
    std::optional<rnndyn::CompactRows> compact_;
};

template <typename Scalar>
struct Bound {
    using Matrix = rnndyn::MatrixRef<Scalar>;
    using ConstMatrix = rnndyn::ConstMatrixRef<Scalar>;
    using ConstVector = rnndyn::ConstVectorRef<Scalar>;
    using State = rnndyn::VectorRef<Scalar>;

    // The previous call's last output (O values), or none (empty): see rnndyn::run.
    static const Scalar* continued(const rnndyn::Network<Scalar>& net, const ConstVector& output) {
        if (output.size() == 0) return nullptr;
        if (output.size() != net.outputs())
            throw std::invalid_argument("previous_output must have length O or 0");
        return output.data();
    }

    static Eigen::Index simulate(const BoundNetwork<Scalar>& network, Matrix readout, State state,
                                 const ConstMatrix& inputs, const ConstMatrix& targets,
                                 bool teacher_forcing, const ConstVector& previous_target,
                                 Matrix states, Matrix outputs, int n_jobs,
                                 const ConstVector& previous_output) {
        const auto& net = network.network();
        rnndyn::RowMatrix<Scalar> no_errors(0, 0);
        return rnndyn::run<Scalar>(net, readout, state, inputs, targets, teacher_forcing,
                                   previous_target, nullptr, {states, outputs, no_errors}, n_jobs,
                                   continued(net, previous_output));
    }

    static Eigen::Index train_force(const BoundNetwork<Scalar>& network, Matrix readout,
                                    State state, const ConstMatrix& inputs,
                                    const ConstMatrix& targets, bool teacher_forcing,
                                    const ConstVector& previous_target, Matrix inverse_correlation,
                                    Eigen::Index train_every, Eigen::Index step_offset,
                                    Matrix states, Matrix outputs, Matrix errors, int n_jobs,
                                    const ConstVector& previous_output) {
        const auto& net = network.network();
        rnndyn::Rls<Scalar> rls(inverse_correlation, train_every, step_offset);
        return rnndyn::run<Scalar>(net, readout, state, inputs, targets, teacher_forcing,
                                   previous_target, &rls, {states, outputs, errors}, n_jobs,
                                   continued(net, previous_output));
    }

    static void free_run(const BoundNetwork<Scalar>& network, const ConstMatrix& readout,
                         const ConstVector& drive, Matrix states, Matrix previous, Matrix velocity,
                         Eigen::Index steps, int n_jobs) {
        rnndyn::free_run<Scalar>(network.network(), readout, drive, states, previous, velocity,
                                 steps, n_jobs);
    }

    static void bind(py::module_& m, const char* network_class) {
        using Network = BoundNetwork<Scalar>;
        using Array = typename Network::Array;
        py::class_<Network>(m, network_class,
                            "An ESN's fixed weights, bound once for simulate and train_force.")
            .def(py::init<Array, Array, Array, Array, Array, const std::string&>(), "recurrent"_a,
                 "feedback"_a, "input"_a, "bias"_a, "leak"_a, "activation"_a)
            .def_property_readonly("size",
                                   [](const Network& self) { return self.network().size(); })
            .def_property_readonly("n_inputs",
                                   [](const Network& self) { return self.network().inputs(); })
            .def_property_readonly("n_outputs",
                                   [](const Network& self) { return self.network().outputs(); })
            .def_property_readonly(
                "compact", [](const Network& self) { return self.network().compact != nullptr; },
                "Whether the steps read W_r as floats (float64 W_r whose entries are floats).");

        const auto release = py::call_guard<py::gil_scoped_release>();
        m.def("simulate", &simulate, release, "network"_a, py::kw_only(), "readout"_a.noconvert(),
              "state"_a.noconvert(), "inputs"_a.noconvert(), "targets"_a.noconvert(),
              "teacher_forcing"_a, "previous_target"_a.noconvert(), "states"_a.noconvert(),
              "outputs"_a.noconvert(), "n_jobs"_a = 1,
              "previous_output"_a.noconvert() = rnndyn::Vector<Scalar>(),
              "Runs the network in place; writes states (T x N) and outputs (T x O). Returns -1, "
              "or the step where it diverged and stopped.");
        m.def("train_force", &train_force, release, "network"_a, py::kw_only(),
              "readout"_a.noconvert(), "state"_a.noconvert(), "inputs"_a.noconvert(),
              "targets"_a.noconvert(), "teacher_forcing"_a, "previous_target"_a.noconvert(),
              "inverse_correlation"_a.noconvert(), "train_every"_a, "step_offset"_a,
              "states"_a.noconvert(), "outputs"_a.noconvert(), "errors"_a.noconvert(),
              "n_jobs"_a = 1, "previous_output"_a.noconvert() = rnndyn::Vector<Scalar>(),
              "FORCE-trains the readout in place; P's lower triangle is updated in place. Returns "
              "-1, or the step where it diverged and stopped.");
        m.def("free_run", &free_run, release, "network"_a, py::kw_only(), "readout"_a, "drive"_a,
              "states"_a.noconvert(), "previous"_a.noconvert(), "velocity"_a.noconvert(), "steps"_a,
              "n_jobs"_a = 1,
              "Advances each row of states (K x N) `steps` Euler steps in place at a constant "
              "input (drive: B u + b, N), the readout fed back; writes the states before the "
              "last step into previous and F there into velocity (K x N).");
    }
};

}  // namespace

void bind_network(py::module_& m) {
    Bound<double>::bind(m, "Network");
    Bound<float>::bind(m, "NetworkF32");
}
