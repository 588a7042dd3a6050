package io.framestream.benchmarks.jmh;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.function.Predicate;

/**
 * Bytes allocated so far by the live threads of this JVM that a benchmark counts as the server's (HotSpot's
 * per-thread counters), for allocation figures that {@code -prof gc} cannot give: it sees only the benchmark
 * thread.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
final class ThreadAllocation {

  private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

  private ThreadAllocation() {}

  /**
   * Bytes the calling thread has allocated so far.
   *
   * @return HotSpot's counter for the calling thread
   */
  static long ofCurrentThread() {
    return THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  /**
   * Sums the bytes allocated by every live thread that is not skipped.
   *
   * @param skip the threads not to count (the benchmark's own, the clients')
   * @return the sum over the counted threads
   */
  static long allocatedBytes(Predicate<ThreadInfo> skip) {
    long sum = 0;
    for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (info == null || skip.test(info)) {
        continue;
      }
      long bytes = THREADS.getThreadAllocatedBytes(info.getThreadId());
      if (bytes > 0) {
        sum += bytes;
      }
    }
    return sum;
  }
}
