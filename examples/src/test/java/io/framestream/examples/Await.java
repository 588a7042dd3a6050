package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Bounded waiting on a condition, for tests on a busy machine. */
final class Await {

  private static final Duration POLL = Duration.ofMillis(100);

  private Await() {}

  static void until(String what, BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after " + timeout + " waiting for: " + what);
      }
      pause(POLL);
    }
  }

  /** Spaces out the polls of a bounded wait; never used for synchronisation. */
  static void pause(Duration d) {
    LockSupport.parkNanos(d.toNanos());
  }
}
