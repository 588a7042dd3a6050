package io.framestream.conformance;

import io.framestream.core.ChannelRegistry;
import java.net.URI;

/**
 * A running server carrying framestream's endpoints on 127.0.0.1, on a free port, with its own registry (which
 * it closes when it stops).
 */
abstract class Host implements AutoCloseable {

  private final HostKind kind;
  private final HostConfig config;

  Host(HostKind kind, HostConfig config) {
    this.kind = kind;
    this.config = config;
  }

  /** Which host this is. */
  final HostKind kind() {
    return kind;
  }

  /** What it was started with. */
  final HostConfig config() {
    return config;
  }

  /** The channels it serves. */
  final ChannelRegistry registry() {
    return config.registry();
  }

  /** The port it listens on. */
  abstract int port();

  /** The base HTTP address, such as {@code http://127.0.0.1:41234/}. */
  final URI httpUri() {
    return URI.create("http://127.0.0.1:" + port() + "/");
  }

  /** The base WebSocket address, such as {@code ws://127.0.0.1:41234/}. */
  final URI webSocketUri() {
    return URI.create("ws://127.0.0.1:" + port() + "/");
  }

  /**
   * Whether a refused WebSocket handshake gets its HTTP status (Tyrus); a standard container accepts it and
   * closes with 1008 and the status in the reason (W4).
   */
  abstract boolean refusesHandshakesWithStatus();

  /**
   * Why the SSE endpoint is not served here, or {@code null} when it is. The SSE combinations of such a host
   * are skipped with this reason.
   */
  abstract String sseUnavailable();

  /**
   * Why viewers' messages are not framed once and shared here (W11: that needs a {@code RawFrameSender}), or
   * {@code null} when they are.
   */
  abstract String sharedFramesUnavailable();

  /** Stops the server. */
  abstract void stop();

  /** Stops the server and closes its registry. */
  @Override
  public final void close() {
    try {
      stop();
    } finally {
      registry().close();
    }
  }

  @Override
  public String toString() {
    return kind + " " + httpUri();
  }
}
