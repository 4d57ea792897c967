// Splitting work over the two cores a node is sized for (DESIGN §8).
#pragma once

#include <thread>

namespace physis {

// Runs run(0, n) on this thread, or run(0, n/2) here and run(n/2, n) on a second thread when n is at
// least `threshold`. `run` must be safe to call from two threads on disjoint ranges.
template <typename Run>
void run_split(int n, int threshold, Run& run) {
  if (n < threshold) return run(0, n);
  std::thread helper(run, n / 2, n);
  run(0, n / 2);
  helper.join();
}

}  // namespace physis
