// What a caller chooses and what it is told back: the minimisation methods (with their public
// names and default budgets), the settings of a minimisation and why each state's ended. These
// are the one home of those names and numbers: the bindings expose them to Python.
#pragma once

#include <array>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

namespace rnndyn {

// Why the minimisation of one state ended (the numbers cross into Python as its codes).
enum class StopReason : int {
    QTolerance = 0,
    GradientTolerance = 1,
    StepTolerance = 2,
    IterationLimit = 3,
    NonFinite = 4,
};

struct StopReasonInfo {
    StopReason reason;
    const char* name;  // Python's name of the reason
    const char* meaning;
};

// In the enum's order, so that kStopReasons[code] describes code.
inline constexpr std::array<StopReasonInfo, 5> kStopReasons{{
    {StopReason::QTolerance, "q_tolerance", "q <= tol_q: a fixed point"},
    {StopReason::GradientTolerance, "gradient_tolerance",
     "|∇q| <= tol_grad: a local minimum of q (a slow point if q > 0)"},
    {StopReason::StepTolerance, "step_tolerance",
     "no step of relative size >= tol_step lowers q any more"},
    {StopReason::IterationLimit, "iteration_limit", "max_iter reached"},
    {StopReason::NonFinite, "non_finite", "q or ∇q became NaN or inf"},
}};

enum class Method : int { Newton, TrustNcg, LevenbergMarquardt, ConjugateGradient, Adam };

struct MethodInfo {
    Method method;
    const char* name;      // the public name, as Python's `method=` takes it
    int default_max_iter;  // iterations per state when the caller names none
};

// In the enum's order.
inline constexpr std::array<MethodInfo, 5> kMethods{{
    {Method::Newton, "newton", 500},
    {Method::TrustNcg, "trust-ncg", 500},
    {Method::LevenbergMarquardt, "lm", 300},
    {Method::ConjugateGradient, "cg", 20000},
    {Method::Adam, "adam", 5000},
}};

inline const MethodInfo& method_info(Method method) { return kMethods[std::size_t(method)]; }

// "'newton', 'trust-ncg', 'lm', 'cg' or 'adam'": the names of kMethods, for error messages.
inline std::string method_names_listed() {
    std::string listed;
    for (std::size_t k = 0; k < kMethods.size(); ++k) {
        if (k > 0) listed += k + 1 < kMethods.size() ? ", " : " or ";
        listed += std::string("'") + kMethods[k].name + "'";
    }
    return listed;
}

inline Method method_from_name(const std::string& name) {
    for (const MethodInfo& info : kMethods)
        if (name == info.name) return info.method;
    throw std::invalid_argument("method must be " + method_names_listed() + ", got '" + name + "'");
}

// Thrown when MinimizeOptions::interrupted says to stop (Ctrl-C in Python).
struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("minimisation interrupted") {}
};

struct MinimizeOptions {
    double tol_q = 1e-20;
    double tol_grad = 1e-14;
    double tol_step = 1e-14;  // relative to 1 + |x|
    int max_iter = 500;
    int max_inner = 250;          // trust-ncg: CG iterations per step; cg: line-search trials
    bool exact_hessian = true;    // trust-ncg: exact Hessian products, else Gauss-Newton
    double initial_radius = 1.0;  // trust-ncg and newton: trust_region.hpp
    double learning_rate = 1.0;   // adam
    int max_krylov = 100;         // newton: GMRES iterations per step
    int newton_iter = 30;  // newton: steps before the fallback (newton_strategy.hpp) takes over
    // newton, N <= 8192: states with q below `cluster_q` finish with a dense LU preconditioner
    // shared by those within `cluster_radius` (1 + |x|) of each other (0 turns this off)
    double cluster_q = 1e-2;
    double cluster_radius = 0.1;
    // Asked once per iteration of every minimiser, from every thread; true ends the whole
    // minimisation by Interrupted. Empty: never.
    std::function<bool()> interrupted;

    void poll() const {
        if (interrupted && interrupted()) throw Interrupted();
    }

    void check() const {
        auto require = [](bool ok, const char* what) {
            if (!ok) throw std::invalid_argument(what);
        };
        require(tol_q >= 0 && std::isfinite(tol_q), "tol_q must be finite and >= 0");
        require(tol_grad >= 0 && std::isfinite(tol_grad), "tol_grad must be finite and >= 0");
        require(tol_step >= 0 && std::isfinite(tol_step), "tol_step must be finite and >= 0");
        require(max_iter >= 0, "max_iter must be >= 0");
        require(max_inner >= 1, "max_inner must be >= 1");
        require(max_krylov >= 1, "max_krylov must be >= 1");
        require(newton_iter >= 0, "newton_iter must be >= 0");
        require(cluster_q >= 0 && std::isfinite(cluster_q), "cluster_q must be finite and >= 0");
        require(cluster_radius >= 0 && std::isfinite(cluster_radius),
                "cluster_radius must be finite and >= 0");
        require(initial_radius > 0 && std::isfinite(initial_radius),
                "initial_radius must be finite and > 0");
        require(learning_rate > 0 && std::isfinite(learning_rate),
                "learning_rate must be finite and > 0");
    }
};

}  // namespace rnndyn
