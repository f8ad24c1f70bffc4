// Krylov-Schur (krylov_schur.hpp) against Eigen's dense eigensolver on small systems: the same
// leading eigenvalues, eigenvectors with small residuals, for both systems, both growth keys,
// transposed and scaled operators; the same results for any n_jobs; failures reported; an
// interruption asked for stops it.
#include <algorithm>
#include <atomic>
#include <complex>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>
#include <rnndyn/krylov_schur.hpp>

#include "check.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;
using fixtures::Vector;
using rnndyn::Growth;
using rnndyn::KrylovSchurOptions;
using Complex = std::complex<double>;

constexpr Index kN = 90, kStates = 5;

// W with entries of variance g² / N: a disk of eigenvalues of radius about g.
Matrix random_weights(std::uint64_t seed, double g) {
    return fixtures::uniform(kN, kN, seed) * (g * std::sqrt(3.0 / double(kN)));
}

// A closed loop at g = 1.5 without offset.
rnndyn::ClosedLoopSystem<double> closed_loop(std::uint64_t seed) {
    return {random_weights(seed, 1.5), Vector::Zero(kN), rnndyn::Activation::Tanh};
}

double krylov_growth(Growth growth, Complex z) {
    return rnndyn::krylov_detail::growth_of(growth, z);
}

// The dense operator diag(s) J + σ I (or its transpose) at row `row`.
template <class System>
Matrix dense_operator(const System& system, const Matrix& X, Index row, const Vector& scale,
                      const KrylovSchurOptions& o) {
    Matrix A = system.jacobian(system.first_order(X), row);
    if (scale.size()) A = scale.asDiagonal() * A;
    if (o.transpose) A.transposeInPlace();
    A.diagonal().array() += o.shift;
    return A;
}

// Each point: converged, its k values among the dense ones with the same growths as the k
// largest, unit vectors with A x = θ x.
template <class System>
void check_against_dense(const System& system, const Matrix& X, const Vector& scale,
                         const KrylovSchurOptions& o) {
    const rnndyn::LeadingEigenpairs found = rnndyn::least_stable(system, X, scale, o, 2);
    auto growth = [&](Complex z) { return krylov_growth(o.growth, z); };
    for (Index p = 0; p < X.rows(); ++p) {
        check::Context context("state " + std::to_string(p));
        CHECK(found.converged[p]);
        const Matrix A = dense_operator(system, X, p, scale, o);
        const Eigen::VectorXcd exact = Eigen::EigenSolver<Matrix>(A, false).eigenvalues();
        std::vector<double> expected(exact.size()), actual(o.k);
        for (Index i = 0; i < exact.size(); ++i) expected[i] = growth(exact(i));
        std::sort(expected.rbegin(), expected.rend());
        const Eigen::Map<const rnndyn::RowMatrix<Complex>> vectors(found.vectors.row(p).data(), kN,
                                                                   o.k);
        for (Index j = 0; j < o.k; ++j) {
            const Complex value = found.values(p, j);
            actual[j] = growth(value);
            CHECK((exact.array() - value).abs().minCoeff() < 1e-8);
            const Eigen::VectorXcd x = vectors.col(j);
            CHECK_CLOSE(x.norm(), 1.0, 1e-12);
            const double residual = (A.cast<Complex>() * x - value * x).norm();
            CHECK(residual < 1e-8 * std::max(1.0, std::abs(value)));
        }
        std::sort(actual.rbegin(), actual.rend());
        for (Index j = 0; j < o.k; ++j) CHECK_CLOSE(actual[j], expected[j], 1e-9);
    }
}

}  // namespace

TEST(krylov_schur_matches_the_dense_spectrum_of_a_closed_loop) {
    const rnndyn::ClosedLoopSystem<double> system = closed_loop(51);
    const Matrix X = fixtures::uniform(kStates, kN, 52, -1.5, 1.5);
    const Vector scale = fixtures::uniform_vector(kN, 53, 0.5, 1.5);
    for (bool transpose : {false, true}) {
        for (bool scaled : {false, true}) {
            const std::string operator_name = transpose ? "Jᵀ" : "J";
            check::Context context(operator_name + (scaled ? " scaled" : ""));
            KrylovSchurOptions o;
            o.k = 6;
            o.transpose = transpose;
            check_against_dense(system, X, scaled ? scale : Vector(), o);
        }
    }
}

TEST(krylov_schur_finds_the_largest_multipliers_of_a_map) {
    const rnndyn::DiscreteSystem<double> system(
        random_weights(54, 1.3), fixtures::uniform_vector(kN, 55), rnndyn::Activation::Tanh);
    const Matrix X = fixtures::uniform(kStates, kN, 56);
    for (bool transpose : {false, true}) {
        check::Context context(transpose ? "Jᵀ" : "J");
        KrylovSchurOptions o;
        o.k = 5;
        o.transpose = transpose;
        o.growth = Growth::Modulus;
        o.shift = 1;
        check_against_dense(system, X, Vector(), o);
    }
}

TEST(krylov_schur_results_do_not_depend_on_threads) {
    const rnndyn::ClosedLoopSystem<double> system = closed_loop(57);
    const Matrix X = fixtures::uniform(19, kN, 58, -1.5, 1.5);
    KrylovSchurOptions o;
    o.k = 4;
    const rnndyn::LeadingEigenpairs one = rnndyn::least_stable(system, X, Vector(), o, 1);
    const rnndyn::LeadingEigenpairs two = rnndyn::least_stable(system, X, Vector(), o, 2);
    CHECK(one.converged == two.converged);
    CHECK((one.values.array() == two.values.array()).all());
    CHECK((one.vectors.array() == two.vectors.array()).all());
}

// A system whose rows are independent (RowsIndependent) runs its points in lanes that take
// points as others end: a point's numbers are then the same alone, among others, and for any
// number of threads (dense, sparse and map systems).
template <class System>
void check_alone_as_among_others(const System& system, const Matrix& X, KrylovSchurOptions o) {
    static_assert(rnndyn::RowsIndependent<System>::value);
    o.k = 4;
    const rnndyn::LeadingEigenpairs all = rnndyn::least_stable(system, X, Vector(), o, 3);
    for (Index p = 0; p < X.rows(); ++p) {
        check::Context context("state " + std::to_string(p));
        const Matrix x = X.row(p);
        const rnndyn::LeadingEigenpairs one = rnndyn::least_stable(system, x, Vector(), o, 1);
        CHECK(all.converged[p] && one.converged[0]);
        CHECK((all.values.row(p).array() == one.values.row(0).array()).all());
        CHECK((all.vectors.row(p).array() == one.vectors.row(0).array()).all());
    }
}

TEST(krylov_schur_gives_a_point_the_same_numbers_alone_or_among_others) {
    const Matrix X = fixtures::uniform(11, kN, 61, -1.5, 1.5);
    check_alone_as_among_others(closed_loop(62), X, {});
    Matrix sparse = random_weights(65, 1.5);
    sparse = (fixtures::uniform(kN, kN, 66).array().abs() < 0.1).select(sparse, 0.0);
    const rnndyn::ClosedLoopSystem<double> through_nonzeros(
        sparse, Vector::Zero(kN), rnndyn::Activation::Tanh, Matrix(), Matrix(), sparse);
    check_alone_as_among_others(through_nonzeros, X, {});
    KrylovSchurOptions map;
    map.growth = Growth::Modulus;
    map.shift = 1;
    map.transpose = true;
    check_alone_as_among_others(
        rnndyn::DiscreteSystem<double>(random_weights(67, 1.3), fixtures::uniform_vector(kN, 68),
                                       rnndyn::Activation::Tanh),
        X, map);
}

TEST(krylov_schur_takes_a_count_per_point) {
    // a point that wants 3 of k = 6 runs as it would with k = 3; the rest of its row is zero
    const rnndyn::ClosedLoopSystem<double> system = closed_loop(59);
    const Matrix X = fixtures::uniform(4, kN, 60, -1.5, 1.5);
    KrylovSchurOptions o;
    o.k = 6;
    const rnndyn::LeadingEigenpairs mixed =
        rnndyn::least_stable(system, X, Vector(), o, 2, {3, 6, 3, 3});
    o.k = 3;
    const rnndyn::LeadingEigenpairs three = rnndyn::least_stable(system, X, Vector(), o, 2);
    for (Index p : {0, 2, 3}) {
        CHECK(mixed.converged[p] && three.converged[p]);
        CHECK((mixed.values.row(p).head(3).array() == three.values.row(p).array()).all());
        CHECK((mixed.values.row(p).tail(3).array() == Complex(0)).all());
    }
    CHECK(mixed.converged[1] && (mixed.values.row(1).array() != Complex(0)).all());
    for (const std::vector<Index>& counts : {std::vector<Index>{3, 3}, {0, 1, 1, 1}, {4, 1, 1, 1}})
        CHECK_THROWS(rnndyn::least_stable(system, X, Vector(), o, 1, counts),
                     std::invalid_argument);
}

TEST(krylov_schur_widens_until_a_stable_eigenvalue_is_among_them) {
    // J = -I + W D: at the origin a cap of W's disk (radius 2.2) lies beyond Re = 1, fewer
    // eigenvalues are unstable as D shrinks away from it (the points end with 24, 12, 6 and 3
    // pairs here); ncv = 20 makes the basis grow at k = 12
    const rnndyn::ClosedLoopSystem<double> system{random_weights(63, 2.2), Vector::Zero(kN),
                                                  rnndyn::Activation::Tanh};
    Matrix X = fixtures::uniform(4, kN, 64, -1, 1);
    const double reach[4] = {0, 1.5, 2, 3};
    for (Index p = 0; p < 4; ++p) X.row(p) *= reach[p];
    KrylovSchurOptions o;
    o.k = 3;
    o.ncv = 20;
    o.widen_to = 24;
    o.widen_above = 0;
    const rnndyn::LeadingEigenpairs found = rnndyn::least_stable(system, X, Vector(), o, 2);
    CHECK(found.values.cols() == 24);
    std::vector<Index> widths;
    for (Index p = 0; p < 4; ++p) {
        check::Context context("state " + std::to_string(p));
        CHECK(found.converged[p]);
        const Matrix A = dense_operator(system, X, p, Vector(), o);
        std::vector<double> exact(kN);
        const Eigen::VectorXcd all = Eigen::EigenSolver<Matrix>(A, false).eigenvalues();
        for (Index i = 0; i < kN; ++i) exact[i] = all(i).real();
        std::sort(exact.rbegin(), exact.rend());
        const Index unstable =
            std::count_if(exact.begin(), exact.end(), [](double g) { return g > 0; });
        Index expected = o.k;  // doubled while every one found is unstable
        while (expected <= unstable && expected < o.widen_to)
            expected = std::min(2 * expected, o.widen_to);
        CHECK(found.found[p] == expected);
        widths.push_back(found.found[p]);
        for (Index j = 0; j < found.found[p]; ++j) {
            const Complex value = found.values(p, j);
            CHECK((all.array() - value).abs().minCoeff() < 1e-8);
            CHECK(value.real() >= exact[found.found[p] - 1] - 1e-9);
        }
        CHECK((found.values.row(p).tail(24 - found.found[p]).array() == Complex(0)).all());
    }
    CHECK((widths == std::vector<Index>{24, 12, 6, 3}));  // every stage reached
}

TEST(krylov_schur_reports_breakdowns_and_bad_arguments) {
    // W = 0: J = -I, and the first product closes the Krylov space
    const rnndyn::ClosedLoopSystem<double> identity(Matrix::Zero(kN, kN), Vector::Zero(kN),
                                                    rnndyn::Activation::Tanh);
    KrylovSchurOptions o;
    o.k = 3;
    const Matrix X = Matrix::Zero(2, kN);
    const rnndyn::LeadingEigenpairs found = rnndyn::least_stable(identity, X, Vector(), o, 1);
    CHECK(!found.converged[0] && !found.converged[1]);
    CHECK((found.values.array() == Complex(0)).all());
    o.max_restarts = -1;
    CHECK_THROWS(rnndyn::least_stable(identity, X, Vector(), o, 1), std::invalid_argument);
    o.max_restarts = 0;
    CHECK_THROWS(rnndyn::least_stable(identity, X, Vector::Ones(3), o, 1), std::invalid_argument);
    CHECK_THROWS(rnndyn::least_stable(identity, Matrix::Zero(2, 3), Vector(), o, 1),
                 std::invalid_argument);
    for (Index k : {Index(0), kN - 1}) {
        o.k = k;
        CHECK_THROWS(rnndyn::least_stable(identity, X, Vector(), o, 1), std::invalid_argument);
    }
}

TEST(krylov_schur_stops_when_interrupted) {
    const rnndyn::ClosedLoopSystem<double> system = closed_loop(61);
    const Matrix X = fixtures::uniform(kStates, kN, 62, -1.5, 1.5);
    KrylovSchurOptions o;
    o.k = 6;
    std::atomic<int> asked{0};
    o.interrupted = [&] { return ++asked > 3; };  // after three batched products
    CHECK_THROWS(rnndyn::least_stable(system, X, Vector(), o, 2), rnndyn::Interrupted);
    o.interrupted = [&] { return false; };  // asked, never stopping: the same as without
    const rnndyn::LeadingEigenpairs polled = rnndyn::least_stable(system, X, Vector(), o, 2);
    o.interrupted = nullptr;
    const rnndyn::LeadingEigenpairs plain = rnndyn::least_stable(system, X, Vector(), o, 2);
    CHECK(polled.values == plain.values);
}
