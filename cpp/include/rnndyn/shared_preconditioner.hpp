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

#include "block.hpp"

namespace rnndyn {

// M⁻¹ = (LU of the dense J at one state)⁻¹, applied to each row. The LU is in float where J
// fits float's range: M only has to approximate the Jacobians of the states around that one,
// which differ from it by far more than float's rounding, and GMRES still solves to its own
// tolerance; the factorisation and the triangular solves take half the time.
template <typename Scalar>
class DenseLuPreconditioner {
public:
    using Matrix = RowMatrix<Scalar>;

    // Factorises Jᵀ, whose column-major storage is that of the row-major J: no transposing copy.
    template <class System>
    DenseLuPreconditioner(const System& system, const Matrix& state) {
        const Matrix J = system.jacobian(system.first_order(state), 0);
        const Eigen::Map<const ColMatrix<Scalar>> J_t(J.data(), J.cols(), J.rows());
        const ColMatrix<float> rounded = J_t.template cast<float>();
        coarse_ = rounded.allFinite();
        if (coarse_) {
            lu_float_.compute(rounded);
        } else {
            lu_.compute(J_t);
        }
    }

    Matrix operator()(const Matrix& V) const {
        if (!coarse_) return solve(lu_, V);
        return solve(lu_float_, RowMatrix<float>(V.template cast<float>())).template cast<Scalar>();
    }

private:
    // Rows x with J x = v, each row v of V: Jᵀ's LU solves transposed.
    template <typename Factor>
    static RowMatrix<Factor> solve(const Eigen::PartialPivLU<ColMatrix<Factor>>& lu,
                                   const RowMatrix<Factor>& V) {
        const ColMatrix<Factor> X = lu.transpose().solve(V.transpose());  // N x K
        return X.transpose();
    }

    bool coarse_ = false;
    Eigen::PartialPivLU<ColMatrix<float>> lu_float_;  // of Jᵀ, when coarse_
    Eigen::PartialPivLU<ColMatrix<Scalar>> lu_;       // of Jᵀ, otherwise
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
