package io.framestream.transport.sse;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waiting on a condition, for tests on a busy two-core machine. Never a bare sleep. */
final class Await {

  /** The default bound: generous, because the machine is shared. */
  static final Duration DEFAULT = Duration.ofSeconds(20);

  private Await() {}

  static void await(String what, BooleanSupplier condition) {
    await(what, condition, DEFAULT);
  }

  static void await(String what, BooleanSupplier condition, Duration timeout) {
    await(() -> what, condition, timeout);
  }

  static void await(Supplier<String> what, BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after " + timeout + " waiting for: " + what.get());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** Parks for a while without a condition: only for pacing load generators, never for synchronisation. */
  static void pace(long nanos) {
    LockSupport.parkNanos(nanos);
  }
}
