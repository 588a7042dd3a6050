package io.framestream.transport.sse;

import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessGate;
import io.framestream.edge.Authorizer;
import java.util.Objects;

/**
 * The settings every streaming HTTP endpoint of this module shares (SSE, MJPEG, snapshots), on both hosts
 * (Grizzly and Servlet containers): the registry, the access gate, and the per-viewer write queue, with the
 * same checks and the same defaults.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe; use a builder from one thread.
 *
 * @param <B> the concrete builder
 * @since 0.4.0
 */
abstract class HttpStreamSettings<B extends HttpStreamSettings<B>> {

  /** Default per-viewer write queue: 512 KiB. */
  static final int WRITE_QUEUE_LIMIT = 512 * 1024;

  final ChannelRegistry registry;
  int writeQueueLimit = WRITE_QUEUE_LIMIT;
  AccessGate gate = AccessGate.open();

  HttpStreamSettings(ChannelRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @SuppressWarnings("unchecked")
  final B self() {
    return (B) this;
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
   * #accessGate(AccessGate)}, the one called last wins. {@code EventSource} and {@code <img>} cannot send
   * headers: use
   * {@link io.framestream.edge.ViewerTickets} ({@code ?ticket=}) or cookies.
   *
   * @param auth the authorizer
   * @return this builder
   * @throws NullPointerException if {@code auth} is {@code null}
   */
  public B authorizer(Authorizer auth) {
    return accessGate(AccessGate.builder().authorizer(Objects.requireNonNull(auth, "authorizer")).build());
  }

}
