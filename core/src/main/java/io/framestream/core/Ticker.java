package io.framestream.core;

/**
 * The time source of a registry, its channels and its sources' runners: monotonic nanoseconds for every
 * delay, timeout, rate and age, and wall-clock milliseconds. {@link #system()} reads the JVM's clocks; a
 * test passes a manual clock instead (the testkit's {@code ManualClock}) and advances it, so that stall
 * timeouts, idle expiry, grace periods, frame rates and restart delays happen when the test says, not
 * after real waiting.
 *
 * <p>Named {@code Ticker} so as not to clash with {@link java.time.Clock}.
 *
 * <h2>Thread safety</h2>
 *
 * Implementations must be thread-safe: every thread of a registry reads them.
 *
 * @since 0.2.0
 */
public interface Ticker {

  /**
   * Returns the system ticker: {@link System#nanoTime()} and {@link System#currentTimeMillis()}.
   *
   * @return the shared system ticker
   */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }

  /**
   * Returns the current value of a monotonic clock, in nanoseconds; only differences between two values
   * mean anything, as with {@link System#nanoTime()}.
   *
   * @return nanoseconds since an arbitrary origin
   */
  long nanoTime();

  /**
   * Returns the wall-clock time.
   *
   * @return milliseconds since 1970-01-01T00:00:00Z
   */
  long currentTimeMillis();

  /**
   * Tells a thread that waits for some of this ticker's time how long it may block, in real time, before it
   * reads the ticker again. A ticker that follows real time (the default) answers {@code nanos}: the wait
   * ends when that much real time has passed. A ticker that jumps ahead when told to (a test's manual clock)
   * answers a few milliseconds at most, so that waiting threads notice the jump promptly.
   *
   * @param nanos how much of this ticker's time is still to wait, positive
   * @return how long to block before looking again, between 1 and {@code nanos}
   */
  default long maxSleepNanos(long nanos) {
    return nanos;
  }
}
