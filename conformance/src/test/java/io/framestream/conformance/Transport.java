package io.framestream.conformance;

import io.framestream.transport.sse.internal.MjpegParts;
import java.io.IOException;
import java.net.Socket;
import org.opentest4j.TestAbortedException;

/** The ways to view a channel, each with its real client. */
enum Transport {
  /** {@code /ws/live/{channel}}: an init text, then one binary message per frame (W2). */
  WS_BINARY("/ws/live/", ""),
  /** {@code /ws/live/{channel}?format=datauri}: one data-URI text per frame and nothing else (W3). */
  WS_DATA_URI("/ws/live/", "?format=datauri"),
  /** {@code /sse/{channel}}: {@code init}, {@code data} and {@code status} events (E). */
  SSE("/sse/", ""),
  /** {@code /mjpeg/{channel}}: one {@code multipart/x-mixed-replace} part per JPEG frame and nothing else (J1). */
  MJPEG("/mjpeg/", ""),
  /**
   * {@code /ws/live/{channel}?format=chunks}: {@code config} texts, then one binary chunk message per frame
   * (W12). Not in {@link Combination#all()}: its own rules and those in {@link Combination#withChunks()}.
   */
  WS_CHUNKS("/ws/live/", "?format=chunks");

  private final String prefix;
  private final String query;

  Transport(String prefix, String query) {
    this.prefix = prefix;
    this.query = query;
  }

  /** The path and query of a channel's stream. */
  String path(String channel) {
    return prefix + channel + query;
  }

  /** Whether it is a WebSocket upgrade. */
  boolean isWebSocket() {
    return this == WS_BINARY || this == WS_DATA_URI || this == WS_CHUNKS;
  }

  /**
   * Whether viewers get descriptions ({@code init}) and status notices; data-URI and MJPEG viewers get frames
   * only.
   */
  boolean describes() {
    return this != WS_DATA_URI && this != MJPEG;
  }

  /** Skips a video test where the transport carries images only, with the reason. */
  void requireVideo() {
    if (this == MJPEG) {
      throw new TestAbortedException("MJPEG carries JPEG images only: a video channel is refused with 415"
          + " (contract J4, MjpegSnapshotIT.j4_refusals)");
    }
  }

  /** Whether every rule runs over it; the chunk stream runs the rules that apply to it (W12). */
  boolean general() {
    return this != WS_CHUNKS;
  }

  /** Skips the test, with the host's reason, where the host does not serve this transport. */
  void requireOn(Host host) {
    if (this == SSE && host.sseUnavailable() != null) {
      throw new TestAbortedException(host.sseUnavailable());
    }
  }

  /** Connects a viewer of a channel, with extra request headers (name, value, ...). */
  ViewerClient view(Host host, String channel, String... headers) {
    requireOn(host);
    return switch (this) {
      case SSE -> SseClient.connect(host.httpUri().resolve(path(channel)), headers);
      case MJPEG -> MjpegClient.connect(host.httpUri().resolve(path(channel)), MjpegParts.BOUNDARY, headers);
      default -> WsClient.connect(host.webSocketUri().resolve(path(channel)), headers);
    };
  }

  /** Asks for a channel's stream over a plain socket and returns the answer (for refusals). */
  RawHttp.Response request(Host host, String channel, String... headers) throws IOException {
    requireOn(host);
    return RawHttp.get(host.httpUri(), path(channel), isWebSocket(), headers);
  }

  /** Opens a viewer of a channel that never reads. */
  Socket neverReading(Host host, String channel) throws IOException {
    requireOn(host);
    return RawHttp.neverReading(host.httpUri(), path(channel), isWebSocket());
  }
}
