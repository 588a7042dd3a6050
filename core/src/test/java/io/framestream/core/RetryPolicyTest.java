package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** The retry policies: growth, jitter range, reset, the server's hint; jitter made deterministic. */
class RetryPolicyTest {

  private static final long MS = 1_000_000L;

  /** Always draws the smallest jitter: every delay is the lower end of the upper half of its step. */
  private static final RandomGenerator LOWEST = new Fixed(false);
  /** Always draws the largest jitter: every delay is its whole step. */
  private static final RandomGenerator HIGHEST = new Fixed(true);

  private record Fixed(boolean highest) implements RandomGenerator {
    @Override
    public long nextLong() {
      throw new AssertionError("only nextLong(bound) is used");
    }

    @Override
    public long nextLong(long bound) {
      return highest ? bound - 1 : 0;
    }
  }

  private static long[] delaysMs(RetryPolicy.Attempts a, long hintNanos, int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = a.nextDelayNanos(hintNanos) / MS;
    }
    return out;
  }

  @Test
  void s3_exponentialDoublesFromMinToMaxWithinTheUpperHalfOfEachStep() {
    Duration min = Duration.ofMillis(100);
    Duration max = Duration.ofMillis(1000);
    long[] steps = {100, 200, 400, 800, 1000, 1000, 1000};
    assertArrayEquals(steps, delaysMs(RetryPolicy.exponential(min, max, HIGHEST).attempts(), -1, 7));
    assertArrayEquals(new long[] {50, 100, 200, 400, 500, 500, 500},
        delaysMs(RetryPolicy.exponential(min, max, LOWEST).attempts(), -1, 7));
    RetryPolicy.Attempts random = RetryPolicy.exponential(min, max).attempts(); // ThreadLocalRandom
    for (long step : steps) {
      long d = random.nextDelayNanos();
      assertTrue(d >= step * MS / 2 && d <= step * MS, "delay " + d + " ns outside the upper half of " + step + " ms");
    }
  }

  @Test
  void s3_resetGoesBackToTheFirstStep() {
    RetryPolicy.Attempts a = RetryPolicy.exponential(Duration.ofMillis(10), Duration.ofSeconds(10), HIGHEST)
        .attempts();
    assertArrayEquals(new long[] {10, 20, 40, 80}, delaysMs(a, -1, 4));
    a.reset();
    assertArrayEquals(new long[] {10, 20}, delaysMs(a, -1, 2));
  }

  @Test
  void theServersHintReplacesTheFirstStepWithinOneMillisecondAndTheMaximum() {
    RetryPolicy policy = RetryPolicy.exponential(Duration.ofSeconds(5), Duration.ofSeconds(10), HIGHEST);
    assertArrayEquals(new long[] {30, 60, 120}, delaysMs(policy.attempts(), 30 * MS, 3), "retry: 30");
    assertArrayEquals(new long[] {1, 2, 4}, delaysMs(policy.attempts(), 0, 3), "retry: 0 cannot spin");
    assertArrayEquals(new long[] {10_000, 10_000}, delaysMs(policy.attempts(), 60_000 * MS, 2), "capped");
    RetryPolicy.Attempts a = policy.attempts();
    assertEquals(30, a.nextDelayNanos(30 * MS) / MS);
    assertEquals(10_000, a.nextDelayNanos() / MS, "without a hint the step is min << 1, capped");
    assertEquals(120, a.nextDelayNanos(30 * MS) / MS, "a hint sets the first step, the failures still count");
  }

  @Test
  void theSameSeedGivesTheSameDelays() {
    Duration min = Duration.ofMillis(1);
    Duration max = Duration.ofSeconds(30);
    long[] first = delaysMs(RetryPolicy.exponential(min, max, new SplittableRandom(42)).attempts(), -1, 20);
    long[] again = delaysMs(RetryPolicy.exponential(min, max, new SplittableRandom(42)).attempts(), -1, 20);
    assertArrayEquals(first, again);
  }

  @Test
  void manyFailuresNeverOverflow() {
    RetryPolicy.Attempts a = RetryPolicy.exponential(Duration.ofNanos(1), Backoff.LIMIT, HIGHEST).attempts();
    long previous = 0;
    for (int i = 0; i < 200; i++) {
      long d = a.nextDelayNanos();
      assertTrue(d >= previous && d <= Backoff.LIMIT.toNanos(), "delay " + i + ": " + d);
      previous = d;
    }
    assertEquals(Backoff.LIMIT.toNanos(), previous);
  }

  @Test
  void fixedWaitsTheSameDelayAndIgnoresTheHint() {
    RetryPolicy.Attempts a = RetryPolicy.fixed(Duration.ofMillis(250)).attempts();
    assertArrayEquals(new long[] {250, 250, 250}, delaysMs(a, -1, 3));
    assertEquals(250, a.nextDelayNanos(30 * MS) / MS);
    a.reset();
    assertEquals(250, a.nextDelayNanos() / MS);
  }

  @Test
  void exponentialIsTheBackoffRecord() {
    assertEquals(new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)),
        assertInstanceOf(Backoff.class, RetryPolicy.exponential(Duration.ofMillis(1), Duration.ofMillis(2))));
  }

  @Test
  void invalidArgumentsAreRejected() {
    Duration s = Duration.ofSeconds(1);
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.exponential(Duration.ZERO, s));
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.exponential(s.plus(s), s));
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.exponential(s, Duration.ofDays(2), LOWEST));
    assertThrows(NullPointerException.class, () -> RetryPolicy.exponential(s, s, null));
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.fixed(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.fixed(Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.fixed(Duration.ofDays(2)));
    assertThrows(NullPointerException.class, () -> RetryPolicy.fixed(null));
  }
}
