// The compiled modules rnndyn._core_portable and rnndyn._core_avx2 (the same sources built for
// two instruction sets; rnndyn/_core.py picks one at import). Each area binds itself; this
// file only calls them and says what the CPU offers.
#include <pybind11/pybind11.h>

#include "rnndyn/packed_matrix.hpp"

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <intrin.h>  // __cpuid, __cpuidex, _xgetbv
#endif

namespace py = pybind11;

void bind_network(py::module_& m);
void bind_options(py::module_& m);
void bind_fixedpoints(py::module_& m);
void bind_lyapunov(py::module_& m);

namespace {

// Whether this CPU (and its OS) runs AVX2 and FMA instructions. False off x86, where no AVX2
// module is built (e.g. Apple arm64, Linux aarch64).
bool cpu_has_avx2_fma() {
#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
    // MSVC has no __builtin_cpu_supports: ask CPUID, and XGETBV whether the OS saves the YMM
    // registers on a context switch (without that, AVX instructions fault).
    int info[4];
    __cpuid(info, 0);
    if (info[0] < 7) return false;
    __cpuid(info, 1);
    const bool fma = (info[2] & (1 << 12)) != 0;
    const bool osxsave = (info[2] & (1 << 27)) != 0;
    const bool avx = (info[2] & (1 << 28)) != 0;
    if (!fma || !osxsave || !avx || (_xgetbv(0) & 0x6) != 0x6) return false;
    __cpuidex(info, 7, 0);
    return (info[1] & (1 << 5)) != 0;  // AVX2
#elif (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

// Switches packed_matrix.hpp's AVX-512 kernels on (where built and the CPU has AVX-512F) or
// off; returns whether they now run.
bool set_avx512_kernels(bool on) {
#if defined(RNNDYN_AVX512_KERNELS)
    const bool usable = on && rnndyn::detail::cpu_has_avx512f();
    rnndyn::detail::avx512_kernels().store(usable);
    return usable;
#else
    (void)on;
    return false;
#endif
}

}  // namespace

PYBIND11_MODULE(RNNDYN_MODULE, m) {
    m.doc() = "rnndyn's C++ core (private: use the rnndyn package).";
// MSVC's /arch:AVX2 implies FMA (as Eigen assumes) but defines no __FMA__
#if defined(__AVX2__) && (defined(__FMA__) || defined(_MSC_VER))
    m.attr("instruction_set") = "avx2";
#else
    m.attr("instruction_set") = "portable";
#endif
    m.def("cpu_has_avx2_fma", &cpu_has_avx2_fma,
          "Whether this CPU runs AVX2 and FMA (the _core_avx2 build).");
    m.def("set_avx512_kernels", &set_avx512_kernels, py::arg("on"),
          "Whether the AVX2 build's products take its AVX-512 kernels (where the CPU has "
          "AVX-512F; the same numbers bit for bit); returns whether they now do.");
    bind_network(m);
    bind_options(m);
    bind_fixedpoints(m);
    bind_lyapunov(m);
}
