// A team of threads that run one loop together and meet at barriers (SPMD), for loops whose
// steps (~100 us) are too short to hand out as tasks (parallel.hpp) one by one.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <Eigen/Core>

namespace rnndyn {

class Team {
public:
    explicit Team(int size) : size_(std::max(1, size)) {}

    int size() const { return size_; }

    // Calls body(rank) for rank = 0 .. size-1 on as many threads (rank 0 on the caller's).
    // `body` must not throw once it has passed a barrier: the others would wait there forever;
    // check arguments before `run`.
    template <class Body>
    void run(Body&& body) {
        std::exception_ptr failure;
        std::mutex failure_mutex;
        auto guarded = [&](int rank) {
            try {
                body(rank);
            } catch (...) {
                std::lock_guard<std::mutex> lock(failure_mutex);
                if (!failure) failure = std::current_exception();
            }
        };
        std::vector<std::thread> others;
        for (int rank = 1; rank < size_; ++rank) others.emplace_back(guarded, rank);
        guarded(0);
        for (auto& thread : others) thread.join();
        if (failure) std::rethrow_exception(failure);
    }

    // Waits until every thread of the team has arrived (sense-reversing counter). Spins first,
    // since the wait is usually microseconds, then yields so that an oversubscribed machine
    // still makes progress.
    void barrier() {
        if (size_ == 1) return;
        const unsigned generation = generation_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == size_) {
            arrived_.store(0, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_release);
            return;
        }
        for (int spins = 0; generation_.load(std::memory_order_acquire) == generation; ++spins)
            if (spins > 2000) std::this_thread::yield();
    }

private:
    int size_;
    std::atomic<int> arrived_{0};
    std::atomic<unsigned> generation_{0};
};

// Boundaries (parts + 1) that split rows 0 .. n into `parts` ranges of equal work: `triangle`
// for the rows of a lower triangle (row i costs i + 1), else plain rows. Boundaries are
// multiples of 8 (vector width) except the last, and depend only on n and parts, so work split
// this way sums in the same order whatever the number of threads.
inline std::vector<Eigen::Index> split_rows(Eigen::Index n, int parts, bool triangle) {
    std::vector<Eigen::Index> bounds(parts + 1, n);
    bounds[0] = 0;
    for (int p = 1; p < parts; ++p) {
        const double share = double(p) / parts;
        const double row = triangle ? n * std::sqrt(share) : n * share;
        bounds[p] = std::clamp<Eigen::Index>(Eigen::Index(row) / 8 * 8, bounds[p - 1], n);
    }
    return bounds;
}

}  // namespace rnndyn
