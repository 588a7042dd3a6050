package io.framestream.server;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waiting on a condition, for tests on a busy machine. */
public final class Await {

  public static final Duration DEFAULT = Duration.ofSeconds(20);

  private Await() {}

  public static void until(String what, BooleanSupplier condition) {
    until(() -> what, condition, DEFAULT);
  }

  public static void until(Supplier<String> what, BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after " + timeout + " waiting for: " + what.get());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }

  /** Parks to pace a load generator; never used for synchronisation. */
  public static void pace(long nanos) {
    if (nanos > 0) {
      LockSupport.parkNanos(nanos);
    }
  }
}
