// A minimal test harness: TEST(name) registers a function, CHECK* macros count failures and
// say where, and test_main.cpp runs everything registered (no GoogleTest: README: Development).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

namespace check {

struct Test {
    const char* name;
    void (*run)();
};

inline std::vector<Test>& registry() {
    static std::vector<Test> tests;
    return tests;
}

inline int& failures() {
    static int count = 0;
    return count;
}

// What the checks are looking at (a case of a parametrised test), printed with each failure.
inline std::vector<std::string>& contexts() {
    static std::vector<std::string> stack;
    return stack;
}

struct Context {
    explicit Context(std::string what) { contexts().push_back(std::move(what)); }
    ~Context() { contexts().pop_back(); }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
};

inline void fail(const char* file, int line, const std::string& what) {
    ++failures();
    std::fprintf(stderr, "%s:%d: FAILED %s", file, line, what.c_str());
    for (const std::string& context : contexts()) std::fprintf(stderr, " [%s]", context.c_str());
    std::fprintf(stderr, "\n");
}

struct Register {
    Register(const char* name, void (*run)()) { registry().push_back({name, run}); }
};

// max |actual - expected| over the entries, relative to max(1, max |expected|); infinite if the
// shapes differ or anything is NaN.
template <class A, class B>
double relative_difference(const Eigen::DenseBase<A>& actual, const Eigen::DenseBase<B>& expected) {
    if (actual.rows() != expected.rows() || actual.cols() != expected.cols()) return INFINITY;
    if (actual.size() == 0) return 0;
    const auto a = actual.derived().template cast<double>().array();
    const auto b = expected.derived().template cast<double>().array();
    const double difference = (a - b).abs().maxCoeff();
    const double scale = std::max(1.0, b.abs().maxCoeff());
    return std::isnan(difference) ? INFINITY : difference / scale;
}

inline double relative_difference(double actual, double expected) {
    const double difference = std::abs(actual - expected);
    return std::isnan(difference) ? INFINITY : difference / std::max(1.0, std::abs(expected));
}

inline std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", value);
    return text;
}

}  // namespace check

#define TEST(name)                                                    \
    static void name();                                               \
    static const ::check::Register name##_registration(#name, &name); \
    static void name()

#define CHECK(condition)                                                              \
    do {                                                                              \
        if (!(condition)) ::check::fail(__FILE__, __LINE__, "CHECK(" #condition ")"); \
    } while (false)

// Scalars or Eigen arrays agree to `tolerance`, relative to max(1, |expected|).
#define CHECK_CLOSE(actual, expected, tolerance)                                            \
    do {                                                                                    \
        const double difference_ = ::check::relative_difference((actual), (expected));      \
        if (!(difference_ <= (tolerance)))                                                  \
            ::check::fail(__FILE__, __LINE__,                                               \
                          "CHECK_CLOSE(" #actual ", " #expected "): relative difference " + \
                              ::check::number(difference_) + " > " #tolerance);             \
    } while (false)

// `statement` throws `exception` (and nothing else).
#define CHECK_THROWS(statement, exception)                                                        \
    do {                                                                                          \
        bool thrown_ = false;                                                                     \
        try {                                                                                     \
            statement;                                                                            \
        } catch (const exception&) {                                                              \
            thrown_ = true;                                                                       \
        } catch (...) {                                                                           \
        }                                                                                         \
        if (!thrown_) ::check::fail(__FILE__, __LINE__, #statement " did not throw " #exception); \
    } while (false)
