// The fixed-point minimisers (minimizers.hpp) on decoupled systems whose fixed points are known
// per unit: every method reaches q <= 1e-20 at one of them, the results are the same, bit for
// bit, on one thread or two, and bad arguments throw.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include <Eigen/QR>

#include <rnndyn/minimizers.hpp>

#include "check.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;
using fixtures::Vector;
using rnndyn::Activation;

// Per unit gains w > 1: each unit has the fixed points 0 and ±x*(w), and F has no other zeros.
const Vector kGains = (Vector(8) << 2, 3, 2.5, 1.5, 2, 3, 2.5, 1.5).finished();
constexpr Index kStarts = 40;  // two blocks of rows (block.hpp: kBlockRows = 32)

// x* > 0 with x* = w tanh(x*): the closed loop -x + w tanh(x) = 0 (Newton from x = w).
double closed_loop_root(double w) {
    double x = w;
    for (int i = 0; i < 50; ++i) {
        const double t = std::tanh(x);
        x -= (w * t - x) / (w * (1 - t * t) - 1);
    }
    return x;
}

// h* > 0 with h* = tanh(w h*): the discrete map's G(h) = tanh(w h) - h = 0 (Newton from 1).
double discrete_root(double w) {
    double h = 1;
    for (int i = 0; i < 50; ++i) {
        const double t = std::tanh(w * h);
        h -= (t - h) / (w * (1 - t * t) - 1);
    }
    return h;
}

struct Problem {
    Vector roots;  // x* of each unit: its fixed points are -x*, 0 and x*
    Matrix starts;

    // The fixed point nearest to x, unit by unit.
    Vector nearest_fixed_point(const Vector& x) const {
        Vector point(x.size());
        for (Index i = 0; i < x.size(); ++i) {
            const double r = roots(i);
            point(i) = std::abs(x(i)) < r / 2 ? 0 : x(i) > 0 ? r : -r;
        }
        return point;
    }
};

// Each unit of each start picks -x*, 0 or x* at random and moves off it by up to `spread`
// (less than the distance to the slow points where F' = 0, so that q has no minimum but the
// fixed points nearby; a method's step may still land in another unit's basin).
template <class Root>
Problem make_problem(Root&& root, double spread, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> pick(-1, 1);
    std::uniform_real_distribution<double> offset(-spread, spread);
    Problem problem{Vector(kGains.size()), Matrix(kStarts, kGains.size())};
    for (Index i = 0; i < kGains.size(); ++i) problem.roots(i) = root(kGains(i));
    for (Index k = 0; k < kStarts; ++k)
        for (Index i = 0; i < kGains.size(); ++i)
            problem.starts(k, i) = pick(rng) * problem.roots(i) + offset(rng);
    return problem;
}

void check_same(const rnndyn::MinimizeResult<double>& a, const rnndyn::MinimizeResult<double>& b) {
    CHECK(a.points == b.points);
    CHECK(a.q == b.q);
    CHECK(a.gradient_norm == b.gradient_norm);
    CHECK(a.iterations == b.iterations);
    CHECK(a.reason == b.reason);
}

template <class System>
void check_finds_fixed_points(const System& system, const Problem& problem, const char* method,
                              const rnndyn::MinimizeOptions& options = {}) {
    check::Context context(method);
    const auto one = rnndyn::minimize<double>(system, problem.starts,
                                              rnndyn::method_from_name(method), options, 1);
    for (Index k = 0; k < kStarts; ++k) {
        check::Context row("start " + std::to_string(k));
        CHECK(one.reason(k) == int(rnndyn::StopReason::QTolerance));
        CHECK(one.q(k) <= 1e-20);
        CHECK(one.iterations(k) >= 1);
        const Vector point = one.points.row(k).transpose();
        CHECK_CLOSE(point, problem.nearest_fixed_point(point), 1e-9);
    }
    const auto two = rnndyn::minimize<double>(system, problem.starts,
                                              rnndyn::method_from_name(method), options, 2);
    check_same(one, two);
}

rnndyn::ClosedLoopSystem<double> decoupled_closed_loop(bool preconditioned) {
    const Matrix W = kGains.asDiagonal();
    if (!preconditioned) return {W, Vector::Zero(kGains.size()), Activation::Tanh};
    // W_fb W_o = w_0 e_0 e_0ᵀ, a rank-one part of W_c, gives the preconditioner something to do
    Matrix feedback = Matrix::Zero(kGains.size(), 1), readout = Matrix::Zero(1, kGains.size());
    feedback(0, 0) = 1;
    readout(0, 0) = kGains(0);
    return {W, Vector::Zero(kGains.size()), Activation::Tanh, feedback, readout};
}

}  // namespace

TEST(minimize_closed_loop_reaches_known_fixed_points) {
    const Problem problem = make_problem(closed_loop_root, 0.3, 60);
    const auto system = decoupled_closed_loop(false);
    for (const char* method : {"newton", "lm", "trust-ncg", "cg"})
        check_finds_fixed_points(system, problem, method);
}

TEST(minimize_closed_loop_with_preconditioner) {
    const Problem problem = make_problem(closed_loop_root, 0.3, 61);
    const auto system = decoupled_closed_loop(true);
    for (const char* method : {"newton", "trust-ncg"})
        check_finds_fixed_points(system, problem, method);
    rnndyn::MinimizeOptions gauss_newton;
    gauss_newton.exact_hessian = false;
    check_finds_fixed_points(system, problem, "trust-ncg", gauss_newton);
}

// Newton with one step before the fallback: Levenberg-Marquardt finishes (newton_strategy.hpp).
TEST(minimize_newton_hands_leftovers_to_levenberg_marquardt) {
    const Problem problem = make_problem(closed_loop_root, 0.3, 62);
    rnndyn::MinimizeOptions options;
    options.newton_iter = 1;
    check_finds_fixed_points(decoupled_closed_loop(false), problem, "newton", options);
    options.cluster_q = 0;  // no shared preconditioner: the leftovers go straight to LM
    check_finds_fixed_points(decoupled_closed_loop(false), problem, "newton", options);
}

TEST(minimize_discrete_reaches_known_fixed_points) {
    const Problem problem = make_problem(discrete_root, 0.2, 63);
    const rnndyn::DiscreteSystem<double> system(Matrix(kGains.asDiagonal()),
                                                Vector::Zero(kGains.size()), Activation::Tanh);
    for (const char* method : {"newton", "lm", "trust-ncg"})
        check_finds_fixed_points(system, problem, method);
}

// Adam is not expected to reach 1e-20 in its iterations; it must lower q and agree across
// threads.
TEST(minimize_adam_lowers_q) {
    const Problem problem = make_problem(closed_loop_root, 0.3, 64);
    const auto system = decoupled_closed_loop(false);
    rnndyn::MinimizeOptions options;
    options.max_iter = 200;
    options.learning_rate = 0.05;
    const auto one =
        rnndyn::minimize<double>(system, problem.starts, rnndyn::Method::Adam, options, 1);
    const Vector q_start = rnndyn::half_squared_norms(system.velocity(problem.starts));
    for (Index k = 0; k < kStarts; ++k) CHECK(one.q(k) < q_start(k));
    check_same(one,
               rnndyn::minimize<double>(system, problem.starts, rnndyn::Method::Adam, options, 2));
}

TEST(minimize_rejects_bad_starts_and_jobs) {
    const rnndyn::ClosedLoopSystem<double> system(Matrix::Identity(4, 4), Vector::Zero(4),
                                                  Activation::Tanh);
    const rnndyn::MinimizeOptions options;
    CHECK_THROWS(
        rnndyn::minimize<double>(system, Matrix::Zero(3, 5), rnndyn::Method::Newton, options, 1),
        std::invalid_argument);
    CHECK_THROWS(
        rnndyn::minimize<double>(system, Matrix::Zero(3, 4), rnndyn::Method::Newton, options, 0),
        std::invalid_argument);
    rnndyn::MinimizeOptions negative;
    negative.tol_q = -1;
    CHECK_THROWS(
        rnndyn::minimize<double>(system, Matrix::Zero(3, 4), rnndyn::Method::Newton, negative, 1),
        std::invalid_argument);
    // no starts: an empty result, not an error
    const auto none =
        rnndyn::minimize<double>(system, Matrix::Zero(0, 4), rnndyn::Method::Newton, options, 2);
    CHECK(none.points.rows() == 0 && none.q.size() == 0);
}

// Newton's first pass runs in float (newton_strategy.hpp: coarse_first_pass): a start it does not
// move comes back exactly, not rounded to float, and the second pass still reaches 1e-20 from
// where the float pass stopped (checked above); the float copy of a system is its rounding.
TEST(newton_float_first_pass_keeps_unmoved_starts_exact) {
    const Problem problem = make_problem(closed_loop_root, 0.3, 65);
    const auto system = decoupled_closed_loop(true);
    rnndyn::MinimizeOptions options;
    options.max_iter = 0;
    const auto result =
        rnndyn::minimize<double>(system, problem.starts, rnndyn::Method::Newton, options, 1);
    CHECK((result.points.array() == problem.starts.array()).all());
    CHECK_CLOSE(result.q, rnndyn::half_squared_norms(system.velocity(problem.starts)), 1e-15);
    // the float copy: rounded weights, and its preconditioner kept
    const auto coarse = system.cast<float>();
    const rnndyn::RowMatrix<float> rounded = problem.starts.cast<float>();
    CHECK_CLOSE(coarse.velocity(rounded), system.velocity(problem.starts), 1e-6);
    Matrix gradient;
    rnndyn::RowMatrix<float> coarse_gradient;
    const auto lin = system.linearize(problem.starts, system.velocity(problem.starts), gradient);
    const auto coarse_lin = coarse.linearize(rounded, coarse.velocity(rounded), coarse_gradient);
    CHECK_CLOSE(coarse.precondition(coarse_lin, rounded), system.precondition(lin, problem.starts),
                1e-5);
}

// Units with F(x) = -x + 2 tanh(x) + 0.7: no zero below x = 0.88, only a minimum of |F| at
// x_s = -acosh(√2) (F(x_s) ≈ 0.167), a slow point, and the fixed point near x = 2.68.
constexpr double kSlowOffset = 0.7;
const double kSlowPoint = -std::acosh(std::sqrt(2.0));

rnndyn::ClosedLoopSystem<double> slow_point_system(Index n) {
    return {Matrix(2.0 * Matrix::Identity(n, n)), Vector::Constant(n, kSlowOffset),
            Activation::Tanh};
}

// descends: q falls along the path from inside the slow point's basin, not from beyond the
// maximum of F at x = +0.88 (the path climbs over it), nor towards a point of higher q.
TEST(descends_follows_q_along_the_straight_path) {
    const auto system = slow_point_system(3);
    Matrix points(4, 3);
    points.row(0).setConstant(kSlowPoint);
    points.row(1).setConstant(-1.6);
    points.row(2).setConstant(2.0);
    points.row(3) << -0.5, -1.2, -0.9;
    const Vector q = rnndyn::half_squared_norms(system.velocity(points));
    auto descends_to = [&](Index from, Index to) {
        return rnndyn::detail::descends(system, points.row(from), q(from), points.row(to), q(to));
    };
    CHECK(descends_to(1, 0));
    CHECK(descends_to(3, 0));
    CHECK(!descends_to(2, 0));
    CHECK(!descends_to(0, 1));  // uphill
    CHECK(!descends_to(0, 0));  // q must fall: not to itself
}

// follows: a run takes an earlier run's end where it moves that run's way along its trail, here
// the diagonal from x = -1.6 down towards the slow point; not where it moves the other way, is
// off the trail, or is already below the trail's remaining points.
TEST(follows_takes_a_trail_only_along_it_and_downhill) {
    const Index n = 3;
    const auto system = slow_point_system(n);
    rnndyn::detail::Trail<double> trail;
    for (int k = 0; k < 5; ++k) {
        const Vector x = Vector::Constant(n, -1.6 + 0.1 * k);
        trail.points.push_back(x);
        trail.q.push_back(rnndyn::half_squared_norms(system.velocity(Matrix(x.transpose())))(0));
    }
    trail.end = 0;
    CHECK(trail.q[0] > trail.q[4]);  // the trail goes downhill
    const Vector down = Vector::Constant(n, 0.05), across = (Vector(n) << 1, -1, 0).finished();
    auto follows = [&](const Vector& x, const Vector& step) {
        const Matrix at = x.transpose();
        const double q = rnndyn::half_squared_norms(system.velocity(at))(0);
        return rnndyn::detail::follows(system, at.row(0), q, step, trail);
    };
    const Vector on = Vector::Constant(n, -1.45);
    CHECK(follows(on, down));
    CHECK(follows(on + 0.015 * across, down));          // off by 0.12 of a step: near enough
    CHECK(!follows(on + 0.05 * across, down));          // off by 0.41 of a step
    CHECK(!follows(on, -down));                         // moving back up the trail
    CHECK(!follows(on, down + 0.2 * across));           // moving across it (cosine 0.29)
    CHECK(!follows(Vector::Constant(n, -1.15), down));  // past the trail's last point, lower q
}

// Starts in the slow point's basin: Newton's first pass cannot finish them, so they go on by
// Levenberg-Marquardt in clusters; every one ends at the slow point, the members that took the
// centre's minimum bit for bit (the path to it descends), and the same on one thread or two.
TEST(newton_leftovers_near_each_other_share_their_slow_point) {
    const Index n = 8;
    const auto system = slow_point_system(n);
    std::mt19937_64 rng(66);
    std::uniform_real_distribution<double> offset(-0.35, 0.35);
    Matrix starts(kStarts, n);
    for (Index k = 0; k < kStarts; ++k)
        for (Index i = 0; i < n; ++i) starts(k, i) = kSlowPoint + offset(rng);
    const rnndyn::MinimizeOptions options;
    const auto one = rnndyn::minimize<double>(system, starts, rnndyn::Method::Newton, options, 1);
    int shared = 0;
    for (Index k = 0; k < kStarts; ++k) {
        check::Context row("start " + std::to_string(k));
        CHECK(one.reason(k) == int(rnndyn::StopReason::GradientTolerance) ||
              one.reason(k) == int(rnndyn::StopReason::StepTolerance));
        CHECK_CLOSE(Vector(one.points.row(k).transpose()), Vector::Constant(n, kSlowPoint), 1e-7);
        for (Index other = 0; other < k; ++other)
            shared += one.points.row(k) == one.points.row(other);
    }
    CHECK(shared > 0);
    check_same(one, rnndyn::minimize<double>(system, starts, rnndyn::Method::Newton, options, 2));
}

// A symmetric matrix of chosen eigenvalues on random eigenvectors, and a random right-hand side
// b, drawn in that order from `seed`.
struct Spectral {
    Matrix Q;
    Vector b;

    Spectral(Index n, unsigned seed) {
        std::mt19937_64 rng(seed);
        std::normal_distribution<double> normal;
        Matrix random(n, n);
        for (Index i = 0; i < n; ++i)
            for (Index j = 0; j < n; ++j) random(i, j) = normal(rng);
        Q = Eigen::HouseholderQR<Matrix>(random).householderQ();
        b.resize(n);
        for (Index i = 0; i < n; ++i) b(i) = normal(rng);
    }

    rnndyn::ColMatrix<double> with_spectrum(const Vector& eigenvalues) const {
        return rnndyn::ColMatrix<double>(Q * eigenvalues.asDiagonal() * Q.transpose());
    }
};

// Levenberg-Marquardt's damped model A + λI, factorised in float and finished in double: on a
// well-conditioned A the solution has double's relative residual (1e-12); on one too
// ill-conditioned for float (eigenvalues from 1 down to 1e-12) it falls back to double's
// factorisation, backward stable, unless told not to (Levenberg-Marquardt's exact Hessian
// outside Newton's region); an indefinite A is refused, as double's LLT refuses it.
TEST(levenberg_marquardt_damped_cholesky_in_float_solves_as_double) {
    const Index n = 60;
    const Spectral problem(n, 7);
    const Vector& b = problem.b;
    rnndyn::detail::DampedCholesky<double> cholesky;
    const double damping = 1e-3;
    const auto well = problem.with_spectrum(Vector::LinSpaced(n, 1.0, 100.0));
    CHECK(cholesky.compute(well, damping));
    Matrix damped = well;
    damped.diagonal().array() += damping;
    const Vector x = cholesky.solve(b);
    CHECK((damped * x - b).norm() <= 1e-12 * b.norm());
    CHECK(cholesky.in_float());
    Vector exponents = Vector::LinSpaced(n, 0.0, -12.0);
    const auto ill =
        problem.with_spectrum(exponents.unaryExpr([](double e) { return std::pow(10.0, e); }));
    CHECK(!cholesky.compute(ill, 1e-14, false));  // float's failure taken as the model's own
    CHECK(cholesky.compute(ill, 1e-14));
    Matrix ill_damped = ill;
    ill_damped.diagonal().array() += 1e-14;
    const Vector y = cholesky.solve(b);  // backward stable: |A| = 1, the residual ~ eps |y|
    CHECK((ill_damped * y - b).norm() <= 1e-12 * y.norm());
    CHECK(y.norm() > 1e6 * b.norm());  // it does see the small eigenvalues
    CHECK(!cholesky.in_float());
    Vector indefinite = Vector::LinSpaced(n, 1.0, 100.0);
    indefinite(n / 2) = -1.0;
    CHECK(!cholesky.compute(problem.with_spectrum(indefinite), damping));
}

// Near a slow point J has a few tiny singular values and A = JᵀJ as many tiny eigenvalues:
// float's factor of A + λI is then off by order one along them, and plain refinement
// (x += M⁻¹r) stalls far above what double's own factorisation reaches, which sent the state to
// double. Conjugate gradients preconditioned by that factor resolve the few directions and reach
// double's residual in float; a solve asked for a looser residual (the geodesic acceleration's)
// gets it.
TEST(levenberg_marquardt_damped_cholesky_finishes_by_cg_where_refinement_stalls) {
    const Index n = 100;
    const Spectral problem(n, 11);
    const Vector& b = problem.b;
    Vector eigenvalues = Vector::LinSpaced(n, 1.0, 100.0);
    eigenvalues.head(2) << 3e-6, 1e-5;
    const rnndyn::ColMatrix<double> A = problem.with_spectrum(eigenvalues);
    const double damping = 3e-7;
    Matrix damped = A;
    damped.diagonal().array() += damping;
    auto residual = [&](const Vector& x) { return (damped * x - b).norm() / b.norm(); };
    const double doubles = residual(damped.llt().solve(b));
    const Eigen::LLT<Eigen::MatrixXf> coarse(damped.cast<float>());
    CHECK(coarse.info() == Eigen::Success);
    Vector refined = coarse.solve(b.cast<float>()).cast<double>();
    for (int round = 0; round < 6; ++round)
        refined += coarse.solve(Vector(b - damped * refined).cast<float>()).cast<double>();
    CHECK(residual(refined) > 1e3 * doubles);  // stalled
    rnndyn::detail::DampedCholesky<double> cholesky;
    CHECK(cholesky.compute(A, damping));
    CHECK(residual(cholesky.solve(b)) <= 2 * doubles);
    CHECK(cholesky.in_float());
    CHECK(residual(cholesky.solve(b, 1e-4)) <= 1e-4);
    CHECK(cholesky.in_float());
}
