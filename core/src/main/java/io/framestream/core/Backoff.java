package io.framestream.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before retrying: exponential from {@link #min()} to {@link #max()}, doubling after each
 * failed attempt, each delay drawn at random from the upper half of its step ("equal jitter"), so that many
 * clients that lost the same server do not come back in lockstep.
 *
 * <h2>Thread safety</h2>
 *
 * The record is immutable and thread-safe; an {@link Attempts} counter is not (one per retry loop).
 *
 * @param min the first delay, positive
 * @param max the largest delay, at least {@code min} and at most {@link #LIMIT}
 * @since 0.1.0
 */
public record Backoff(Duration min, Duration max) {

  /** The largest delay accepted: one day. */
  public static final Duration LIMIT = Duration.ofDays(1);

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
  public Attempts attempts() {
    return new Attempts(this);
  }

  /**
   * The retry state of one loop: the current step, growing with each delay taken.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe: use from one thread, or under the caller's lock.
   *
   * @since 0.1.0
   */
  public static final class Attempts {
    private final long minNanos;
    private final long maxNanos;
    private long stepNanos;

    private Attempts(Backoff backoff) {
      this.minNanos = backoff.min.toNanos();
      this.maxNanos = backoff.max.toNanos();
      this.stepNanos = minNanos;
    }

    /**
     * Returns the delay before the next attempt, in the upper half of the current step, and doubles the
     * step (up to the maximum).
     *
     * @return nanoseconds to wait
     */
    public long nextDelayNanos() {
      long step = stepNanos;
      stepNanos = Math.min(maxNanos, step > maxNanos / 2 ? maxNanos : step * 2);
      return step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1);
    }

    /** Goes back to the first step, after a success. */
    public void reset() {
      stepNanos = minNanos;
    }
  }
}
