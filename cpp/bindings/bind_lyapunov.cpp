// Bindings for the tangent dynamics behind Lyapunov exponents: conversion and GIL release only.
#include <string>

#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>

#include <rnndyn/lyapunov.hpp>

namespace py = pybind11;
using namespace pybind11::literals;

void bind_lyapunov(py::module_& m) {
    using Scalar = double;
    m.def(
        "tangent_log_growth",
        [](const rnndyn::ConstMatrixRef<Scalar>& matrix, const rnndyn::ConstVectorRef<Scalar>& leak,
           const std::string& activation, const rnndyn::ConstMatrixRef<Scalar>& rates,
           Eigen::Ref<rnndyn::ColMatrix<Scalar>> Q) {
            return rnndyn::tangent_log_growth<Scalar>(
                matrix, leak, rnndyn::activation_from_name(activation), rates, Q);
        },
        py::call_guard<py::gil_scoped_release>(), "matrix"_a, "leak"_a, "activation"_a, "rates"_a,
        "Q"_a.noconvert(),
        "Advances the tangent vectors Q (N x k, Fortran order, in place) along the steps whose "
        "rates are the rows of `rates` (T x N), re-orthonormalising each step; returns the sums "
        "of log|R_ii| (k). leak = dt / tau (N) for the ESN's Euler map, empty for the RNN.");
}
