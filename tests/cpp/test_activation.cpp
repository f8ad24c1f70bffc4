// φ = tanh on doubles (activation.hpp: a packet at a time) against std::tanh: within 2 ulp over
// twelve decades and both branches' boundary, the special values kept, and an element's result
// the same wherever it sits (a whole vector, a segment, a row of a row-major matrix).
#include <cmath>
#include <limits>
#include <random>

#include <rnndyn/activation.hpp>

#include "check.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;
using fixtures::Vector;

// |a - b| in units in the last place of b.
double ulps(double a, double b) {
    if (a == b) return 0;
    const double spacing = std::nextafter(std::abs(b), INFINITY) - std::abs(b);
    return std::abs(a - b) / spacing;
}

TEST(tanh_of_doubles_is_within_two_ulp) {
    std::mt19937_64 rng(21);
    std::uniform_real_distribution<double> unit(-1, 1);
    Vector x(100003);
    for (Index i = 0; i < x.size(); ++i) x(i) = unit(rng) * std::pow(10.0, 6 * unit(rng));
    const double edge = 0.625;  // where the two branches meet
    x.head(6) << edge, -edge, std::nextafter(edge, 0.0), 1e-300, 30, -800;
    Vector y(x.size());
    rnndyn::apply_activation(rnndyn::Activation::Tanh, x, y);
    double worst = 0;
    for (Index i = 0; i < x.size(); ++i) worst = std::max(worst, ulps(y(i), std::tanh(x(i))));
    CHECK(worst <= 2);

    const double inf = std::numeric_limits<double>::infinity();
    Vector special(3), out(3);
    special << inf, -inf, std::nan("");
    rnndyn::apply_activation(rnndyn::Activation::Tanh, special, out);
    CHECK(out(0) == 1 && out(1) == -1 && std::isnan(out(2)));
}

TEST(tanh_of_an_element_does_not_depend_on_where_it_sits) {
    const Matrix X = fixtures::uniform(3, 11, 22, -3, 3);
    Matrix Y(3, 11);
    rnndyn::apply_activation(rnndyn::Activation::Tanh, X, Y);
    for (Index r = 0; r < X.rows(); ++r) {
        for (Index start = 0; start < 4; ++start) {
            const Vector part = X.row(r).segment(start, 7).transpose();
            Vector out(7);
            rnndyn::apply_activation(rnndyn::Activation::Tanh, part, out);
            CHECK((out.transpose().array() == Y.row(r).segment(start, 7).array()).all());
        }
    }
}

}  // namespace
