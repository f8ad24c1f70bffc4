// Eigen aliases shared by the core. Matrices are row-major so that NumPy's C-ordered arrays
// map onto them without a copy.
#pragma once

#include <Eigen/Core>

namespace rnndyn {

template <typename Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <typename Scalar>
using ColMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

template <typename Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

template <typename Scalar>
using MatrixRef = Eigen::Ref<RowMatrix<Scalar>>;

template <typename Scalar>
using ConstMatrixRef = Eigen::Ref<const RowMatrix<Scalar>>;

template <typename Scalar>
using VectorRef = Eigen::Ref<Vector<Scalar>>;

template <typename Scalar>
using ConstVectorRef = Eigen::Ref<const Vector<Scalar>>;

}  // namespace rnndyn
