package io.framestream.transport.sse;

import io.framestream.core.ChannelRegistry;
import io.framestream.transport.sse.internal.SseEndpoint;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings both SSE hosts share ({@link SseHandler.Builder} for Grizzly, {@link SseServlet.Builder} for
 * Servlet containers), so that the two builders take the same values with the same checks and the same
 * defaults. The access gate and the write queue are {@link HttpStreamSettings}'s, shared with MJPEG and
 * snapshots.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe; use a builder from one thread.
 *
 * @param <B> the concrete builder
 * @since 0.3.0
 */
abstract class SseSettings<B extends SseSettings<B>> extends HttpStreamSettings<B> {

  /** Default heartbeat interval: 15 s. */
  static final Duration HEARTBEAT = Duration.ofSeconds(15);
  /** Default reconnection delay sent as {@code retry:}: 2 s. */
  static final Duration RETRY = Duration.ofSeconds(2);
  private Duration heartbeat = HEARTBEAT;
  private Duration retry = RETRY;

  SseSettings(ChannelRegistry registry) {
    super(registry);
  }

  /**
   * Sets how often an idle viewer gets a comment ({@code : hb}), which keeps proxies and idle timeouts
   * from closing the stream and lets both ends notice a dead connection (default 15 s). Keep it below the
   * idle timeout of every proxy and container on the way.
   *
   * @param interval 100 ms to 1 hour
   * @return this builder
   * @throws NullPointerException if {@code interval} is {@code null}
   * @throws IllegalArgumentException if out of range
   */
  public B heartbeat(Duration interval) {
    this.heartbeat = range(interval, Duration.ofMillis(100), Duration.ofHours(1), "heartbeat");
    return self();
  }

  /**
   * Sets the reconnection delay sent as {@code retry:} (default 2 s).
   *
   * @param delay 0 to 1 hour
   * @return this builder
   * @throws NullPointerException if {@code delay} is {@code null}
   * @throws IllegalArgumentException if out of range
   */
  public B retry(Duration delay) {
    this.retry = range(delay, Duration.ZERO, Duration.ofHours(1), "retry");
    return self();
  }

  /** Creates the endpoint these settings describe (and starts its timer thread). */
  SseEndpoint endpoint() {
    return new SseEndpoint(registry, gate, heartbeat, retry, writeQueueLimit);
  }

  private static Duration range(Duration d, Duration min, Duration max, String what) {
    Objects.requireNonNull(d, what);
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new IllegalArgumentException(what + " must be " + min + ".." + max + ", got " + d);
    }
    return d;
  }
}
