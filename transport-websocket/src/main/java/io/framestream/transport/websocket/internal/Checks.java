package io.framestream.transport.websocket.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks shared by the builders of the transport, its clients and the server. *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
public final class Checks {

  /** The largest frame any builder accepts: 256 MiB. */
  public static final int MAX_FRAME_BYTES_LIMIT = 256 << 20;

  private Checks() {}

  /**
   * Checks a frame-size limit.
   *
   * @param bytes the limit
   * @return {@code bytes}
   * @throws IllegalArgumentException unless 1 to 256 MiB
   */
  public static int frameBytes(int bytes) {
    if (bytes < 1 || bytes > MAX_FRAME_BYTES_LIMIT) {
      throw new IllegalArgumentException("maxFrameBytes must be 1.." + MAX_FRAME_BYTES_LIMIT + ", got " + bytes);
    }
    return bytes;
  }

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
