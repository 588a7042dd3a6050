package io.framestream.edge;

import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the requests an entry point refused, by cause, for metrics. The {@link AccessGate} counts its
 * own refusals ({@link Cause#ORIGIN}, {@link Cause#UNAUTHORIZED}, {@link Cause#FORBIDDEN}); a host records
 * the refusals it makes itself ({@link Cause#ADDRESS_LIMIT} for the 429 of an {@link AddressLimiter}) on the
 * same gate's counters, so that one place answers "how many were turned away, and why". Refusals by a
 * channel's own limits (viewers, publishers) are counted by the channel ({@code ChannelCounters}).
 *
 * <p>Counters only grow; each costs one {@link LongAdder} increment, no allocation.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe; any thread may record and read.
 *
 * @since 0.4.0
 */
public final class AccessRefusals {

  /**
   * Why a request was refused.
   *
   * <h2>Thread safety</h2>
   *
   * An enum: immutable.
   *
   * @since 0.4.0
   */
  public enum Cause {
    /** A browser origin not on the allow-list (403). */
    ORIGIN,
    /** No valid credentials (401). */
    UNAUTHORIZED,
    /** Credentials that do not cover the request, or an authorizer that failed or gave no answer (403). */
    FORBIDDEN,
    /** The client's address already held its limit of connections or uploads (429); recorded by the host. */
    ADDRESS_LIMIT
  }

  private final LongAdder[] counts = new LongAdder[Cause.values().length];

  /** Creates counters at zero. */
  public AccessRefusals() {
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
  }

  /**
   * Counts one refusal.
   *
   * @param cause why
   * @throws NullPointerException if {@code cause} is {@code null}
   */
  public void record(Cause cause) {
    counts[Objects.requireNonNull(cause, "cause").ordinal()].increment();
  }

  /**
   * Returns how many requests were refused for a cause.
   *
   * @param cause the cause
   * @return the count
   * @throws NullPointerException if {@code cause} is {@code null}
   */
  public long count(Cause cause) {
    return counts[Objects.requireNonNull(cause, "cause").ordinal()].sum();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("AccessRefusals[");
    for (Cause c : Cause.values()) {
      b.append(c == Cause.ORIGIN ? "" : ", ").append(c.name().toLowerCase(java.util.Locale.ROOT)).append('=')
          .append(count(c));
    }
    return b.append(']').toString();
  }
}
