package io.framestream.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * How long to wait before retrying: exponential from {@link #min()} to {@link #max()}, doubling after each
 * failed attempt, each delay drawn at random from the upper half of its step ("equal jitter"), so that many
 * clients that lost the same server do not come back in lockstep. A success resets it to the first step.
 *
 * <p>This is the default {@link RetryPolicy} (since 0.2.0; {@link RetryPolicy#exponential(Duration,
 * Duration)} returns one). When the server asked for a delay (a hint, such as SSE's {@code retry:}), the
 * hint replaces {@code min} as the first step, kept between 1 ms and {@code max}, and doubles from there.
 *
 * <h2>Thread safety</h2>
 *
 * The record is immutable and thread-safe; an {@link Attempts} counter is not (one per retry loop).
 *
 * @param min the first delay, positive
 * @param max the largest delay, at least {@code min} and at most {@link #LIMIT}
 * @since 0.1.0
 */
public record Backoff(Duration min, Duration max) implements RetryPolicy {

  /** The largest delay accepted: one day. */
  public static final Duration LIMIT = Duration.ofDays(1);

  /** The smallest first step a server's hint can set: 1 ms, so that {@code retry: 0} cannot spin. */
  private static final long MIN_HINT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /**
   * Validates the bounds.
   *
   * @param min the first delay
   * @param max the largest delay
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException unless {@code 0 < min <= max <= LIMIT}
   */
  public Backoff {
    Objects.requireNonNull(min, "min");
    Objects.requireNonNull(max, "max");
    if (min.isNegative() || min.isZero() || max.compareTo(min) < 0 || max.compareTo(LIMIT) > 0) {
      throw new IllegalArgumentException("backoff needs 0 < min <= max <= " + LIMIT + ", got " + min + ", " + max);
    }
  }

  /**
   * Starts a sequence of attempts at the first step.
   *
   * @return a new counter
   */
  @Override
  public Attempts attempts() {
    return new Attempts(this, null);
  }

  /** Starts a sequence of attempts whose jitter comes from {@code random}. */
  Attempts attempts(RandomGenerator random) {
    return new Attempts(this, random);
  }

  /**
   * The retry state of one loop: how many delays were taken since the start or the last {@link #reset()}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe: use from one thread, or under the caller's lock.
   *
   * @since 0.1.0
   */
  public static final class Attempts implements RetryPolicy.Attempts {
    private final long minNanos;
    private final long maxNanos;
    private final RandomGenerator random; // null: ThreadLocalRandom of the calling thread
    private int failures; // capped: beyond 62 doublings every step is the maximum anyway

    private Attempts(Backoff backoff, RandomGenerator random) {
      this.minNanos = backoff.min.toNanos();
      this.maxNanos = backoff.max.toNanos();
      this.random = random;
    }

    /**
     * Returns the delay before the next attempt, in the upper half of the current step, and doubles the
     * step (up to the maximum).
     *
     * @return nanoseconds to wait
     */
    @Override
    public long nextDelayNanos() {
      return nextDelayNanos(RetryPolicy.NO_HINT);
    }

    /**
     * Returns the delay before the next attempt, in the upper half of the current step, and doubles the
     * step (up to the maximum). The current step is the first one ({@code min}, or the hint if there is
     * one, kept between 1 ms and {@code max}) doubled once per delay taken since the last reset.
     *
     * @param hintNanos the delay the server asked for, or {@link RetryPolicy#NO_HINT}
     * @return nanoseconds to wait
     * @since 0.2.0
     */
    @Override
    public long nextDelayNanos(long hintNanos) {
      long first = hintNanos < 0 ? minNanos : Math.min(maxNanos, Math.max(MIN_HINT_NANOS, hintNanos));
      int doublings = failures;
      if (failures < 62) {
        failures++;
      }
      // first << doublings overflows once the shift reaches the leading zeros of first.
      long step = doublings >= Long.numberOfLeadingZeros(first) ? maxNanos : Math.min(maxNanos, first << doublings);
      long half = step / 2;
      RandomGenerator r = random != null ? random : ThreadLocalRandom.current();
      return step - half + r.nextLong(half + 1);
    }

    /** Goes back to the first step, after a success. */
    @Override
    public void reset() {
      failures = 0;
    }
  }
}
