package io.framestream.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waiting on a condition, for tests on a busy machine. Never a bare sleep. */
final class Await {

  /** The default bound: generous, because CI shares two cores with other tenants. */
  static final Duration DEFAULT = Duration.ofSeconds(20);

  private Await() {}

  static void until(String what, BooleanSupplier condition) {
    until(what, condition, DEFAULT);
  }

  static void until(String what, BooleanSupplier condition, Duration timeout) {
    until(() -> what, condition, timeout);
  }

  static void until(Supplier<String> what, BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after " + timeout + " waiting for: " + what.get());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }

  /** Parks for a while without a condition: only for pacing load generators, never for synchronisation. */
  static void pace(long nanos) {
    LockSupport.parkNanos(nanos);
  }
}
