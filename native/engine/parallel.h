// The one place that touches OpenMP. Without OpenMP everything runs on the calling thread.
// Exceptions never cross the parallel region: the first one is caught and rethrown after.
#pragma once
#include <cstdint>
#include <exception>
#include <mutex>

#ifdef GROVE_HAVE_OPENMP
#include <omp.h>
#endif

namespace grove {

inline int32_t hardware_threads() {
#ifdef GROVE_HAVE_OPENMP
  return omp_get_num_procs();
#else
  return 1;
#endif
}

// fn(i) for i in [0, n), spread over `threads` threads, items handed out one at a time.
// fn(i, thread) receives a thread slot in [0, threads) for per-thread workspaces.
template <typename Fn>
void parallel_for_slots(int64_t n, int32_t threads, Fn&& fn) {
  std::exception_ptr error;
  std::mutex error_lock;
  if (threads < 1) threads = 1;
  if (threads > n) threads = static_cast<int32_t>(n < 1 ? 1 : n);
#ifdef GROVE_HAVE_OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
  for (int64_t i = 0; i < n; ++i) {
    {
      std::lock_guard<std::mutex> g(error_lock);
      if (error) continue;
    }
    try {
#ifdef GROVE_HAVE_OPENMP
      fn(i, static_cast<int32_t>(omp_get_thread_num()));
#else
      fn(i, 0);
#endif
    } catch (...) {
      std::lock_guard<std::mutex> g(error_lock);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

template <typename Fn>
void parallel_for(int64_t n, int32_t threads, Fn&& fn) {
  parallel_for_slots(n, threads, [&](int64_t i, int32_t) { fn(i); });
}

}  // namespace grove
