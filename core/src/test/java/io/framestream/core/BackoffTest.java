package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void delaysDoubleUpToTheMaximumWithJitterInTheUpperHalf() {
    Backoff.Attempts a = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000)).attempts();
    long[] steps = {100, 200, 400, 800, 1000, 1000};
    for (long step : steps) {
      long d = a.nextDelayNanos() / 1_000_000;
      assertTrue(d >= step / 2 && d <= step, "delay " + d + " ms outside [" + step / 2 + ", " + step + "]");
    }
    a.reset();
    assertTrue(a.nextDelayNanos() <= 100_000_000L, "reset goes back to the first step");
  }

  @Test
  void hugeBoundsNeverOverflow() {
    Backoff.Attempts a = new Backoff(Duration.ofHours(20), Backoff.LIMIT).attempts();
    for (int i = 0; i < 100; i++) {
      long d = a.nextDelayNanos();
      assertTrue(d > 0 && d <= Backoff.LIMIT.toNanos(), "delay " + d);
    }
  }

  @Test
  void invalidBoundsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(1), Duration.ofDays(2)));
    assertThrows(NullPointerException.class, () -> new Backoff(null, Duration.ofSeconds(1)));
  }
}
