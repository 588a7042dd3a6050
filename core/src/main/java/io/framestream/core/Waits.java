package io.framestream.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Bounded waits measured with a {@link Ticker}: the thread blocks for real in slices the ticker allows
 * ({@link Ticker#maxSleepNanos(long)}), and the wait ends when the ticker says the time is up.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
final class Waits {

  private Waits() {}

  /** Something to wait for, in real time, for at most the given nanoseconds. */
  @FunctionalInterface
  private interface Wait {
    /** Returns whether the awaited thing happened. */
    boolean await(long nanos) throws InterruptedException;
  }

  private static boolean await(Ticker ticker, long timeoutNanos, Wait wait) throws InterruptedException {
    return awaitUntil(ticker, ticker.nanoTime() + Math.max(0, timeoutNanos), wait);
  }

  private static boolean awaitUntil(Ticker ticker, long deadline, Wait wait) throws InterruptedException {
    while (true) {
      long remaining = deadline - ticker.nanoTime();
      if (remaining <= 0) {
        return wait.await(0);
      }
      if (wait.await(Math.max(1, Math.min(remaining, ticker.maxSleepNanos(remaining))))) {
        return true;
      }
    }
  }

  /**
   * Waits until the latch opens or the time is up.
   *
   * @return whether the latch opened
   */
  static boolean await(Ticker ticker, CountDownLatch latch, long timeoutNanos) throws InterruptedException {
    return latch.getCount() == 0 || await(ticker, timeoutNanos, n -> latch.await(n, TimeUnit.NANOSECONDS));
  }

  /**
   * Waits until the latch opens or the ticker reaches the deadline.
   *
   * @return whether the latch opened
   */
  static boolean awaitUntil(Ticker ticker, CountDownLatch latch, long deadline) throws InterruptedException {
    return latch.getCount() == 0 || awaitUntil(ticker, deadline, n -> latch.await(n, TimeUnit.NANOSECONDS));
  }

  /**
   * Waits until the thread has ended or the time is up.
   *
   * @return whether the thread has ended
   */
  static boolean join(Ticker ticker, Thread thread, long timeoutNanos) throws InterruptedException {
    return !thread.isAlive() || await(ticker, timeoutNanos, n -> {
      if (n > 0) {
        thread.join(TimeUnit.NANOSECONDS.toMillis(n), (int) (n % 1_000_000));
      }
      return !thread.isAlive();
    });
  }

  /**
   * Waits until the executor has terminated or the time is up.
   *
   * @return whether it terminated
   */
  static boolean awaitTermination(Ticker ticker, ExecutorService executor, long timeoutNanos)
      throws InterruptedException {
    return executor.isTerminated()
        || await(ticker, timeoutNanos, n -> executor.awaitTermination(n, TimeUnit.NANOSECONDS));
  }
}
