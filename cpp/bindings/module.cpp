// The compiled modules rnndyn._core_portable and rnndyn._core_avx2 (the same sources built for
// two instruction sets; rnndyn/_core.py picks one at import). Each area binds itself; this
// file only calls them and says what the CPU offers.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_network(py::module_& m);
void bind_fixedpoints(py::module_& m);
void bind_lyapunov(py::module_& m);

namespace {

// Whether this CPU (and its OS) runs AVX2 and FMA instructions.
bool cpu_has_avx2_fma() {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

}  // namespace

PYBIND11_MODULE(RNNDYN_MODULE, m) {
    m.doc() = "rnndyn's C++ core (private: use the rnndyn package).";
#if defined(__AVX2__) && defined(__FMA__)
    m.attr("instruction_set") = "avx2";
#else
    m.attr("instruction_set") = "portable";
#endif
    m.def("cpu_has_avx2_fma", &cpu_has_avx2_fma,
          "Whether this CPU runs AVX2 and FMA (the _core_avx2 build).");
    bind_network(m);
    bind_fixedpoints(m);
    bind_lyapunov(m);
}
