// A small parallel-for over independent work items with std::thread (no OpenMP: see STYLE.md).
#pragma once

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace rnndyn {

// Calls work(i) for i in [0, count) on up to n_jobs threads (the caller's included). Items are
// handed out in order from a shared counter; the first exception is rethrown after all stop.
template <class Work>
void parallel_for(std::size_t count, int n_jobs, Work&& work) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto worker = [&] {
        for (std::size_t i = next++; i < count; i = next++) {
            try {
                work(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(failure_mutex);
                if (!failure) failure = std::current_exception();
                next = count;
            }
        }
    };
    const std::size_t threads = std::min<std::size_t>(n_jobs < 1 ? 1 : n_jobs, count);
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& thread : pool) thread.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace rnndyn
