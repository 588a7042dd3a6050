package io.framestream.transport.websocket.spi;

import jakarta.websocket.Session;

/**
 * Closes a WebSocket connection at once, without waiting for queued data to drain: how a host frees the
 * memory of a viewer that stopped reading.
 *
 * <p>A graceful {@link Session#close()} sends a close frame behind everything already queued; against a peer
 * that reads nothing, that queue (and the memory it holds) never drains. A host that can reach the socket
 * implements this to drop the connection on the spot; the embedded server does so for Grizzly. The default
 * ({@link #GRACEFUL}) falls back to a graceful close with code 1008, which is all the standard API allows;
 * framestream's in-flight limit still bounds what such a connection holds to one frame.
 *
 * <h2>Thread safety</h2>
 *
 * Implementations must be thread-safe and must not block: they are called from delivery threads.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface SessionAborter {

  /** Closes gracefully with 1008 and the given reason: the portable fallback. */
  SessionAborter GRACEFUL = (session, reason) -> false;

  /**
   * Drops the connection of a session without draining its queue.
   *
   * @param session the session to drop
   * @param reason why, for logs
   * @return {@code true} if the connection was dropped; {@code false} to let the caller close it gracefully
   */
  boolean abort(Session session, String reason);
}
