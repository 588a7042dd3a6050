package io.framestream.core;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How long a retry loop waits before its next attempt: the one rule behind every restart and reconnect of
 * the library ({@link SourceRunner} restarting a source, the SSE and WebSocket clients reconnecting).
 * Modelled on okhttp-eventsource's {@code RetryDelayStrategy}.
 *
 * <p>A policy is a factory of {@link Attempts}: each retry loop starts its own with {@link #attempts()},
 * asks it for a delay before every retry ({@link Attempts#nextDelayNanos(long)}, with the delay the server
 * asked for, such as SSE's {@code retry:} field, when there is one) and resets it after a success ({@link
 * Attempts#reset()}).
 *
 * <p>The built-in policies:
 *
 * <ul>
 *   <li>{@link #exponential(Duration, Duration)}, the default of every loop: a {@link Backoff}, doubling
 *       from {@code min} to {@code max}, each delay drawn at random from the upper half of its step; a
 *       server's hint replaces {@code min} as the first step.
 *   <li>{@link #fixed(Duration)}: always the same delay, no jitter, the hint ignored.
 * </ul>
 *
 * <p>A policy of your own returns, from {@link Attempts#nextDelayNanos(long)}, a delay of zero or more
 * nanoseconds (a negative one counts as zero). Beware of zero: a loop whose attempts fail at once would then
 * retry as fast as it can. There is no "never retry": the loops retry until they are closed.
 *
 * <h2>Thread safety</h2>
 *
 * A policy must be thread-safe: one policy may serve many loops on many threads (the built-in ones are
 * immutable). An {@link Attempts} belongs to one loop and is used by one thread at a time, so it need not
 * be thread-safe.
 *
 * @since 0.2.0
 */
@FunctionalInterface
public interface RetryPolicy {

  /** The hint passed to {@link Attempts#nextDelayNanos(long)} when the server asked for nothing. */
  long NO_HINT = -1;

  /**
   * Starts the retry state of one loop, at its first step.
   *
   * @return a new state, owned by the caller
   */
  Attempts attempts();

  /**
   * Exponential backoff with jitter, the default of every retry loop: see {@link Backoff}.
   *
   * @param min the first delay, positive
   * @param max the largest delay, at least {@code min} and at most {@link Backoff#LIMIT}
   * @return the policy (a {@link Backoff})
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException unless {@code 0 < min <= max <=} {@link Backoff#LIMIT}
   */
  static RetryPolicy exponential(Duration min, Duration max) {
    return new Backoff(min, max);
  }

  /**
   * Exponential backoff with jitter drawn from the given generator instead of {@link
   * java.util.concurrent.ThreadLocalRandom}: for tests that need the same delays every run.
   *
   * @param min the first delay, positive
   * @param max the largest delay, at least {@code min} and at most {@link Backoff#LIMIT}
   * @param random where the jitter comes from; it is called from the threads of the loops that use the
   *     policy, so it must be thread-safe if several loops on several threads share the policy
   * @return the policy
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException unless {@code 0 < min <= max <=} {@link Backoff#LIMIT}
   */
  static RetryPolicy exponential(Duration min, Duration max, RandomGenerator random) {
    Backoff backoff = new Backoff(min, max);
    Objects.requireNonNull(random, "random");
    return new RetryPolicy() {
      @Override
      public Attempts attempts() {
        return backoff.attempts(random);
      }

      @Override
      public String toString() {
        return backoff + " with " + random;
      }
    };
  }

  /**
   * The same delay before every retry, without jitter; a server's hint is ignored.
   *
   * @param delay positive, at most {@link Backoff#LIMIT}
   * @return the policy
   * @throws NullPointerException if {@code delay} is {@code null}
   * @throws IllegalArgumentException unless {@code 0 < delay <=} {@link Backoff#LIMIT}
   */
  static RetryPolicy fixed(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative() || delay.isZero() || delay.compareTo(Backoff.LIMIT) > 0) {
      throw new IllegalArgumentException("fixed delay needs 0 < delay <= " + Backoff.LIMIT + ", got " + delay);
    }
    long nanos = delay.toNanos();
    Attempts same = hintNanos -> nanos; // stateless, so one serves every loop
    return new RetryPolicy() {
      @Override
      public Attempts attempts() {
        return same;
      }

      @Override
      public String toString() {
        return "RetryPolicy.fixed(" + delay + ")";
      }
    };
  }

  /**
   * The retry state of one loop.
   *
   * <h2>Thread safety</h2>
   *
   * Need not be thread-safe: a loop uses its state from one thread at a time. A stateless policy can write
   * its attempts as a lambda, {@code hintNanos -> delay}, since {@link #reset()} does nothing by default.
   *
   * @since 0.2.0
   */
  interface Attempts {

    /**
     * Returns the delay before the next attempt and moves on to the next step.
     *
     * @param hintNanos the delay the server asked for, in nanoseconds (SSE's {@code retry:}), or {@link
     *     #NO_HINT}; a policy may use it or ignore it
     * @return nanoseconds to wait, zero or more
     */
    long nextDelayNanos(long hintNanos);

    /**
     * Returns the delay before the next attempt when the server asked for nothing.
     *
     * @return nanoseconds to wait, zero or more
     */
    default long nextDelayNanos() {
      return nextDelayNanos(NO_HINT);
    }

    /** Goes back to the first step, after a success. Does nothing by default, for a stateless policy. */
    default void reset() {
      // stateless: nothing to reset
    }
  }
}
