// The speed q(x) = ½|F(x)|² of a network at a constant input, with its analytic derivatives,
// batched over K states held as the rows of a K x N matrix (docs/mathematics.md, The closed
// loop and its fixed points; Derivatives; Stability: discrete time).
//
// Two systems share one interface:
//   ClosedLoopSystem  F(x) = -x + W_c φ(x) + c            J = -I + W_c diag(φ'(x))
//   DiscreteSystem    G(h) = φ(W h + c) - h               J = diag(φ'(W h + c)) W - I
// Every product over K states is one matrix-matrix product, not K matrix-vector products.
#pragma once

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <Eigen/Cholesky>

#include "activation.hpp"
#include "compact_rows.hpp"
#include "packed_matrix.hpp"
#include "sparse_products.hpp"
#include "types.hpp"

namespace rnndyn {

using Rows = std::vector<Eigen::Index>;

// Whether a system's batched products (and first_order) give each row the same numbers, bit for
// bit, whatever the other rows of the batch: System::rows_independent, false where a system does
// not say. Where they do, work on a row may be batched with any rows (krylov_schur.hpp's lanes)
// without changing a result.
template <class System, class = void>
struct RowsIndependent : std::false_type {};
template <class System>
struct RowsIndependent<System, std::void_t<decltype(System::rows_independent)>>
        : std::bool_constant<System::rows_independent> {};

// What the products at a set of states need, one row per state.
template <typename Scalar>
struct Linearization {
    RowMatrix<Scalar> slopes;     // φ' where the nonlinearity acts (gated.hpp: the states)
    RowMatrix<Scalar> curvature;  // weights of the exact Hessian's second-order term
    RowMatrix<Scalar> saved;      // what else a system keeps for its products (gated.hpp's gates)

    Linearization select(const Rows& rows) const {
        return {slopes(rows, Eigen::all), rows_of(curvature, rows), rows_of(saved, rows)};
    }
    void assign(const Rows& rows, const Linearization& part) {
        slopes(rows, Eigen::all) = part.slopes;
        curvature(rows, Eigen::all) = part.curvature;
        if (saved.size() > 0) saved(rows, Eigen::all) = part.saved;
    }
    // Products take one vector per state: a K x N matrix like the states (checked, so that
    // a wrong call from outside throws instead of reading out of bounds).
    void check(const RowMatrix<Scalar>& V) const {
        if (V.rows() != slopes.rows() || V.cols() != slopes.cols())
            throw std::invalid_argument("vectors must have the shape of states (K x N)");
    }

private:
    static RowMatrix<Scalar> rows_of(const RowMatrix<Scalar>& matrix, const Rows& rows) {
        if (matrix.size() == 0) return {};  // not computed, or nothing to save
        return matrix(rows, Eigen::all);
    }
};

// ½|F|² of each row.
template <typename Derived>
Vector<typename Derived::Scalar> half_squared_norms(const Eigen::MatrixBase<Derived>& velocity) {
    return velocity.rowwise().squaredNorm() / typename Derived::Scalar(2);
}

// What a system with no structure to exploit uses: the identity preconditioner, the Euclidean
// metric, and JᵀJ from its dense Jacobian.
template <typename Scalar>
struct Unstructured {
    RowMatrix<Scalar> precondition(const Linearization<Scalar>& lin,
                                   const RowMatrix<Scalar>& R) const {
        lin.check(R);
        return R;
    }
    RowMatrix<Scalar> metric_coordinates(const Linearization<Scalar>&,
                                         const RowMatrix<Scalar>& X) const {
        return RowMatrix<Scalar>(X.rows(), 0);
    }
    // The lower triangle of JᵀJ into `normal` (column-major), from the dense J.
    static void normal_from_dense(const ColMatrix<Scalar>& J, ColMatrix<Scalar>& normal) {
        normal.setZero(J.cols(), J.cols());
        normal.template selfadjointView<Eigen::Lower>().rankUpdate(J.transpose());
    }
};

// Continuous-time closed loop of an ESN: τ dx/dt = F(x) = -x + W_c φ(x) + c, c = B u + b.
template <typename Scalar>
class ClosedLoopSystem {
public:
    using Matrix = RowMatrix<Scalar>;
    static constexpr bool discrete_time = false;
    // each row of a batched product is the same bit for bit whatever the other rows
    // (PackedMatrix, CompactParts and sparse_products.hpp say how): see RowsIndependent
    static constexpr bool rows_independent = true;

    // `feedback` (N x O) and `readout` (O x N), when given, are the factors of the rank-O part
    // W_fb W_o of W_c; they make the preconditioner (an empty pair: none). `recurrent`, when
    // given, is W_r = W_c - W_fb W_o; if at most kSparseBelow of its entries are nonzero, the
    // products with W_c go through its nonzeros and the two factors (sparse_products.hpp), else,
    // in double, if its entries are floats, through W_r stored as floats and the two factors.
    ClosedLoopSystem(Matrix closed_loop, Vector<Scalar> offset, Activation activation,
                     const Matrix& feedback = Matrix(), const Matrix& readout = Matrix(),
                     const Matrix& recurrent = Matrix())
            : W_(std::move(closed_loop)), offset_(std::move(offset)), activation_(activation) {
        if (W_.rows() != W_.cols()) throw std::invalid_argument("closed_loop must be N x N");
        if (offset_.size() != W_.rows()) throw std::invalid_argument("offset must have length N");
        const bool factors = feedback.size() != 0 || readout.size() != 0;
        if (factors && (feedback.rows() != W_.rows() || readout.cols() != W_.rows() ||
                        readout.rows() != feedback.cols()))
            throw std::invalid_argument("feedback must be N x O and readout O x N");
        if (recurrent.size() != 0) use_sparse(recurrent, feedback, readout);
        if (!factors) return;
        // M = I + (W_fb W_o D)ᵀ(W_fb W_o D) = I + (D A)(D A)ᵀ with A = W_oᵀ L, L Lᵀ = W_fbᵀW_fb
        const Eigen::LLT<Matrix> gram(feedback.transpose() * feedback);
        if (gram.info() != Eigen::Success) return;  // rank-deficient feedback: no preconditioner
        factor_ = readout.transpose() * Matrix(gram.matrixL());
    }

    // Sparse products pay where W_r has at most this fraction of nonzeros. At N = 1000 and
    // p = 0.1 one state's product in double took 51 us against the dense kernel's 111, blocks
    // of 4 to 32 a third of its time; at p = 0.25 it gained only for blocks of 8 or more.
    static constexpr double kSparseBelow = 0.15;

    // Whether products go through W_r's nonzeros.
    bool sparse() const { return sparse_ != nullptr; }

    // Whether products read W_r as floats plus the rank-O loop (dense W_r of float entries, in
    // double: a product of one or two states, bound by the bytes it reads, in half the time).
    bool compact() const { return compact_ != nullptr; }

    // The same system in another precision (rounded weights; the preconditioner kept).
    template <typename Other>
    ClosedLoopSystem<Other> cast() const {
        ClosedLoopSystem<Other> copy(W_.template cast<Other>(), offset_.template cast<Other>(),
                                     activation_);
        copy.factor_ = factor_.template cast<Other>();
        if (sparse_)
            copy.sparse_ = std::make_shared<const typename ClosedLoopSystem<Other>::SparseParts>(
                typename ClosedLoopSystem<Other>::SparseParts{
                    sparse_->forward.template cast<Other>(),
                    sparse_->backward.template cast<Other>()});
        if constexpr (std::is_same_v<Other, Scalar>) copy.compact_ = compact_;
        return copy;
    }

    Eigen::Index size() const { return W_.rows(); }

    // F at each row of X.
    Matrix velocity(const Matrix& X) const {
        check_width(X);
        Matrix rates(X.rows(), X.cols());
        apply_activation(activation_, X, rates);
        Matrix F = times_transpose(rates);
        F.rowwise() += offset_.transpose();
        F -= X;
        return F;
    }

    // The slopes φ'(x) at each row of X, all that J's products need (no curvature).
    Linearization<Scalar> first_order(const Matrix& X) const {
        check_width(X);
        Matrix rates(X.rows(), X.cols());
        apply_activation(activation_, X, rates);
        Linearization<Scalar> lin;
        lin.slopes.resize(X.rows(), X.cols());
        activation_slope(activation_, rates, lin.slopes);
        return lin;
    }

    // With F = velocity(X): the linearization at X and ∇q = JᵀF (rows).
    Linearization<Scalar> linearize(const Matrix& X, const Matrix& F, Matrix& gradient) const {
        Matrix rates(X.rows(), X.cols());
        apply_activation(activation_, X, rates);
        Linearization<Scalar> lin;
        lin.slopes.resize(X.rows(), X.cols());
        lin.curvature.resize(X.rows(), X.cols());
        activation_slope(activation_, rates, lin.slopes);
        activation_curvature(activation_, rates, lin.curvature);
        const Matrix FW = times(F);  // rows: (W_cᵀ F)ᵀ
        gradient = lin.slopes.cwiseProduct(FW) - F;
        lin.curvature = lin.curvature.cwiseProduct(FW);  // docs/mathematics.md, Derivatives
        return lin;
    }

    // J V, rows: (φ' ⊙ v) W_cᵀ - v.
    Matrix jacobian_product(const Linearization<Scalar>& lin, const Matrix& V) const {
        lin.check(V);
        Matrix JV = times_transpose(lin.slopes.cwiseProduct(V));
        JV -= V;
        return JV;
    }

    // Jᵀ U, rows: φ' ⊙ (u W_c) - u.
    Matrix jacobian_transpose_product(const Linearization<Scalar>& lin, const Matrix& U) const {
        lin.check(U);
        Matrix JtU = lin.slopes.cwiseProduct(times(U));
        JtU -= U;
        return JtU;
    }

    // H V with H = JᵀJ (+ diag((W_cᵀF) ⊙ φ'') when exact).
    Matrix hessian_product(const Linearization<Scalar>& lin, const Matrix& V, bool exact) const {
        lin.check(V);
        Matrix HV = jacobian_transpose_product(lin, jacobian_product(lin, V));
        if (exact) HV += lin.curvature.cwiseProduct(V);
        return HV;
    }

    // The dense Jacobian at row `row` of a linearization.
    Matrix jacobian(const Linearization<Scalar>& lin, Eigen::Index row) const {
        Matrix J = W_ * lin.slopes.row(row).asDiagonal();
        J.diagonal().array() -= Scalar(1);
        return J;
    }

    // The lower triangle of JᵀJ at row `row`, into `normal` (N x N, column-major; resized if
    // needed, the upper triangle left as it was). With the Gram matrix G = W_cᵀW_c, formed once
    // per system, (JᵀJ)_ij = d_i d_j G_ij - d_i W_ji - d_j W_ij + δ_ij (d = φ', W = W_c): one
    // pass over G's lower triangle and W, not a product of two N x N matrices.
    void gauss_newton(const Linearization<Scalar>& lin, Eigen::Index row,
                      ColMatrix<Scalar>& normal) const {
        const Eigen::Index n = size();
        const Scalar* d = lin.slopes.row(row).data();
        const NormalParts& parts = normal_parts();
        normal.resize(n, n);
        for (Eigen::Index j = 0; j < n; ++j) {
            const Scalar* g = &parts.gram(0, j);
            const Scalar* w_row = &W_(j, 0);                // W_ji, i = j..N-1
            const Scalar* w_column = &parts.columns(0, j);  // W_ij, i = j..N-1
            Scalar* out = &normal(0, j);
            for (Eigen::Index i = j; i < n; ++i)
                out[i] = d[i] * (d[j] * g[i] - w_row[i]) - d[j] * w_column[i];
            out[j] += Scalar(1);
        }
    }

    // normal += Σ_k F_k ∇²F_k at row `row`, making JᵀJ the exact Hessian of q: here diagonal,
    // (W_cᵀF) ⊙ φ''.
    void add_second_order(const Linearization<Scalar>& lin, Eigen::Index row,
                          ColMatrix<Scalar>& normal) const {
        normal.diagonal() += lin.curvature.row(row).transpose();
    }

    // The feedback loop W_fb W_o has singular values far above the rest of J (≈ 60 against
    // ≈ 1 in a trained flip-flop), which makes JᵀJ ill-conditioned. The preconditioner
    // M = I + (W_fb W_o D)ᵀ(W_fb W_o D) captures that part; M⁻¹ costs O(N O) by Woodbury:
    // M⁻¹ r = r - V (I + VᵀV)⁻¹ Vᵀ r with V = D A.
    Matrix precondition(const Linearization<Scalar>& lin, const Matrix& R) const {
        lin.check(R);
        if (factor_.size() == 0) return R;
        Matrix Y = R;
        for (Eigen::Index k = 0; k < R.rows(); ++k) {
            const Matrix V = lin.slopes.row(k).transpose().asDiagonal() * factor_;
            Matrix inner = V.transpose() * V;
            inner.diagonal().array() += Scalar(1);
            const Vector<Scalar> coefficients =
                inner.llt().solve(V.transpose() * R.row(k).transpose());
            Y.row(k) -= (V * coefficients).transpose();
        }
        return Y;
    }

    // The extra coordinates of the preconditioner's metric: rows Vᵀv, so that
    // ⟨a, b⟩_M = aᵀb + (Vᵀa)ᵀ(Vᵀb) (K x O; K x 0 without a preconditioner).
    Matrix metric_coordinates(const Linearization<Scalar>& lin, const Matrix& X) const {
        if (factor_.size() == 0) return Matrix(X.rows(), 0);
        return lin.slopes.cwiseProduct(X) * factor_;
    }

private:
    void check_width(const Matrix& X) const {
        if (X.cols() != size()) throw std::invalid_argument("states must have N columns");
    }

    // V W_cᵀ: W_c applied to each row of V.
    template <class Derived>
    Matrix times_transpose(const Eigen::MatrixBase<Derived>& V) const {
        if (sparse_) return sparse_->forward.apply(V);
        if (compact_) return compact_->times_transpose(V);
        return packed_.times_transpose(W_, V);
    }

    // U W_c: W_cᵀ applied to each row of U.
    template <class Derived>
    Matrix times(const Eigen::MatrixBase<Derived>& U) const {
        if (sparse_) return sparse_->backward.apply(U);
        if (compact_) return compact_->times(U);
        return packed_.times(W_, U);
    }

    // Checks `recurrent` against W_c and the factors; keeps its nonzeros if they are few.
    void use_sparse(const Matrix& recurrent, const Matrix& feedback, const Matrix& readout) {
        if (recurrent.rows() != W_.rows() || recurrent.cols() != W_.cols())
            throw std::invalid_argument("recurrent must be N x N, like closed_loop");
        Matrix loop = recurrent;
        if (feedback.size() != 0) loop.noalias() += feedback * readout;
        const Scalar scale = std::max(Scalar(1), W_.cwiseAbs().maxCoeff());
        if (!((loop - W_).cwiseAbs().maxCoeff() <= Scalar(1e-9) * scale))
            throw std::invalid_argument(
                "closed_loop must equal recurrent + feedback readout (W_c = W_r + W_fb W_o)");
        using Sparse = SparsePlusLowRank<Scalar>;
        if (Sparse::density(recurrent) > kSparseBelow) {
            if constexpr (std::is_same_v<Scalar, double>)
                if (CompactRows::holds_floats(recurrent))
                    compact_ = std::make_shared<const CompactParts>(recurrent, feedback, readout);
            return;
        }
        const Eigen::Index n = W_.rows();
        Sparse forward = feedback.size() != 0 ? Sparse(recurrent, feedback, readout)
                                              : Sparse(recurrent, Matrix(n, 0), Matrix(0, n));
        Sparse backward = forward.transposed();
        sparse_ = std::make_shared<const SparseParts>(
            SparseParts{std::move(forward), std::move(backward)});
    }

    // W_c and W_cᵀ as W_r stored in float plus the rank-O loop W_fb W_o, shared by copies.
    struct CompactParts {
        CompactParts(const Matrix& recurrent, const Matrix& feedback, const Matrix& readout)
                : forward(recurrent),
                  backward(recurrent.transpose()),
                  readout(readout),
                  feedback_t(feedback.transpose()) {}

        // V W_cᵀ = V W_rᵀ + (V W_oᵀ) W_fbᵀ
        template <class Derived>
        Matrix times_transpose(const Eigen::MatrixBase<Derived>& V) const {
            Matrix out = forward.apply(V);
            add_loop(V, readout, feedback_t, out);
            return out;
        }

        // U W_c = U W_r + (U W_fb) W_o
        template <class Derived>
        Matrix times(const Eigen::MatrixBase<Derived>& U) const {
            Matrix out = backward.apply(U);
            add_loop(U, feedback_t, readout, out);
            return out;
        }

        // out's row k += Σ_o (inner_o · v_k) outer_o over the rows of `inner` and `outer`
        // (O x N), in loops whose order is fixed by N alone, so that a state's numbers cannot
        // depend on the block it is in, whatever kernels Eigen's products would choose.
        template <class Derived>
        static void add_loop(const Eigen::MatrixBase<Derived>& V, const Matrix& inner,
                             const Matrix& outer, Matrix& out) {
            const Eigen::Index n = V.cols();
            Vector<Scalar> v(n);
            for (Eigen::Index k = 0; k < V.rows(); ++k) {
                v = V.row(k).transpose();
                Scalar* row = &out(k, 0);
                for (Eigen::Index o = 0; o < inner.rows(); ++o) {
                    const Scalar c = dot(&inner(o, 0), v.data(), n);
                    const Scalar* add = &outer(o, 0);
                    for (Eigen::Index i = 0; i < n; ++i) row[i] += c * add[i];
                }
            }
        }

        static Scalar dot(const Scalar* a, const Scalar* b, Eigen::Index n) {
            namespace ei = Eigen::internal;
            using Packet = typename ei::packet_traits<Scalar>::type;
            constexpr Eigen::Index width = ei::packet_traits<Scalar>::size;
            Packet acc = ei::pset1<Packet>(Scalar(0));
            Eigen::Index j = 0;
            for (; j + width <= n; j += width)
                acc = ei::pmadd(ei::ploadu<Packet>(a + j), ei::ploadu<Packet>(b + j), acc);
            Scalar sum = ei::predux(acc);
            for (; j < n; ++j) sum += a[j] * b[j];
            return sum;
        }

        PackedMatrix<Scalar, float> forward, backward;
        Matrix readout, feedback_t;  // W_o (O x N), W_fbᵀ (O x N)
    };

    // W_c and W_cᵀ as W_r's nonzeros plus the rank-O loop, shared by copies.
    struct SparseParts {
        SparsePlusLowRank<Scalar> forward, backward;
    };

    // What gauss_newton reads besides W_c: G = W_cᵀW_c, and W_c column-major so that it reads
    // both W_c's row j and its column j contiguously (with W_c's column read at stride N, the
    // model took 0.63 ms at N = 1000, against 0.38 ms). Formed on first use (by whichever thread
    // comes first) and shared by copies, which hold the same W_c.
    struct NormalParts {
        std::once_flag once;
        ColMatrix<Scalar> gram, columns;
    };

    const NormalParts& normal_parts() const {
        std::call_once(parts_->once, [this] {
            const Eigen::Map<const ColMatrix<Scalar>> W_t(W_.data(), size(), size());
            parts_->gram.noalias() = W_t * W_t.transpose();
            parts_->columns = W_;
        });
        return *parts_;
    }

    Matrix W_;
    PackedProducts<Scalar> packed_;  // W_ for the batched products
    Vector<Scalar> offset_;
    Activation activation_;
    Matrix factor_;  // A = W_oᵀ L (N x O), empty without a preconditioner
    std::shared_ptr<NormalParts> parts_ = std::make_shared<NormalParts>();
    std::shared_ptr<const SparseParts> sparse_;    // null: W_c's products are dense
    std::shared_ptr<const CompactParts> compact_;  // W_r in float, where it is dense and floats

    template <typename>
    friend class ClosedLoopSystem;  // cast
};

// Discrete-time vanilla RNN h' = φ(W h + c): fixed points are the zeros of G(h) = φ(Wh + c) - h.
template <typename Scalar>
class DiscreteSystem : public Unstructured<Scalar> {
public:
    using Matrix = RowMatrix<Scalar>;
    static constexpr bool discrete_time = true;
    static constexpr bool rows_independent = true;  // its products are PackedMatrix's

    DiscreteSystem(Matrix recurrent, Vector<Scalar> offset, Activation activation)
            : W_(std::move(recurrent)), offset_(std::move(offset)), activation_(activation) {
        if (W_.rows() != W_.cols()) throw std::invalid_argument("recurrent must be N x N");
        if (offset_.size() != W_.rows()) throw std::invalid_argument("offset must have length N");
    }

    // The same system in another precision (rounded weights).
    template <typename Other>
    DiscreteSystem<Other> cast() const {
        return {W_.template cast<Other>(), offset_.template cast<Other>(), activation_};
    }

    Eigen::Index size() const { return W_.rows(); }

    Matrix velocity(const Matrix& X) const {
        if (X.cols() != size()) throw std::invalid_argument("states must have N columns");
        Matrix drive = packed_.times_transpose(W_, X);
        drive.rowwise() += offset_.transpose();
        Matrix G(X.rows(), X.cols());
        apply_activation(activation_, drive, G);
        G -= X;
        return G;
    }

    // The slopes φ'(W h + c) at each row of X, all that J's products need (no curvature).
    Linearization<Scalar> first_order(const Matrix& X) const {
        const Matrix rates = velocity(X) + X;  // φ(W h + c)
        Linearization<Scalar> lin;
        lin.slopes.resize(X.rows(), X.cols());
        activation_slope(activation_, rates, lin.slopes);
        return lin;
    }

    Linearization<Scalar> linearize(const Matrix& X, const Matrix& G, Matrix& gradient) const {
        const Matrix rates = G + X;  // φ(W h + c)
        Linearization<Scalar> lin;
        lin.slopes.resize(X.rows(), X.cols());
        lin.curvature.resize(X.rows(), X.cols());
        activation_slope(activation_, rates, lin.slopes);
        activation_curvature(activation_, rates, lin.curvature);
        lin.curvature = lin.curvature.cwiseProduct(G);  // G ⊙ φ'': the exact Hessian's weights
        gradient = packed_.times(W_, lin.slopes.cwiseProduct(G));
        gradient -= G;
        return lin;
    }

    // J V, rows: φ' ⊙ (v Wᵀ) - v.
    Matrix jacobian_product(const Linearization<Scalar>& lin, const Matrix& V) const {
        lin.check(V);
        Matrix JV = lin.slopes.cwiseProduct(packed_.times_transpose(W_, V));
        JV -= V;
        return JV;
    }

    // Jᵀ U, rows: (φ' ⊙ u) W - u.
    Matrix jacobian_transpose_product(const Linearization<Scalar>& lin, const Matrix& U) const {
        lin.check(U);
        Matrix JtU = packed_.times(W_, lin.slopes.cwiseProduct(U));
        JtU -= U;
        return JtU;
    }

    // H V = Jᵀ J V (+ Wᵀ diag(G ⊙ φ'') W V when exact), with the two W-products shared:
    // rows ((φ' ⊙ JV) + (G ⊙ φ'' ⊙ V Wᵀ)) W - JV.
    Matrix hessian_product(const Linearization<Scalar>& lin, const Matrix& V, bool exact) const {
        lin.check(V);
        const Matrix VW = packed_.times_transpose(W_, V);
        Matrix JV = lin.slopes.cwiseProduct(VW) - V;
        Matrix inner = lin.slopes.cwiseProduct(JV);
        if (exact) inner += lin.curvature.cwiseProduct(VW);
        Matrix HV = packed_.times(W_, inner);
        HV -= JV;
        return HV;
    }

    Matrix jacobian(const Linearization<Scalar>& lin, Eigen::Index row) const {
        Matrix J = lin.slopes.row(row).transpose().asDiagonal() * W_;
        J.diagonal().array() -= Scalar(1);
        return J;
    }

    // The lower triangle of JᵀJ at row `row`, into `normal` (column-major), from the dense J.
    void gauss_newton(const Linearization<Scalar>& lin, Eigen::Index row,
                      ColMatrix<Scalar>& normal) const {
        this->normal_from_dense(jacobian(lin, row), normal);
    }

    // normal += Σ_k G_k ∇²G_k = Wᵀ diag(G ⊙ φ'') W at row `row` (lower triangle; an N³ product).
    void add_second_order(const Linearization<Scalar>& lin, Eigen::Index row,
                          ColMatrix<Scalar>& normal) const {
        const ColMatrix<Scalar> scaled = lin.curvature.row(row).transpose().asDiagonal() * W_;
        normal.template triangularView<Eigen::Lower>() += W_.transpose() * scaled;
    }

private:
    Matrix W_;
    PackedProducts<Scalar> packed_;  // W_ for the batched products
    Vector<Scalar> offset_;
    Activation activation_;
};

// The dense Hessian of q at row `row` of a linearization, exact or Gauss-Newton JᵀJ, into
// `hessian` (N x N, column-major, its storage reused); only its lower triangle is written (what
// a Cholesky factorisation reads).
template <class System, typename Scalar>
void dense_hessian(const System& system, const Linearization<Scalar>& lin, Eigen::Index row,
                   bool exact, ColMatrix<Scalar>& hessian) {
    system.gauss_newton(lin, row, hessian);
    if (exact) system.add_second_order(lin, row, hessian);
}

template <class System, typename Scalar>
ColMatrix<Scalar> dense_hessian(const System& system, const Linearization<Scalar>& lin,
                                Eigen::Index row, bool exact) {
    ColMatrix<Scalar> hessian;
    dense_hessian(system, lin, row, exact, hessian);
    return hessian;
}

}  // namespace rnndyn
