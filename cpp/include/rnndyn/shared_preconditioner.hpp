// Newton's last steps shared across states heading to the same point. Near a flip-flop's
// memories J has a cloud of eigenvalues near 0 and GMRES needs its full 100 products per step;
// with the dense LU of J at a nearby state as right preconditioner it needs a handful. States
// with small q are grouped around the one with the least q in each group; each group pays for
// one factorisation (2N³/3 flops), shared by all its members.
#pragma once

#include <algorithm>
#include <numeric>
#include <vector>

#include <Eigen/LU>

#include "minimize_common.hpp"

namespace rnndyn {

// M⁻¹ = (LU of the dense J at one state)⁻¹, applied to each row.
template <typename Scalar>
class DenseLuPreconditioner {
public:
    using Matrix = RowMatrix<Scalar>;

    // Factorises Jᵀ, whose column-major storage is that of the row-major J: no transposing copy.
    template <class System>
    DenseLuPreconditioner(const System& system, const Matrix& state) {
        const Block<Scalar> at(system, state);
        const Matrix J = system.jacobian(at.lin, 0);
        lu_.compute(Eigen::Map<const ColMatrix<Scalar>>(J.data(), J.cols(), J.rows()));
    }

    Matrix operator()(const Matrix& V) const {
        const ColMatrix<Scalar> X = lu_.transpose().solve(V.transpose());  // N x K
        return X.transpose();
    }

private:
    Eigen::PartialPivLU<ColMatrix<Scalar>> lu_;  // of Jᵀ
};

// A group of rows sharing one preconditioner, built at `center`.
struct Cluster {
    Eigen::Index center;
    Rows members;  // ascending, `center` among them
};

// Groups `rows` of `points`: in order of increasing q (ties by row), each row not yet taken
// becomes a center and takes every free row within `radius` (1 + |center|) of it.
template <typename Scalar>
std::vector<Cluster> cluster_rows(const RowMatrix<Scalar>& points, const Vector<Scalar>& q,
                                  Rows rows, double radius) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](Eigen::Index a, Eigen::Index b) { return q(a) < q(b); });
    std::vector<Cluster> clusters;
    std::vector<char> taken(rows.size(), 0);
    for (std::size_t c = 0; c < rows.size(); ++c) {
        if (taken[c]) continue;
        const auto center = points.row(rows[c]);
        const Scalar reach = Scalar(radius) * (Scalar(1) + center.norm());
        Cluster cluster{rows[c], {}};
        for (std::size_t k = c; k < rows.size(); ++k) {
            if (!taken[k] && (points.row(rows[k]) - center).norm() <= reach) {
                taken[k] = 1;
                cluster.members.push_back(rows[k]);
            }
        }
        std::sort(cluster.members.begin(), cluster.members.end());
        clusters.push_back(std::move(cluster));
    }
    return clusters;
}

}  // namespace rnndyn
