// The k least stable eigenvalues, with right eigenvectors, of the operators
//
//     A_p = diag(s) J(x_p) + σ I      or, transposed,      A_p = J(x_p)ᵀ diag(s) + σ I
//
// at M states x_p of a system (systems.hpp), by Krylov-Schur (G. W. Stewart, "A Krylov-Schur
// algorithm for large eigenproblems", SIAM J. Matrix Anal. Appl. 23, 2002; docs/mathematics.md,
// Stability: computing the spectrum). "Least stable" is the largest growth: Re θ for a flow,
// the modulus of θ for a map (σ = 1 turns J_G into the map's Jacobian). The transposed
// operator's right eigenvectors, conjugated, are the left eigenvectors of diag(s) J + σ I.
//
// Each point runs its own restarted Arnoldi process, but points advance in lockstep, so that
// each step is one batched product through the system for the running points (a K x N block
// against W costs far less than K matrix-vector products). Where the system's products give a
// row the same numbers whatever rows it is batched with (RowsIndependent: the closed loop, the
// vanilla RNN), each thread runs a lane of points and takes the next point as soon as one ends;
// elsewhere the points run in groups fixed by index, never by the number of threads. Either way
// results are the same bit for bit for every n_jobs.
//
// The restart. Eigen has no Schur reordering (LAPACK's trsen), so the wanted invariant subspace
// of the projected matrix H (m x m, general after a restart) is found thus: the real Schur form
// of H is made complex (each 2 x 2 block triangularised by one rotation), its diagonal
// reordered by swaps of neighbours (one Givens rotation each, the complex form having no
// blocks), and the leading Schur vectors S, whose eigenvalues are closed under conjugation,
// give the real projector P = Re(S Sᴴ) on that subspace: its eigenvectors of eigenvalue 1 are an
// orthonormal real basis Q. Then H Q = Q (QᵀHQ) up to rounding, and with the coupling row b
// (A V = V H + v_{m+1} bᵀ), A (V Q) = (V Q)(QᵀHQ) + v_{m+1} (bᵀQ) is again a Krylov
// decomposition, kept with its general projected matrix. Schur vectors (not Ritz vectors) keep
// this stable when wanted eigenvalues are close to defective.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <complex>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <Eigen/Eigenvalues>

#include "options.hpp"
#include "parallel.hpp"
#include "systems.hpp"

namespace rnndyn {

// What "least stable" maximises: the real part (a flow) or the modulus (a map's multipliers).
enum class Growth { RealPart, Modulus };

struct KrylovSchurOptions {
    Eigen::Index k = 10;     // eigenvalues wanted per point (at most; see least_stable's counts)
    bool transpose = false;  // Jᵀ diag(s) + σ I instead of diag(s) J + σ I
    Growth growth = Growth::RealPart;
    double shift = 0;  // σ
    // A Ritz pair (θ, y) counts once its residual is at most tol max(|θ|, floor): ARPACK's test,
    // with the floor ε^(2/3) raised to 100 ε max |Ritz value| / tol (near 0 the products'
    // rounding allows no better)
    double tol = 1e-10;
    Eigen::Index ncv = 60;  // the largest basis
    int max_restarts = 300;
    // A point whose k eigenvalues have all converged with growths above widen_above goes on for
    // twice as many, up to widen_to (at most k: never), from the decomposition it has, not
    // afresh; its output is that of its last converged stage.
    Eigen::Index widen_to = 0;
    double widen_above = 0;
    // Asked before every batched product, from every thread; true ends the call by
    // Interrupted (options.hpp). Empty: never.
    std::function<bool()> interrupted;
};

// Per point p: values row p, vectors row p (the N x width matrix, row-major, unit columns; width
// k, or the most pairs a point found where some widened), converged[p], found[p] (how many pairs:
// its count, or more where it widened); a point that did not converge (or broke down) has
// zeros, and so have the columns beyond found[p].
struct LeadingEigenpairs {
    RowMatrix<std::complex<double>> values;
    RowMatrix<std::complex<double>> vectors;
    std::vector<char> converged;  // char, not a packed vector<bool>: threads write neighbours
    std::vector<Eigen::Index> found;
};

namespace krylov_detail {

using Index = Eigen::Index;
using Complex = std::complex<double>;
using Real = Eigen::MatrixXd;
using ComplexMatrix = Eigen::MatrixXcd;

inline double growth_of(Growth growth, Complex value) {
    return growth == Growth::RealPart ? value.real() : std::abs(value);
}

// The start vector of every point: the same for all, so results repeat call after call; from
// SplitMix64 (Steele, Lea & Flood 2014), uniform in [-1, 1), whatever the platform's library.
inline Vector<double> start_vector(Index n) {
    std::uint64_t state = 0;
    Vector<double> v(n);
    for (Index i = 0; i < n; ++i) {
        state += 0x9E3779B97F4A7C15ULL;
        std::uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        v(i) = double(z >> 11) * 0x1.0p-52 - 1;
    }
    return v.normalized();
}

// One point's decomposition A V_j = V_{j+1} H(0..j, 0..j-1), rows of `basis` being the v_i,
// for its k wanted eigenvalues.
struct Process {
    Index k, m, keep;         // wanted, the largest basis, how many a restart keeps
    RowMatrix<double> basis;  // (m + 1) x N
    Real projected;           // (m + 1) x m
    Index size = 0;
    int restarts = 0;
    enum class State { Running, Converged, Failed } state = State::Running;

    Process(Index wanted, Index ncv, const Vector<double>& start)
            : k(wanted),
              m(basis_size(wanted, ncv, start.size())),
              keep(kept_at_restart(k, m)),
              basis(RowMatrix<double>::Zero(m + 1, start.size())),
              projected(Real::Zero(m + 1, m)) {
        basis.row(0) = start.transpose();
    }
    bool running() const { return state == State::Running; }

    // From a converged (and truncated) decomposition, on for `wanted` (> k) pairs: the basis
    // grows where 2 wanted + 1 needs it.
    void widen(Index wanted, Index ncv) {
        const Index larger = basis_size(wanted, ncv, basis.cols());
        if (larger > m) {
            basis.conservativeResize(larger + 1, Eigen::NoChange);
            Real grown = Real::Zero(larger + 1, larger);
            grown.topLeftCorner(size + 1, size) = projected.topLeftCorner(size + 1, size);
            projected = std::move(grown);
            m = larger;
        }
        k = wanted;
        keep = kept_at_restart(k, m);
        state = State::Running;
    }

private:
    static Index basis_size(Index wanted, Index ncv, Index n) {
        return std::min(n - 1, std::max(ncv, 2 * wanted + 1));
    }
    // At most m - 1 kept (a pair may add one); keeping a third of the unwanted part took fewer
    // restarts than a half for a few more products (measured with the former Python version)
    static Index kept_at_restart(Index wanted, Index m) {
        return std::min(m - 2, wanted + (m - wanted) / 3);
    }
};

// Adds w = A v_j: two passes of classical Gram-Schmidt (orthogonal to working precision), then
// the next basis vector. False at a breakdown (an invariant Krylov space: left to a fallback).
inline bool expand(Process& p, Vector<double> w) {
    const Index j = p.size;
    const auto V = p.basis.topRows(j + 1);
    Vector<double> h = V * w;
    w.noalias() -= V.transpose() * h;
    const Vector<double> correction = V * w;
    w.noalias() -= V.transpose() * correction;
    h += correction;
    const double norm = w.norm();
    p.projected.col(j).head(j + 1) = h;
    p.projected(j + 1, j) = norm;
    if (!(norm > 1e-14 * std::max(1.0, h.norm()))) return false;
    p.basis.row(j + 1) = w.transpose() / norm;
    p.size = j + 1;
    return true;
}

// T ← Gᴴ T G and Z ← Z G on columns (and rows) j, j + 1, with G's first column along (a, b).
inline void rotate(ComplexMatrix& T, ComplexMatrix& Z, Index j, Complex a, Complex b) {
    Eigen::JacobiRotation<Complex> G;
    G.makeGivens(a, b);
    T.applyOnTheLeft(j, j + 1, G.adjoint());
    T.applyOnTheRight(j, j + 1, G);
    Z.applyOnTheRight(j, j + 1, G);
}

// H = Z T Zᴴ with T upper triangular, from the real Schur form (cheaper than a complex QR
// iteration): each 2 x 2 block [a b; c d] is triangularised by the rotation whose first column
// is its eigenvector (μ - d, c). False if the QR iteration failed.
inline bool complex_schur(const Real& H, ComplexMatrix& T, ComplexMatrix& Z) {
    const Eigen::RealSchur<Real> schur(H);
    if (schur.info() != Eigen::Success) return false;
    T = schur.matrixT().cast<Complex>();
    Z = schur.matrixU().cast<Complex>();
    for (Index j = 0; j + 1 < T.rows(); ++j) {
        if (T(j + 1, j) == Complex(0)) continue;
        const Complex a = T(j, j), b = T(j, j + 1), c = T(j + 1, j), d = T(j + 1, j + 1);
        const Complex mu = (a + d) / 2.0 + std::sqrt((a - d) * (a - d) / 4.0 + b * c);
        rotate(T, Z, j, mu - d, c);
        T(j + 1, j) = 0;
        ++j;
    }
    return true;
}

// Moves the diagonal entries with `selected` to the front (their order kept) by swaps of
// neighbours: G's first column is the eigenvector (t, b - a) of [a t; 0 b] for b.
inline void reorder(ComplexMatrix& T, ComplexMatrix& Z, const std::vector<bool>& selected) {
    Index front = 0;
    for (Index i = 0; i < T.rows(); ++i) {
        if (!selected[i]) continue;
        for (Index j = i - 1; j >= front; --j) {
            const Complex a = T(j, j), b = T(j + 1, j + 1);
            rotate(T, Z, j, T(j, j + 1), b - a);
            T(j, j) = b;
            T(j + 1, j + 1) = a;
            T(j + 1, j) = 0;
        }
        ++front;
    }
}

// The `keep` entries of T's diagonal with the largest growth, and those within a rounding
// margin of the last (so that a conjugate pair, whose growths agree to rounding, stays whole).
inline std::vector<bool> select_best(const ComplexMatrix& T, Growth growth, Index keep) {
    const Index m = T.rows();
    std::vector<double> scores(m);
    for (Index i = 0; i < m; ++i) scores[i] = growth_of(growth, T(i, i));
    std::vector<double> sorted = scores;
    std::nth_element(sorted.begin(), sorted.begin() + (keep - 1), sorted.end(),
                     std::greater<double>());
    const double threshold = sorted[keep - 1] - 1e-10 * std::max(1.0, std::abs(sorted[keep - 1]));
    std::vector<bool> selected(m);
    for (Index i = 0; i < m; ++i) selected[i] = scores[i] >= threshold;
    return selected;
}

// An orthonormal real basis Q (m x kept) of the span of the first `kept` Schur vectors: the
// eigenvectors of eigenvalue 1 of the real projector Re(S Sᴴ) on it. False if the kept
// eigenvalues are not closed under conjugation (the spectrum of Re(S Sᴴ) is then not 0 and 1).
inline bool real_basis(const ComplexMatrix& Z, Index kept, Real& Q) {
    const Index m = Z.rows();
    const Real projector = (Z.leftCols(kept) * Z.leftCols(kept).adjoint()).real();
    const Eigen::SelfAdjointEigenSolver<Real> solver(projector);
    if (solver.info() != Eigen::Success) return false;
    const auto& values = solver.eigenvalues();  // ascending
    if (values(m - kept) < 0.9 || (kept < m && values(m - kept - 1) > 0.1)) return false;
    Q = solver.eigenvectors().rightCols(kept);
    return true;
}

// The k Ritz pairs of the projected matrix with the largest growth: values, unit vectors.
inline void best_ritz_pairs(const Real& H, Growth growth, Index k, Eigen::VectorXcd& values,
                            ComplexMatrix& vectors, bool& ok) {
    const Eigen::EigenSolver<Real> solver(H);
    ok = solver.info() == Eigen::Success;
    if (!ok) return;
    const Eigen::VectorXcd all = solver.eigenvalues();
    std::vector<Index> order(all.size());
    std::iota(order.begin(), order.end(), Index(0));
    std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) {
        return growth_of(growth, all(a)) > growth_of(growth, all(b));
    });
    order.resize(k);
    values = all(order);
    vectors = solver.eigenvectors()(Eigen::all, order);
    vectors.colwise().normalize();
}

inline void fail(Process& p) { p.state = Process::State::Failed; }

// Keeps the decomposition on the invariant subspace Q of H: A (V Q) = (V Q) H' + v_{m+1} bᵀ.
inline void truncate(Process& p, const Real& Q, const Real& projected, const Vector<double>& b) {
    const Index m = p.size, kept = Q.cols();
    const RowMatrix<double> rotated = Q.transpose() * p.basis.topRows(m);
    p.basis.topRows(kept) = rotated;
    p.basis.row(kept) = p.basis.row(m);
    p.projected.setZero();
    p.projected.topLeftCorner(kept, kept) = projected;
    p.projected.row(kept).head(kept) = b.transpose();
    p.size = kept;
}

// At a full basis: the wanted invariant subspace of H (the `keep` best Ritz values, conjugate
// pairs whole) leads. The point has converged when the k best Ritz pairs pass the residual test
// (values and unit vectors (N x k) then out); either way the decomposition is truncated to it
// (a converged point may widen from there).
inline void restart(Process& p, const KrylovSchurOptions& o, Eigen::VectorXcd& values,
                    ComplexMatrix& vectors) {
    const Index m = p.size;
    const Real H = p.projected.topRows(m);
    ComplexMatrix T, Z;
    if (!complex_schur(H, T, Z)) return fail(p);
    const std::vector<bool> selected = select_best(T, o.growth, p.keep);
    const Index kept = std::count(selected.begin(), selected.end(), true);
    if (!(p.k <= kept && kept < m)) return fail(p);
    reorder(T, Z, selected);
    Real Q;
    if (!real_basis(Z, kept, Q)) return fail(p);
    const Real projected = Q.transpose() * H * Q;
    const Vector<double> b = Q.transpose() * p.projected.row(m).transpose();
    ComplexMatrix y;
    bool ok = false;
    best_ritz_pairs(projected, o.growth, p.k, values, y, ok);
    if (!ok) return fail(p);
    // the Ritz pair (θ, V Q y) has the residual norm |bᵀy| (ARPACK's estimate)
    const double eps = std::numeric_limits<double>::epsilon();
    const double floor =
        std::max(std::pow(eps, 2.0 / 3), 100 * eps * T.diagonal().cwiseAbs().maxCoeff() / o.tol);
    const Eigen::ArrayXd residuals = (y.transpose() * b.cast<Complex>()).cwiseAbs().array();
    if ((residuals <= o.tol * values.cwiseAbs().array().max(floor)).all()) {
        const ComplexMatrix u = Q.cast<Complex>() * y;
        const auto V = p.basis.topRows(m).transpose();
        vectors = (V * u.real()).cast<Complex>() + Complex(0, 1) * (V * u.imag()).cast<Complex>();
        vectors.colwise().normalize();
        p.state = Process::State::Converged;
    } else if (++p.restarts > o.max_restarts) {
        return fail(p);
    }
    truncate(p, Q, projected, b);
}

// A_p v for each row v of V (one batched product for the active points).
template <class System>
RowMatrix<double> apply_operator(const System& system, const Linearization<double>& lin,
                                 const RowMatrix<double>& V, const Vector<double>& scale,
                                 const KrylovSchurOptions& o) {
    RowMatrix<double> W;
    if (o.transpose) {
        W = scale.size() ? system.jacobian_transpose_product(lin, V * scale.asDiagonal())
                         : system.jacobian_transpose_product(lin, V);
    } else {
        W = system.jacobian_product(lin, V);
        if (scale.size()) W = W * scale.asDiagonal();
    }
    W += o.shift * V;
    return W;
}

// How many pairs a point that has converged with `values` goes on for: 0 for none (see
// KrylovSchurOptions::widen_to).
inline Index wider(const Process& p, const Eigen::VectorXcd& values, const KrylovSchurOptions& o) {
    const Index limit = std::min(o.widen_to, p.basis.cols() - 2);
    if (p.k >= limit) return 0;
    for (const Complex& value : values)
        if (!(growth_of(o.growth, value) > o.widen_above)) return 0;
    return std::min(2 * p.k, limit);
}

// A point's pairs from its last converged stage: values and unit vectors (N x found); none if
// it never converged.
struct Pairs {
    Eigen::VectorXcd values;
    ComplexMatrix vectors;
};

// One Arnoldi step of a point (with a restart at a full basis); a converged point's pairs go to
// `out`, and its basis is freed unless it widens.
inline void step(Process& p, Vector<double> w, const KrylovSchurOptions& o, Pairs& out) {
    if (!expand(p, std::move(w))) return fail(p);
    if (p.size < p.m) return;
    Eigen::VectorXcd values;
    ComplexMatrix vectors;
    restart(p, o, values, vectors);
    if (p.running()) return;
    if (p.state == Process::State::Converged) {
        out = {std::move(values), std::move(vectors)};
        if (const Index wanted = wider(p, out.values, o)) return p.widen(wanted, o.ncv);
    }
    p.basis.resize(0, 0);
}

// The points' pairs side by side, as many columns as the most any point found (at least k).
inline LeadingEigenpairs gather(const std::vector<Pairs>& pairs, Index k, Index n) {
    const Index count = Index(pairs.size());
    Index width = k;
    for (const Pairs& p : pairs) width = std::max(width, Index(p.values.size()));
    LeadingEigenpairs out{RowMatrix<Complex>::Zero(count, width),
                          RowMatrix<Complex>::Zero(count, n * width), std::vector<char>(count, 0),
                          std::vector<Index>(count, 0)};
    for (Index p = 0; p < count; ++p) {
        const Pairs& found = pairs[std::size_t(p)];
        const Index size = found.values.size();
        if (size == 0) continue;
        out.values.row(p).head(size) = found.values.transpose();
        Eigen::Map<RowMatrix<Complex>>(out.vectors.row(p).data(), n, width).leftCols(size) =
            found.vectors;
        out.converged[std::size_t(p)] = 1;
        out.found[std::size_t(p)] = size;
    }
    return out;
}

// Points in lockstep, one batched product per step for those running: while fewer than `width`
// run, `take()` gives the next point's index (-1: none left). `all` holds the first-order terms
// of every row of the states.
template <class System, class Take>
void run_lockstep(const System& system, const Linearization<double>& all, Index width, Take&& take,
                  const Vector<double>& scale, const std::vector<Index>& counts,
                  const KrylovSchurOptions& o, std::vector<Pairs>& out) {
    const Index n = system.size();
    const Vector<double> start = start_vector(n);
    Rows points;  // the running points, processes[r] that of points[r]
    std::vector<Process> processes;
    Linearization<double> lin;  // at `points`
    for (;;) {
        bool changed = false;
        for (std::size_t r = processes.size(); r-- > 0;) {
            if (processes[r].running()) continue;
            points.erase(points.begin() + std::ptrdiff_t(r));
            processes.erase(processes.begin() + std::ptrdiff_t(r));
            changed = true;
        }
        for (Index p; Index(points.size()) < width && (p = take()) >= 0; changed = true) {
            points.push_back(p);
            processes.emplace_back(counts.empty() ? o.k : counts[p], o.ncv, start);
        }
        if (points.empty()) return;
        if (changed) lin = all.select(points);
        if (o.interrupted && o.interrupted()) throw Interrupted();
        RowMatrix<double> V(Index(points.size()), n);
        for (std::size_t r = 0; r < points.size(); ++r)
            V.row(r) = processes[r].basis.row(processes[r].size);
        const RowMatrix<double> W = apply_operator(system, lin, V, scale, o);
        for (std::size_t r = 0; r < points.size(); ++r)
            step(processes[r], W.row(r).transpose(), o, out[std::size_t(points[r])]);
    }
}

inline void check_arguments(Index n, const RowMatrix<double>& states, const Vector<double>& scale,
                            const std::vector<Index>& counts, const KrylovSchurOptions& o) {
    if (states.cols() != n) throw std::invalid_argument("states must have N columns");
    if (scale.size() != 0 && scale.size() != n)
        throw std::invalid_argument("scale must have length N");
    if (o.k < 1 || o.k > n - 2) throw std::invalid_argument("k must be >= 1 and <= N - 2");
    if (!counts.empty() && Index(counts.size()) != states.rows())
        throw std::invalid_argument("counts must have one entry per state");
    for (Index count : counts)
        if (count < 1 || count > o.k) throw std::invalid_argument("counts must be >= 1 and <= k");
    if (!(o.tol > 0)) throw std::invalid_argument("tol must be > 0");
    if (o.ncv < 1) throw std::invalid_argument("ncv must be >= 1");
    if (o.max_restarts < 0) throw std::invalid_argument("max_restarts must be >= 0");
    if (o.widen_to < 0) throw std::invalid_argument("widen_to must be >= 0");
}

}  // namespace krylov_detail

// The k least stable eigenpairs of A_p (see the top of this file) at each row of `states`
// (M x N), or more where options.widen_to asks; `scale` (N) is s, empty for none; `counts` (M),
// if given, how many each point wants (at most k: fewer converge sooner). Groups of about
// kGroupSize points share products and go to n_jobs threads.
template <class System>
LeadingEigenpairs least_stable(const System& system, const RowMatrix<double>& states,
                               const Vector<double>& scale, const KrylovSchurOptions& options,
                               int n_jobs, const std::vector<Eigen::Index>& counts = {}) {
    static_assert(std::is_same_v<typename System::Matrix, RowMatrix<double>>, "float64 only");
    using krylov_detail::Index;
    krylov_detail::check_arguments(system.size(), states, scale, counts, options);
    const Index count = states.rows();
    std::vector<krylov_detail::Pairs> found(std::size_t(count), krylov_detail::Pairs{});
    // products for 4 states run at about the speed per state of many more (beyond a few states
    // the batched products are bound by arithmetic, not by streaming W), and more groups balance
    // threads better: on 14-25 points of a suite network, 2 threads, groups of 4 took 0.36-0.64 s,
    // of 8 0.37-0.63 s but 0.63 s against 0.51 s for 21 points
    constexpr Index kGroupSize = 4;
    const Linearization<double> all = system.first_order(states);
    if constexpr (RowsIndependent<System>::value) {
        // a point's numbers do not depend on the points beside it in the products, so each
        // thread runs a lane of up to kGroupSize points and takes the next point whenever one
        // ends: no thread idles while points are left, whatever n_jobs
        const int lanes = int(std::clamp<Index>(n_jobs, 1, std::max<Index>(count, 1)));
        const Index width = std::min(kGroupSize, (count + lanes - 1) / lanes);
        std::atomic<Index> next{0};
        auto take = [&] {
            const Index p = next++;
            return p < count ? p : Index(-1);
        };
        parallel_for(std::size_t(lanes), lanes, [&](std::size_t) {
            krylov_detail::run_lockstep(system, all, width, take, scale, counts, options, found);
        });
    } else {
        // groups fixed by index, so that results do not depend on n_jobs
        const Index groups = (count + kGroupSize - 1) / kGroupSize;
        parallel_for(std::size_t(groups), n_jobs, [&](std::size_t g) {
            Index p = Index(g) * count / groups;
            const Index last = (Index(g) + 1) * count / groups;
            auto take = [&] { return p < last ? p++ : Index(-1); };
            krylov_detail::run_lockstep(system, all, last - p, take, scale, counts, options, found);
        });
    }
    return krylov_detail::gather(found, options.k, system.size());
}

}  // namespace rnndyn
