// rnndyn_bench: times the core's inner loops in C++ alone, without Python in the way, and
// prints a plain table (README: Development).
//
//   rnndyn_bench [--n N] [--threads T] [--repetitions R] [--quick]

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace {

using bench::Index;
using bench::Sizes;
using bench::Timing;

void usage(const char* program) {
    std::fprintf(stderr,
                 "usage: %s [--n N] [--threads T] [--repetitions R] [--quick]\n"
                 "  --n N            units (default 1000)\n"
                 "  --threads T      n_jobs of the core (default 1)\n"
                 "  --repetitions R  timed repetitions after one warm-up (default 5)\n"
                 "  --quick          N = 100, short runs, 3 repetitions: a smoke test\n",
                 program);
}

// The value after a flag, as a positive integer; false if missing or malformed.
bool positive_argument(int argc, char** argv, int& i, long& value) {
    if (i + 1 >= argc) return false;
    char* end = nullptr;
    value = std::strtol(argv[++i], &end, 10);
    return *end == '\0' && value > 0;
}

// Options apply in order, so `--quick --n 200` is quick at N = 200.
bool parse(int argc, char** argv, Sizes& sizes) {
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        long value = 0;
        if (flag == "--quick") {
            sizes.n = 100;
            sizes.steps = 100;
            sizes.updates = 50;
            sizes.products = 10;
            sizes.repetitions = 3;
        } else if (flag == "--n" && positive_argument(argc, argv, i, value)) {
            sizes.n = Index(value);
        } else if (flag == "--threads" && positive_argument(argc, argv, i, value)) {
            sizes.threads = int(value);
        } else if (flag == "--repetitions" && positive_argument(argc, argv, i, value)) {
            sizes.repetitions = int(value);
        } else {
            return false;
        }
    }
    return true;
}

struct Row {
    std::string workload, scalar;
    int threads;
    Timing timing;
    std::string note;
};

// "  12.3 µs" etc.: 3 significant digits in a unit chosen by size. The unit is printed after
// the padded number, as "µ" takes two bytes and would upset printf's widths.
std::string duration(double seconds) {
    const char* unit = " s";
    double value = seconds;
    if (seconds < 1e-3) {
        unit = "µs";
        value = seconds * 1e6;
    } else if (seconds < 1) {
        unit = "ms";
        value = seconds * 1e3;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%8.*f ", value < 10 ? 2 : value < 100 ? 1 : 0, value);
    return text + std::string(unit);
}

void print(const std::vector<Row>& rows, const Sizes& sizes) {
    std::printf(
        "rnndyn_bench: N = %ld, threads = %d; median and min of %d repetitions after a "
        "warm-up\n",
        long(sizes.n), sizes.threads, sizes.repetitions);
#ifdef NDEBUG
    const char* assertions = "off";
#else
    const char* assertions = "ON (timings not representative: build Release)";
#endif
    std::printf("Eigen %d.%d.%d, SIMD: %s; assertions %s\n\n", EIGEN_WORLD_VERSION,
                EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION, Eigen::SimdInstructionSetsInUse(),
                assertions);
    std::printf("%-40s %-7s %6s %7s  %11s  %11s  %s\n", "workload", "scalar", "N", "threads",
                "median", "min", "note");
    for (const Row& row : rows)
        std::printf("%-40s %-7s %6ld %7d  %s  %s  %s\n", row.workload.c_str(), row.scalar.c_str(),
                    long(sizes.n), row.threads, duration(row.timing.median).c_str(),
                    duration(row.timing.min).c_str(), row.note.c_str());
}

template <typename Scalar>
void run_force_workloads(const Sizes& sizes, const char* scalar, std::vector<Row>& rows) {
    const std::string steps = std::to_string(sizes.steps);
    rows.push_back({"simulation step (run, no RLS)", scalar, sizes.threads,
                    bench::simulation_step<Scalar>(sizes), "per step, runs of " + steps});
    rows.push_back({"RLS update (Rls: gain, defer, flush)", scalar, sizes.threads,
                    bench::rls_update<Scalar>(sizes),
                    "per update, " + std::to_string(sizes.updates) + " in a row"});
    const Timing force = bench::force_step<Scalar>(sizes);
    rows.push_back({"FORCE step (run + Rls, train_every 1)", scalar, sizes.threads, force,
                    "per step, Table 1 set-up"});
    rows.push_back({"FORCE run, total", scalar, sizes.threads, force.scaled(double(sizes.steps)),
                    steps + " steps"});
}

}  // namespace

int main(int argc, char** argv) {
    Sizes sizes;
    if (!parse(argc, argv, sizes)) {
        usage(argv[0]);
        return 2;
    }
    std::vector<Row> rows;
    run_force_workloads<double>(sizes, "float64", rows);
    run_force_workloads<float>(sizes, "float32", rows);
    const std::string K = "K = " + std::to_string(sizes.starts);
    // one batched product: two K x N x N matrix products, on the calling thread
    rows.push_back({"Hessian-vector product (ClosedLoop)", "float64", 1,
                    bench::hessian_product(sizes), "per product, " + K + " rows"});
    Index converged = 0;
    int iterations = 0;
    const Timing search = bench::fixed_point_search(sizes, converged, iterations);
    // threads take whole blocks of rnndyn::kBlockRows points: K = 32 is one, for one thread
    rows.push_back({"fixed-point search (minimize, Newton)", "float64", sizes.threads, search,
                    "per search, " + K + " starts, g = 0.9: " + std::to_string(converged) + "/" +
                        std::to_string(sizes.starts) +
                        " reached q <= tol_q in <= " + std::to_string(iterations) + " iterations"});
    print(rows, sizes);
}
