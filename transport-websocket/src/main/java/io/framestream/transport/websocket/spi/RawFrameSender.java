package io.framestream.transport.websocket.spi;

import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import jakarta.websocket.SendHandler;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.util.function.BiConsumer;

/**
 * Writes a complete, already framed WebSocket message to a session's connection: the fast path for viewers.
 *
 * <p>Server-to-client frames are not masked, so the bytes of one message (header and payload) are the same
 * for every viewer. The transport builds them once per frame and caches them on the {@link
 * io.framestream.core.Frame}: a binary message for binary viewers, a text message holding the data URI for
 * {@code ?format=datauri} viewers. A sender writes those shared bytes to each connection without copying
 * them. The Jakarta API has no such call ({@code sendBinary} and {@code sendText} encode, frame and copy once
 * per session), so this is an extension point for hosts that can reach their container's connection; the
 * embedded server implements it for Tyrus. The default, {@link #PORTABLE}, declines every send and the
 * transport uses {@code getAsyncRemote().sendBinary} or {@code sendText}.
 *
 * <p>A sender must keep the connection's order of messages (a message written here must neither overtake
 * one sent earlier through the session or this sender, nor be overtaken by one sent later) and must report
 * completion exactly like {@code sendBinary}: once, when the bytes were handed to the socket or the write
 * failed. The transport's in-flight accounting and its ordering rule (W10) rely on it.
 *
 * <h2>Thread safety</h2>
 *
 * Implementations must be thread-safe and must not block: they are called from delivery threads, for one
 * session never concurrently.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface RawFrameSender {

  /** Declines every send: viewers get the portable {@code sendBinary} / {@code sendText} path. */
  RawFrameSender PORTABLE = (session, frame, handler) -> false;

  /**
   * Writes one framed message, or declines.
   *
   * @param session the viewer's session
   * @param frame the complete WebSocket frame (header and payload; binary or text), positioned at its first
   *     byte; a view of bytes shared with other sessions, so they must not be modified (it is read-only)
   * @param handler called once with the outcome if, and only if, this method returns {@code true}
   * @return {@code true} if the send was started (the handler will be called); {@code false} if this session
   *     cannot take raw frames, in which case nothing was written and the handler will not be called
   */
  boolean send(Session session, ByteBuffer frame, SendHandler handler);

  /**
   * Writes one frame's message, or declines: what the transport's viewers call. The default writes {@code
   * frame.encoded(message)} through {@link #send(Session, ByteBuffer, SendHandler)}; a sender that can use
   * another form of the same bytes (the native-memory {@link WebSocketFrames#direct(FrameEncoding)}, which
   * its socket layer writes without a copy) overrides it, with the same contract.
   *
   * @param session the viewer's session
   * @param frame the frame
   * @param message the encoding of its message ({@link WebSocketFrames#BINARY}, {@link
   *     WebSocketFrames#DATA_URI_TEXT}, or one of the chunk stream's)
   * @param handler called once with the outcome if, and only if, this method returns {@code true}
   * @return {@code true} if the send was started; {@code false} if declined (nothing written, no call)
   * @since 0.4.0
   */
  default boolean send(Session session, Frame frame, FrameEncoding<ByteBuffer> message, SendHandler handler) {
    return send(session, frame.encoded(message).duplicate(), handler);
  }

  /**
   * A send handler that also takes the outcome as a {@link java.util.concurrent.CompletableFuture}'s {@code
   * whenComplete} action: {@code accept(ignored, null)} means the bytes were handed to the socket, {@code
   * accept(ignored, failure)} that the write failed, exactly as {@link #onResult} with an OK or failed
   * result. A sender whose container completes through such a future may register the handler on it
   * directly, with no adapter and no {@link jakarta.websocket.SendResult} per send; the transport passes
   * handlers of this type on its fast path, so a viewer's send allocates nothing of its own.
   *
   * <h2>Thread safety</h2>
   *
   * Called once per send, on whatever thread completes it.
   *
   * @since 0.1.0
   */
  interface FutureHandler extends SendHandler, BiConsumer<Object, Throwable> {

    /**
     * Returns what a sender attached to this handler with {@link #senderState(Object)}, so it can reuse, for
     * every send this handler reports, an object it would otherwise create per send (an adapter to its
     * container's completion type, say).
     *
     * @return the attached object, or {@code null} if none
     */
    Object senderState();

    /**
     * Attaches an object of the sender's to this handler (see {@link #senderState()}). The object must stay
     * valid for any later send this handler reports; one sender per transport uses it.
     *
     * @param state the object
     */
    void senderState(Object state);
  }
}
