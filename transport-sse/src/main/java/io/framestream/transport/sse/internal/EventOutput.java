package io.framestream.transport.sse.internal;

import io.framestream.core.Frame;
import java.io.IOException;

/**
 * What an HTTP host offers one SSE response: non-blocking writes with a writability signal, and two ways to
 * end. {@link SseViewer} holds the protocol logic and calls this from under its own lock; an adapter per
 * host implements it ({@link GrizzlyEventOutput}, {@link ServletEventOutput}).
 *
 * <h2>Thread safety</h2>
 *
 * {@link #canWrite()}, {@link #write(byte[])}, {@link #notifyWritable(Writable)} and {@link #finish()} are
 * called under the viewer's lock, one at a time, and only while the response is live (the peer has not
 * gone). {@link #closeConnection(boolean)} is called outside that lock and must be safe at any time, even
 * after the host has recycled the response.
 *
 * @since 0.1.0
 */
public interface EventOutput {

  /**
   * Receives the writability signal.
   *
   * <h2>Thread safety</h2>
   *
   * Called on a host I/O or worker thread.
   *
   * @since 0.1.0
   */
  interface Writable {
    /** The output can take another write. */
    void onWritable();

    /**
     * The output failed (the peer is gone).
     *
     * @param cause what happened
     */
    void onError(Throwable cause);
  }

  /**
   * Tells whether a write now would neither block nor grow the host's queue past its limit. Must be asked
   * before every write.
   *
   * @return {@code true} if {@link #write(byte[])} may be called
   */
  boolean canWrite();

  /**
   * Writes and flushes bytes without blocking. The host may keep a reference to the array until it is
   * sent; the array is never modified by anyone.
   *
   * @param bytes the bytes of one or more complete events or comments
   * @throws IOException if the peer is gone
   */
  void write(byte[] bytes) throws IOException;

  /**
   * Writes and flushes the bytes that every viewer of a frame shares (its event, or its MJPEG part), as
   * {@link #write(byte[])} does. A host that frames the bytes itself (HTTP chunks) may keep the framed form
   * on the frame, so that it is built once per frame and not once per viewer.
   *
   * @param frame the frame the bytes belong to
   * @param bytes the frame's shared bytes, never modified
   * @throws IOException if the peer is gone
   * @since 0.4.0
   */
  default void write(Frame frame, byte[] bytes) throws IOException {
    write(bytes);
  }

  /**
   * Asks for one {@link Writable#onWritable()} call once the output can take a write. At most one request
   * is pending at a time. The callback may run before this method returns, on this thread.
   *
   * @param callback the callback
   */
  void notifyWritable(Writable callback);

  /**
   * Ends the response body gracefully (for chunked HTTP/1.1, the last chunk). Called only after {@link
   * #canWrite()} returned {@code true}.
   *
   * @throws IOException if the peer is gone
   */
  void finish() throws IOException;

  /**
   * Closes the connection: gracefully (after queued bytes are sent, bounded by a timeout) or at once,
   * dropping whatever is queued. Idempotent; safe after the peer has gone.
   *
   * @param graceful whether to let queued bytes go out first
   */
  void closeConnection(boolean graceful);

  /**
   * Returns the bytes the host has queued for this response and not yet handed to the socket, for
   * diagnostics and tests.
   *
   * @return queued bytes, or 0 if unknown
   */
  long queuedBytes();
}
