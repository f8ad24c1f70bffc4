// SparsePlusLowRank (sparse_products.hpp) against Eigen's dense products, over shapes that
// leave partial groups of rows and of lanes, with and without the low-rank part; each row's
// result independent of the others; and ClosedLoopSystem's sparse products against its dense
// ones, with W_r checked against W_c.
#include <string>

#include <rnndyn/sparse_products.hpp>
#include <rnndyn/systems.hpp>

#include "check.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;
using Sparse = rnndyn::SparsePlusLowRank<double>;

// A uniform matrix with about `density` of its entries kept, and row 1 empty.
Matrix sparse_uniform(Index rows, Index cols, double density, std::uint64_t seed) {
    const Matrix keep = fixtures::uniform(rows, cols, seed + 1, 0, 1);
    Matrix A = fixtures::uniform(rows, cols, seed);
    A = (keep.array() < density).select(A, 0.0);
    if (rows > 1) A.row(1).setZero();
    return A;
}

TEST(sparse_plus_low_rank_products_match_eigen) {
    for (const Index rank : {Index(0), Index(2)}) {
        const Matrix S = sparse_uniform(23, 31, 0.2, 21);
        const Matrix L = fixtures::uniform(23, rank, 22), R = fixtures::uniform(rank, 31, 23);
        const Matrix A = S + L * R;
        const Sparse sparse(S, L, R);
        CHECK(sparse.rows() == 23 && sparse.cols() == 31);
        CHECK(Sparse::density(S) == double((S.array() != 0).count()) / double(S.size()));
        for (const Index states : {1, 2, 3, 4, 5, 9}) {
            const check::Context context("rank " + std::to_string(rank) + ", " +
                                         std::to_string(states) + " states");
            const Matrix V = fixtures::uniform(states, 31, 24),
                         U = fixtures::uniform(states, 23, 25);
            CHECK_CLOSE(sparse.apply(V), Matrix(V * A.transpose()), 1e-14);
            CHECK_CLOSE(sparse.transposed().apply(U), Matrix(U * A), 1e-14);
            // a row alone gives the same bits as in the block
            const Matrix alone = sparse.apply(V.bottomRows(1));
            CHECK((alone.array() == sparse.apply(V).bottomRows(1).array()).all());
        }
    }
}

TEST(sparse_products_in_float_match_eigen) {
    const Matrix S = sparse_uniform(40, 40, 0.1, 26), L = fixtures::uniform(40, 1, 27),
                 R = fixtures::uniform(1, 40, 28);
    const rnndyn::SparsePlusLowRank<float> sparse = Sparse(S, L, R).cast<float>();
    const rnndyn::RowMatrix<float> V = fixtures::uniform(11, 40, 29).cast<float>();
    const rnndyn::RowMatrix<float> A = (S + L * R).cast<float>();
    CHECK_CLOSE(sparse.apply(V), rnndyn::RowMatrix<float>(V * A.transpose()), 1e-5);
    CHECK_CLOSE(sparse.transposed().apply(V), rnndyn::RowMatrix<float>(V * A), 1e-5);
}

TEST(closed_loop_products_through_a_sparse_reservoir_match_the_dense_ones) {
    const Index n = 60;
    const Matrix W_r = sparse_uniform(n, n, 0.1, 31), W_fb = fixtures::uniform(n, 2, 32),
                 W_o = fixtures::uniform(2, n, 33, -0.1, 0.1);
    const Matrix W_c = W_r + W_fb * W_o;
    const fixtures::Vector c = fixtures::uniform_vector(n, 34);
    using System = rnndyn::ClosedLoopSystem<double>;
    const System dense(W_c, c, rnndyn::Activation::Tanh, W_fb, W_o);
    const System sparse(W_c, c, rnndyn::Activation::Tanh, W_fb, W_o, W_r);
    CHECK(sparse.sparse() && !dense.sparse());
    const Matrix X = fixtures::uniform(5, n, 35, -2, 2), V = fixtures::uniform(5, n, 36);
    CHECK_CLOSE(sparse.velocity(X), dense.velocity(X), 1e-13);
    const auto lin = sparse.first_order(X);
    CHECK_CLOSE(sparse.jacobian_product(lin, V), dense.jacobian_product(lin, V), 1e-13);
    CHECK_CLOSE(sparse.jacobian_transpose_product(lin, V), dense.jacobian_transpose_product(lin, V),
                1e-13);
    const auto single = sparse.cast<float>();
    CHECK(single.sparse());
    CHECK_CLOSE(single.velocity(X.cast<float>()).cast<double>(), dense.velocity(X), 1e-5);
    // a dense W_r keeps the dense products; a W_r that is not W_c - W_fb W_o is refused
    const Matrix full = fixtures::uniform(n, n, 37);
    CHECK(!System(full + W_fb * W_o, c, rnndyn::Activation::Tanh, W_fb, W_o, full).sparse());
    CHECK_THROWS(System(W_c, c, rnndyn::Activation::Tanh, W_fb, W_o, W_r * 1.01),
                 std::invalid_argument);
    CHECK_THROWS(System(W_c, c, rnndyn::Activation::Tanh, W_fb, W_o, Matrix(W_r.topRows(n - 1))),
                 std::invalid_argument);
}

}  // namespace
