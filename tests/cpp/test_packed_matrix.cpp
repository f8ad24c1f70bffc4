// PackedMatrix (packed_matrix.hpp) against Eigen's product, over shapes that leave partial
// panels, depth blocks and state groups; and each row's result independent of the others.
#include <string>

#include <rnndyn/packed_matrix.hpp>

#include "check.hpp"
#include "fixtures.hpp"

namespace {

using fixtures::Index;
using fixtures::Matrix;

TEST(packed_products_match_eigen) {
    using Packed = rnndyn::PackedMatrix<double>;
    // rows: within one panel, a partial last panel, several; columns: across a depth block
    for (const Index rows : {Index(1), Index(Packed::kPanelRows) + 1, Index(50)}) {
        for (const Index cols : {Index(3), Packed::kDepth + 7}) {
            const Matrix A = fixtures::uniform(rows, cols, 11);
            const Packed packed(A);
            CHECK(packed.rows() == rows && packed.cols() == cols);
            for (const Index states : {1, 2, 3, 4, 7, 9}) {
                const check::Context context(std::to_string(rows) + "x" + std::to_string(cols) +
                                             ", " + std::to_string(states) + " states");
                const Matrix V = fixtures::uniform(states, cols, 12);
                const Matrix expected = V * A.transpose();
                CHECK_CLOSE(packed.apply(V), expected, 1e-14);
                // a row alone gives the same bits as in the block
                const Matrix alone = packed.apply(V.bottomRows(1));
                CHECK((alone.array() == packed.apply(V).bottomRows(1).array()).all());
            }
        }
    }
}

TEST(packed_products_of_a_matrix_of_floats_stored_as_floats_are_the_double_ones) {
    // A's entries are floats (as an ESN's W_r): stored as floats and widened, the products
    // must be the double matrix's bit for bit, in every shape and group of states (50 rows:
    // batches of 4 panels and a panel left over)
    using Packed = rnndyn::PackedMatrix<double>;
    for (const Index rows : {Index(1), Index(50)}) {
        const Matrix A =
            fixtures::uniform(rows, Packed::kDepth + 7, 17).cast<float>().cast<double>();
        const Packed wide(A);
        const rnndyn::PackedMatrix<double, float> compact(A);
        for (const Index states : {1, 2, 3, 5, 9}) {
            const check::Context context(std::to_string(rows) + " rows, " + std::to_string(states) +
                                         " states");
            const Matrix V = fixtures::uniform(states, A.cols(), 18);
            CHECK((compact.apply(V).array() == wide.apply(V).array()).all());
            CHECK_CLOSE(compact.apply(V), Matrix(V * A.transpose()), 1e-14);
        }
    }
}

TEST(packed_products_of_float_match_eigen) {
    const rnndyn::RowMatrix<float> A = fixtures::uniform(37, 300, 13).cast<float>();
    const rnndyn::RowMatrix<float> V = fixtures::uniform(5, 300, 14).cast<float>();
    const rnndyn::PackedMatrix<float> packed(A);
    CHECK_CLOSE(packed.apply(V), rnndyn::RowMatrix<float>(V * A.transpose()), 1e-5);
}

TEST(packed_transpose_products_match_eigen) {
    const Matrix W = fixtures::uniform(40, 40, 15), U = fixtures::uniform(6, 40, 16);
    const rnndyn::PackedProducts<double> products;
    CHECK_CLOSE(products.times_transpose(W, U), Matrix(U * W.transpose()), 1e-14);
    CHECK_CLOSE(products.times(W, U), Matrix(U * W), 1e-14);
}

}  // namespace
