package io.framestream.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Bounded waiting on a condition, for tests on a busy machine. Never a bare sleep.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
public final class Await {

  /** The default bound: generous, because CI shares two cores with other tenants. */
  public static final Duration DEFAULT = Duration.ofSeconds(20);
  /** The first pause between polls: conditions that hold soon are seen at once. */
  private static final long FIRST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
  /** The longest pause between polls: long waits (a browser, a remote node) do not poll in a busy loop. */
  private static final long LAST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private Await() {}

  /**
   * Waits until a condition holds, failing the test after {@link #DEFAULT}.
   *
   * @param what what is awaited, for the failure message
   * @param condition the condition, polled every 2 ms at first, backing off to every 50 ms
   */
  public static void until(String what, BooleanSupplier condition) {
    until(what, condition, DEFAULT);
  }

  /**
   * Waits until a condition holds, failing the test after a timeout.
   *
   * @param what what is awaited, for the failure message
   * @param condition the condition, polled every 2 ms at first, backing off to every 50 ms
   * @param timeout the bound
   */
  public static void until(String what, BooleanSupplier condition, Duration timeout) {
    until(() -> what, condition, timeout);
  }

  /**
   * Waits until a condition holds, failing the test after a timeout with a message computed then.
   *
   * @param what what is awaited, computed on failure
   * @param condition the condition, polled every 2 ms at first, backing off to every 50 ms
   * @param timeout the bound
   */
  public static void until(Supplier<String> what, BooleanSupplier condition, Duration timeout) {
    holds(() -> "timed out after " + timeout + " waiting for: " + what.get(), condition, timeout);
  }

  /**
   * Waits until a condition holds, failing with exactly the given message after a timeout: for the
   * verifications, whose failures start with the rule they check.
   */
  static void holds(Supplier<String> failure, BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = FIRST_POLL_NANOS;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail(failure.get());
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, LAST_POLL_NANOS);
    }
  }

  /**
   * Parks for a while without a condition: only for pacing load generators, never for synchronisation.
   *
   * @param nanos how long
   */
  public static void pace(long nanos) {
    LockSupport.parkNanos(nanos);
  }
}
