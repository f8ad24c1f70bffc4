// Bindings for options.hpp: the minimisation settings, and the methods and stop reasons from
// their C++ tables, so that Python reads the names and defaults instead of repeating them.
#include <string>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <rnndyn/options.hpp>

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

// A public name as a Python identifier ("trust-ncg" -> "trust_ncg").
std::string identifier(std::string name) {
    for (char& c : name)
        if (c == '-') c = '_';
    return name;
}

// The `name` of each entry of one of options.hpp's tables, in its order.
template <class Table>
std::vector<std::string> names_of(const Table& table) {
    std::vector<std::string> names;
    for (const auto& entry : table) names.emplace_back(entry.name);
    return names;
}

void bind_minimize_options(py::module_& m, const py::module_local& local) {
    using Options = rnndyn::MinimizeOptions;
    py::class_<Options>(m, "MinimizeOptions", local, "Settings of the q-minimisers.")
        .def(py::init<>())
        .def_readwrite("tol_q", &Options::tol_q)
        .def_readwrite("tol_grad", &Options::tol_grad)
        .def_readwrite("tol_step", &Options::tol_step)
        .def_readwrite("max_iter", &Options::max_iter)
        .def_readwrite("max_inner", &Options::max_inner)
        .def_readwrite("exact_hessian", &Options::exact_hessian)
        .def_readwrite("initial_radius", &Options::initial_radius)
        .def_readwrite("learning_rate", &Options::learning_rate)
        .def_readwrite("max_krylov", &Options::max_krylov)
        .def_readwrite("newton_iter", &Options::newton_iter)
        .def_readwrite("cluster_q", &Options::cluster_q)
        .def_readwrite("cluster_radius", &Options::cluster_radius);
}

void bind_methods(py::module_& m, const py::module_local& local) {
    py::enum_<rnndyn::Method> method(m, "Method", local,
                                     "The minimisation methods (their public names: "
                                     "method_names()).");
    for (const rnndyn::MethodInfo& info : rnndyn::kMethods)
        method.value(identifier(info.name).c_str(), info.method);
    m.def(
        "method_names", [] { return names_of(rnndyn::kMethods); },
        "The public names of the methods, in the order of Method.");
    m.def(
        "default_max_iter",
        [](const std::string& name) {
            return rnndyn::method_info(rnndyn::method_from_name(name)).default_max_iter;
        },
        "method"_a, "Iterations per state when none are given; ValueError for an unknown name.");
}

void bind_stop_reasons(py::module_& m, const py::module_local& local) {
    py::enum_<rnndyn::StopReason> reason(
        m, "StopReason", local,
        "Why the minimisation of a state ended; minimize's codes are its values.");
    for (const rnndyn::StopReasonInfo& info : rnndyn::kStopReasons)
        reason.value(info.name, info.reason, info.meaning);
    m.def(
        "stop_reason_names", [] { return names_of(rnndyn::kStopReasons); },
        "The names of the stop reasons, indexed by their codes.");
}

}  // namespace

void bind_options(py::module_& m) {
    // module-local, as in bind_fixedpoints(): both builds of the module bind these types
    const py::module_local local;
    bind_minimize_options(m, local);
    bind_methods(m, local);
    bind_stop_reasons(m, local);
}
