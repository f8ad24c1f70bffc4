// The compiled module rnndyn._core: each area binds itself; this file only calls them.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_network(py::module_& m);
void bind_fixedpoints(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "rnndyn's C++ core (private: use the rnndyn package).";
    bind_network(m);
    bind_fixedpoints(m);
}
