package io.framestream.testkit;

import io.framestream.core.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that stands still until the test moves it with {@link #advance(Duration)}. Give it to a
 * registry ({@code ChannelRegistry.builder().ticker(clock)}) or a runner ({@code
 * SourceRunner.builder(...).ticker(clock)}), and stall timeouts, idle expiry, grace periods, frame rates and
 * ages, publish limits, restart delays and stop timeouts happen when the test advances the clock past them,
 * never because real time passed. So a test asserts "not before" and "at" exactly, without wall-clock windows.
 *
 * <p>Threads waiting on it look at it again at least every millisecond ({@link #maxSleepNanos(long)}), so an
 * advance takes effect promptly; wait for its effect with {@link Await#until(String,
 * java.util.function.BooleanSupplier)}. Everything measured with it waits until it is advanced: a registry
 * closed while a source's {@code close()} hangs returns only after the test advanced the clock past the
 * shutdown timeout.
 *
 * <p>The monotonic time starts at one second (never 0, which some APIs read as "not set"); the wall clock
 * starts at the given instant and moves with it.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: any thread may read or advance it.
 */
public final class ManualClock implements Ticker {

  /** The wall-clock start of {@link #ManualClock()}: 2026-01-01T00:00:00Z. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

  private static final long ORIGIN_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final long startMillis;
  private final AtomicLong elapsedNanos = new AtomicLong();

  /** Creates a clock whose wall time starts at {@link #DEFAULT_START}. */
  public ManualClock() {
    this(DEFAULT_START);
  }

  /**
   * Creates a clock whose wall time starts at the given instant.
   *
   * @param start the wall-clock time now
   * @throws NullPointerException if {@code start} is {@code null}
   */
  public ManualClock(Instant start) {
    this.startMillis = Objects.requireNonNull(start, "start").toEpochMilli();
  }

  /**
   * Moves the clock forward.
   *
   * @param amount how far, zero or positive
   * @return this clock
   * @throws NullPointerException if {@code amount} is {@code null}
   * @throws IllegalArgumentException if negative
   */
  public ManualClock advance(Duration amount) {
    Objects.requireNonNull(amount, "amount");
    if (amount.isNegative()) {
      throw new IllegalArgumentException("a clock cannot go back: " + amount);
    }
    elapsedNanos.addAndGet(amount.toNanos());
    return this;
  }

  /**
   * Moves the clock forward by some milliseconds.
   *
   * @param millis how far, zero or positive
   * @return this clock
   * @throws IllegalArgumentException if negative
   */
  public ManualClock advanceMillis(long millis) {
    return advance(Duration.ofMillis(millis));
  }

  /**
   * Returns how far the clock was advanced since it was created.
   *
   * @return the total of every advance
   */
  public Duration elapsed() {
    return Duration.ofNanos(elapsedNanos.get());
  }

  /**
   * Returns the monotonic time: one second plus every advance.
   *
   * @return nanoseconds
   */
  @Override
  public long nanoTime() {
    return ORIGIN_NANOS + elapsedNanos.get();
  }

  /**
   * Returns the wall time: the start plus every advance.
   *
   * @return milliseconds since the epoch
   */
  @Override
  public long currentTimeMillis() {
    return startMillis + TimeUnit.NANOSECONDS.toMillis(elapsedNanos.get());
  }

  /**
   * Lets waiting threads block at most a millisecond before they look at the clock again.
   *
   * @param nanos the time still to wait on this clock
   * @return at most one millisecond
   */
  @Override
  public long maxSleepNanos(long nanos) {
    return Math.max(1, Math.min(nanos, POLL_NANOS));
  }

  @Override
  public String toString() {
    return "ManualClock[+" + elapsed() + "]";
  }
}
