package io.framestream.transport.websocket.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks shared by the builders of the transport and its clients. (The frame-size limit is
 * {@link io.framestream.core.wire.FrameIngest#checkMaxFrameBytes(int)}.)
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
public final class Checks {

  private Checks() {}

  /**
   * Checks a timeout that must be positive and fit in an {@code int} of milliseconds.
   *
   * @param timeout the timeout
   * @param name its name, for the message
   * @return {@code timeout}
   * @throws NullPointerException if {@code timeout} is {@code null}
   * @throws IllegalArgumentException if not positive or too long
   */
  public static Duration positive(Duration timeout, String name) {
    Objects.requireNonNull(timeout, name);
    if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + " must be positive (and under 24 days), got " + timeout);
    }
    return timeout;
  }
}
