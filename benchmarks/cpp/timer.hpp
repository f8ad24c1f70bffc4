// Wall-clock timing by repetition, reported as the median and the minimum over repetitions.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace bench {

struct Timing {
    double median = 0;  // seconds per item
    double min = 0;

    Timing scaled(double factor) const { return {median * factor, min * factor}; }
};

// Calls setup() (untimed) and then work() (timed) `repetitions` times, after one untimed
// warm-up round that fills caches and page-faults the buffers in. Each sample is divided by
// `items`, the steps, updates or products that one work() performs.
template <class Setup, class Work>
Timing measure(int repetitions, double items, Setup&& setup, Work&& work) {
    using Clock = std::chrono::steady_clock;
    std::vector<double> samples;
    for (int round = -1; round < repetitions; ++round) {
        setup();
        const auto start = Clock::now();
        work();
        const std::chrono::duration<double> elapsed = Clock::now() - start;
        if (round >= 0) samples.push_back(elapsed.count() / items);
    }
    std::sort(samples.begin(), samples.end());
    const std::size_t middle = samples.size() / 2;
    const double median =
        samples.size() % 2 == 1 ? samples[middle] : (samples[middle - 1] + samples[middle]) / 2;
    return {median, samples.front()};
}

}  // namespace bench
