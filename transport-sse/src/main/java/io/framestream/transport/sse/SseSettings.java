package io.framestream.transport.sse;

import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessGate;
import io.framestream.edge.Authorizer;
import io.framestream.transport.sse.internal.SseEndpoint;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings both SSE hosts share ({@link SseHandler.Builder} for Grizzly, {@link SseServlet.Builder} for
 * Servlet containers), so that the two builders take the same values with the same checks and the same
 * defaults.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe; use a builder from one thread.
 *
 * @param <B> the concrete builder
 * @since 0.3.0
 */
abstract class SseSettings<B extends SseSettings<B>> {

  /** Default heartbeat interval: 15 s. */
  static final Duration HEARTBEAT = Duration.ofSeconds(15);
  /** Default reconnection delay sent as {@code retry:}: 2 s. */
  static final Duration RETRY = Duration.ofSeconds(2);
  /** Default per-viewer write queue: 512 KiB. */
  static final int WRITE_QUEUE_LIMIT = 512 * 1024;

  private final ChannelRegistry registry;
  private Duration heartbeat = HEARTBEAT;
  private Duration retry = RETRY;
  private int writeQueueLimit = WRITE_QUEUE_LIMIT;
  private AccessGate gate = AccessGate.open();

  SseSettings(ChannelRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
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

  /**
   * Sets how many bytes may wait per viewer beyond what the socket takes before the viewer stops writing
   * and waits (default 512 KiB). One event is always accepted, however large. A viewer that stays above it
   * makes no progress, so its channel evicts it after its {@code stallTimeout} and its connection is closed.
   *
   * @param bytes 16 KiB to 64 MiB
   * @return this builder
   * @throws IllegalArgumentException if out of range
   */
  public B writeQueueLimit(int bytes) {
    if (bytes < 16 * 1024 || bytes > 64 * 1024 * 1024) {
      throw new IllegalArgumentException("writeQueueLimit must be 16 KiB..64 MiB, got " + bytes);
    }
    this.writeQueueLimit = bytes;
    return self();
  }

  /**
   * Sets the access check every request passes once, before any channel is created: origin allow-list,
   * authorizer, client address behind trusted proxies (default {@link AccessGate#open()}). Refusals are
   * 401 (with {@code WWW-Authenticate: Bearer}) or 403 with a JSON body. Of this and {@link
   * #authorizer(Authorizer)}, the one called last wins.
   *
   * @param gate the gate
   * @return this builder
   * @throws NullPointerException if {@code gate} is {@code null}
   */
  public B accessGate(AccessGate gate) {
    this.gate = Objects.requireNonNull(gate, "gate");
    return self();
  }

  /**
   * Sets who may view: the same as {@code accessGate(AccessGate.builder().authorizer(auth).build())}, a
   * gate with this authorizer, any origin and no trusted proxies. Of this and {@link
   * #accessGate(AccessGate)}, the one called last wins. {@code EventSource} cannot send headers: use
   * {@link io.framestream.edge.ViewerTickets} ({@code ?ticket=}) or cookies.
   *
   * @param auth the authorizer
   * @return this builder
   * @throws NullPointerException if {@code auth} is {@code null}
   */
  public B authorizer(Authorizer auth) {
    return accessGate(AccessGate.builder().authorizer(Objects.requireNonNull(auth, "authorizer")).build());
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
