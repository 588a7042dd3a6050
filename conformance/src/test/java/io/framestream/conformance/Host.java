package io.framestream.conformance;

import io.framestream.core.ChannelRegistry;
import java.net.URI;

/** A running server carrying framestream's endpoints on 127.0.0.1, on a free port. */
interface Host extends AutoCloseable {

  /** Which host this is. */
  HostKind kind();

  /** The base HTTP address, such as {@code http://127.0.0.1:41234/}. */
  URI httpUri();

  /** The base WebSocket address, such as {@code ws://127.0.0.1:41234/}. */
  URI webSocketUri();

  /** The channels it serves. */
  ChannelRegistry registry();

  /** What it was started with. */
  HostConfig config();

  /**
   * Whether a refused WebSocket handshake gets its HTTP status (Tyrus); a standard container accepts it and
   * closes with 1008 and the status in the reason (W4).
   */
  boolean refusesHandshakesWithStatus();

  /**
   * Why the SSE endpoint is not served here, or {@code null} when it is. The SSE combinations of such a host
   * are skipped with this reason.
   */
  String sseUnavailable();

  /**
   * Why viewers' messages are not framed once and shared here (W11: that needs a {@code RawFrameSender}), or
   * {@code null} when they are.
   */
  String sharedFramesUnavailable();

  /** Stops the server and closes its registry. */
  @Override
  void close();
}
