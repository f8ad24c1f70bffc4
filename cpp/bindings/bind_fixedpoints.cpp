// Bindings for q, its derivatives and the minimisers: conversion and GIL release only.
#include <algorithm>
#include <atomic>
#include <complex>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <rnndyn/gated.hpp>
#include <rnndyn/gru_cell.hpp>
#include <rnndyn/krylov_schur.hpp>
#include <rnndyn/lstm_cell.hpp>
#include <rnndyn/minimizers.hpp>
#include <rnndyn/rnn_cell.hpp>
#include <rnndyn/systems.hpp>

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

using Scalar = double;
using Matrix = rnndyn::RowMatrix<Scalar>;
using ConstMatrix = rnndyn::ConstMatrixRef<Scalar>;
using ConstVector = rnndyn::ConstVectorRef<Scalar>;

// The linearization at the rows of X (what every product needs).
template <class System>
rnndyn::Linearization<Scalar> linearization_at(const System& s, const Matrix& X) {
    Matrix gradient;
    return s.linearize(X, s.velocity(X), gradient);
}

// For MinimizeOptions::interrupted: the calling thread (the main one, for Ctrl-C) asks Python
// whether a signal handler raised, and every thread then stops. Python's error stays set for
// the translator in bind_fixedpoints().
std::function<bool()> signal_poll() {
    auto stop = std::make_shared<std::atomic<bool>>(false);
    return [stop, caller = std::this_thread::get_id()] {
        if (*stop) return true;
        if (std::this_thread::get_id() != caller) return false;
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) *stop = true;
        return bool(*stop);
    };
}

rnndyn::Growth growth_from_name(const std::string& name) {
    if (name == "real") return rnndyn::Growth::RealPart;
    if (name == "modulus") return rnndyn::Growth::Modulus;
    throw std::invalid_argument("growth must be 'real' or 'modulus', not '" + name + "'");
}

using Complex = std::complex<double>;
using Leading = std::tuple<rnndyn::RowMatrix<Complex>, py::array_t<Complex>, py::array_t<bool>,
                           py::array_t<Eigen::Index>>;

// least_stable's result as NumPy arrays: values (M, width), vectors (M, N, width), converged
// (M,), found (M,).
Leading leading_to_arrays(rnndyn::LeadingEigenpairs& found, Eigen::Index n) {
    const auto count = found.values.rows(), width = found.values.cols();
    py::array_t<Complex> vectors({count, n, width});
    std::copy_n(found.vectors.data(), found.vectors.size(), vectors.mutable_data());
    py::array_t<bool> converged(count);
    std::copy(found.converged.begin(), found.converged.end(), converged.mutable_data());
    py::array_t<Eigen::Index> pairs(count);
    std::copy(found.found.begin(), found.found.end(), pairs.mutable_data());
    return {std::move(found.values), vectors, converged, pairs};
}

// The k least stable eigenpairs at each state (krylov_schur.hpp), the GIL released meanwhile.
template <class System>
Leading least_stable(const System& s, const ConstMatrix& states, Eigen::Index k, bool transpose,
                     const std::string& growth, const std::optional<rnndyn::Vector<Scalar>>& scale,
                     double shift, double tol, Eigen::Index ncv, int max_restarts, int n_jobs,
                     const std::optional<rnndyn::Vector<Eigen::Index>>& counts,
                     Eigen::Index widen_to, double widen_above) {
    rnndyn::KrylovSchurOptions options;
    options.k = k;
    options.transpose = transpose;
    options.growth = growth_from_name(growth);
    options.shift = shift;
    options.tol = tol;
    options.ncv = ncv;
    options.max_restarts = max_restarts;
    options.widen_to = widen_to;
    options.widen_above = widen_above;
    options.interrupted = signal_poll();
    std::vector<Eigen::Index> wanted;
    if (counts) wanted.assign(counts->begin(), counts->end());
    rnndyn::LeadingEigenpairs found;
    {
        py::gil_scoped_release release;
        found = rnndyn::least_stable(s, states, scale.value_or(rnndyn::Vector<Scalar>()), options,
                                     n_jobs, wanted);
    }
    return leading_to_arrays(found, s.size());
}

template <class System, class Class>
void bind_system_methods(Class& cls) {
    const auto release = py::call_guard<py::gil_scoped_release>();
    cls.def_property_readonly("size", &System::size)
        .def_property_readonly_static("discrete_time",
                                      [](py::object) { return System::discrete_time; })
        .def(
            "velocity", [](const System& s, const ConstMatrix& X) { return s.velocity(X); },
            release, "states"_a, "F at each row of states (K x N).")
        .def(
            "gradient",
            [](const System& s, const ConstMatrix& X) {
                Matrix gradient;
                s.linearize(X, s.velocity(X), gradient);
                return gradient;
            },
            release, "states"_a, "∇q = JᵀF at each row (K x N).")
        .def(
            "jacobian_product",
            [](const System& s, const ConstMatrix& X, const ConstMatrix& V) {
                return s.jacobian_product(s.first_order(X), V);
            },
            release, "states"_a, "vectors"_a, "J v for each row pair (K x N).")
        .def(
            "jacobian_transpose_product",
            [](const System& s, const ConstMatrix& X, const ConstMatrix& U) {
                return s.jacobian_transpose_product(s.first_order(X), U);
            },
            release, "states"_a, "vectors"_a, "Jᵀ u for each row pair (K x N).")
        .def(
            "hessian_product",
            [](const System& s, const ConstMatrix& X, const ConstMatrix& V, bool exact) {
                return s.hessian_product(linearization_at(s, X), V, exact);
            },
            release, "states"_a, "vectors"_a, "exact"_a = true,
            "H v for each row pair (K x N); exact=False gives Gauss-Newton JᵀJ v.")
        .def(
            "jacobian",
            [](const System& s, const ConstVector& x) {
                return s.jacobian(s.first_order(Matrix(x.transpose())), 0);
            },
            release, "state"_a, "The dense Jacobian (N x N) at one state.")
        .def(
            "hessian",
            [](const System& s, const ConstVector& x, bool exact) {
                rnndyn::ColMatrix<Scalar> H =
                    rnndyn::dense_hessian(s, linearization_at(s, Matrix(x.transpose())), 0, exact);
                H.template triangularView<Eigen::StrictlyUpper>() = H.transpose();
                return H;
            },
            release, "state"_a, "exact"_a = true,
            "The dense Hessian of q (N x N) at one state; exact=False gives JᵀJ.")
        .def(
            "minimize",
            [](const System& s, const ConstMatrix& starts, const std::string& method,
               const rnndyn::MinimizeOptions& options, int n_jobs) {
                rnndyn::MinimizeOptions polled = options;
                polled.interrupted = signal_poll();
                auto r = rnndyn::minimize<Scalar>(s, starts, rnndyn::method_from_name(method),
                                                  polled, n_jobs);
                return std::make_tuple(std::move(r.points), std::move(r.q),
                                       std::move(r.gradient_norm), std::move(r.iterations),
                                       std::move(r.reason));
            },
            release, "starts"_a, "method"_a, "options"_a, "n_jobs"_a = 1,
            "Minimise q from each row of starts; returns (points, q, grad_norm, iterations, "
            "stop_reason codes).")
        .def(
            "precondition",
            [](const System& s, const ConstMatrix& X, const ConstMatrix& R) {
                return s.precondition(linearization_at(s, X), R);
            },
            release, "states"_a, "vectors"_a, "M⁻¹ r for each row pair (K x N).")
        .def("least_stable", &least_stable<System>, "states"_a, "k"_a, "transpose"_a = false,
             "growth"_a = "real", "scale"_a = py::none(), "shift"_a = 0.0, "tol"_a = 1e-10,
             "ncv"_a = 60, "max_restarts"_a = 300, "n_jobs"_a = 1, "counts"_a = py::none(),
             "widen_to"_a = 0, "widen_above"_a = 0.0,
             "The k eigenvalues of diag(scale) J + shift I (transpose: of its transpose) with "
             "the largest growth ('real' part or 'modulus') at each state (M x N), by batched "
             "Krylov-Schur, or counts[p] (<= k) of them at state p; a state whose pairs all "
             "grow faster than widen_above goes on for twice as many, up to widen_to. Returns "
             "(values (M, w), unit right eigenvectors (M, N, w), converged (M,), found (M,)), "
             "w the most pairs a state found (at least k), found[p] those of state p, zeros "
             "beyond them and where a state did not converge.");
}

// A stack of gated layers at a constant input: PyTorch's weights, one list entry per layer.
template <class Cell>
void bind_gated(py::module_& m, const char* name, const char* doc) {
    using System = rnndyn::GatedSystem<Cell>;
    py::class_<System> cls(m, name, py::module_local(), doc);
    cls.def(py::init([](const std::vector<Matrix>& input_weights,
                        const std::vector<Matrix>& recurrent_weights,
                        const std::vector<rnndyn::Vector<Scalar>>& input_biases,
                        const std::vector<rnndyn::Vector<Scalar>>& recurrent_biases,
                        const ConstVector& inputs) {
                const std::size_t count = input_weights.size();
                if (recurrent_weights.size() != count || input_biases.size() != count ||
                    recurrent_biases.size() != count)
                    throw std::invalid_argument("every layer needs its four arrays");
                std::vector<typename System::Layer> layers;
                for (std::size_t l = 0; l < count; ++l)
                    layers.push_back({input_weights[l], recurrent_weights[l], input_biases[l],
                                      recurrent_biases[l]});
                return System(layers, inputs);
            }),
            "input_weights"_a, "recurrent_weights"_a, "input_biases"_a, "recurrent_biases"_a,
            "inputs"_a,
            "Per layer weight_ih (GH x I_l), weight_hh (GH x H), bias_ih and bias_hh (GH), and "
            "the constant input u (I).");
    bind_system_methods<System>(cls);
}

}  // namespace

void bind_fixedpoints(py::module_& m) {
    // Types are module-local: the portable and the AVX2 builds of this module bind the same
    // C++ types, and both may be loaded in one process.
    const auto local = py::module_local();
    py::register_local_exception_translator([](std::exception_ptr failure) {
        try {
            if (failure) std::rethrow_exception(failure);
        } catch (const rnndyn::Interrupted&) {
            if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
        }
    });
    using ClosedLoop = rnndyn::ClosedLoopSystem<Scalar>;
    py::class_<ClosedLoop> closed_loop(
        m, "ClosedLoopSystem", local,
        "F(x) = -x + W_c φ(x) + c: an ESN's closed loop at a constant input.");
    closed_loop.def(py::init([](const ConstMatrix& weights, const ConstVector& offset,
                                const std::string& activation, const ConstMatrix& feedback,
                                const ConstMatrix& readout, const ConstMatrix& recurrent) {
                        return ClosedLoop(weights, offset, rnndyn::activation_from_name(activation),
                                          feedback, readout, recurrent);
                    }),
                    "weights"_a, "offset"_a, "activation"_a, "feedback"_a, "readout"_a,
                    "recurrent"_a = Matrix(0, 0),
                    "W_c (N x N), c (N), activation, and the factors W_fb (N x O), W_o (O x N) "
                    "of its rank-O part (each N x 0 / 0 x N for none); W_r = W_c - W_fb W_o "
                    "(N x N, or 0 x 0 for none) makes the products sparse where it is, and "
                    "reads it as floats where it is dense and its entries are floats.");
    closed_loop.def_property_readonly("sparse", &ClosedLoop::sparse,
                                      "Whether W_c's products go through W_r's nonzeros.");
    closed_loop.def_property_readonly(
        "compact", &ClosedLoop::compact,
        "Whether W_c's products read W_r as floats (dense, its entries floats) plus W_fb W_o.");
    bind_system_methods<ClosedLoop>(closed_loop);
    using Discrete = rnndyn::DiscreteSystem<Scalar>;
    py::class_<Discrete> discrete(
        m, "DiscreteSystem", local,
        "G(h) = φ(W h + c) - h: a discrete-time RNN's fixed-point residual.");
    discrete.def(py::init([](const ConstMatrix& weights, const ConstVector& offset,
                             const std::string& activation) {
                     return Discrete(weights, offset, rnndyn::activation_from_name(activation));
                 }),
                 "weights"_a, "offset"_a, "activation"_a);
    bind_system_methods<Discrete>(discrete);
    bind_gated<rnndyn::GRUCell<Scalar>>(
        m, "GRUSystem", "G(s) = f(s, u) - s for a stack of GRU layers (s: their h, stacked).");
    bind_gated<rnndyn::LSTMCell<Scalar>>(
        m, "LSTMSystem",
        "G(s) = f(s, u) - s for a stack of LSTM layers (s: each layer's (h, c), stacked).");
    bind_gated<rnndyn::RNNCell<Scalar, rnndyn::Activation::Tanh>>(
        m, "RNNTanhSystem",
        "G(s) = f(s, u) - s for a stack of tanh RNN layers (s: their h, stacked).");
    bind_gated<rnndyn::RNNCell<Scalar, rnndyn::Activation::Relu>>(
        m, "RNNReluSystem",
        "G(s) = f(s, u) - s for a stack of ReLU RNN layers (s: their h, stacked).");
}
