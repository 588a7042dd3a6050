package io.framestream.server.internal;

import io.framestream.transport.websocket.spi.RawFrameSender;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.glassfish.tyrus.core.TyrusFuture;
import org.glassfish.tyrus.core.TyrusWebSocket;
import org.glassfish.tyrus.core.frame.Frame;

/**
 * Writes pre-framed viewer messages (binary frames and data-URI texts) through Tyrus's {@link
 * TyrusWebSocket#sendRawFrame(ByteBuffer)}, the call Tyrus's own broadcast uses: the shared bytes go to the
 * connection's writer as they are, with no per-session framing or copy, in order with everything else the
 * session sends (Tyrus frames and queues every send of a connection under one lock, in call order, into one
 * FIFO writer).
 *
 * <p>{@code sendRawFrame} is public, but Tyrus offers no public way from a {@link Session} to its {@link
 * TyrusWebSocket}: the reference sits in the package-private field {@code TyrusRemoteEndpoint.webSocket}
 * (checked for Tyrus 2.2.2). This class reads it reflectively, which works on the class path. If the field
 * cannot be reached (another Tyrus version, or Tyrus on the module path without {@code opens}), if {@code
 * sendRawFrame} does not return a {@link CompletableFuture} (the completion callback needs it), or if a
 * session negotiated extensions (which would transform frames), it declines, and the transport falls back to
 * the portable {@code sendBinary}.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless after construction and thread-safe; called from delivery threads.
 */
public final class TyrusRawFrameSender implements RawFrameSender {

  private static final System.Logger LOG = System.getLogger(TyrusRawFrameSender.class.getName());
  private static final String REMOTE_ENDPOINT = "org.glassfish.tyrus.core.TyrusRemoteEndpoint";

  private final Field webSocketField;

  private TyrusRawFrameSender(Field webSocketField) {
    this.webSocketField = webSocketField;
  }

  /**
   * Returns the Tyrus sender, or {@link RawFrameSender#PORTABLE} if this Tyrus does not allow it.
   *
   * @return the sender to configure on the WebSocket transport
   */
  public static RawFrameSender create() {
    try {
      if (!CompletableFuture.class.isAssignableFrom(TyrusFuture.class)) {
        throw new IllegalStateException("TyrusFuture is not a CompletableFuture");
      }
      Field f = Class.forName(REMOTE_ENDPOINT).getDeclaredField("webSocket");
      if (f.getType() != TyrusWebSocket.class) {
        throw new IllegalStateException("unexpected field type " + f.getType());
      }
      f.setAccessible(true);
      return new TyrusRawFrameSender(f);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(System.Logger.Level.INFO, "pre-framed WebSocket sends are off, viewers use sendBinary: {0}", e.toString());
      return RawFrameSender.PORTABLE;
    }
  }

  @Override
  public boolean send(Session session, ByteBuffer frame, SendHandler handler) {
    TyrusWebSocket socket = socketOf(session);
    if (socket == null || !session.getNegotiatedExtensions().isEmpty()) {
      return false;
    }
    Future<Frame> sent;
    try {
      sent = socket.sendRawFrame(frame);
    } catch (RuntimeException e) {
      handler.onResult(new SendResult(session, e));
      return true;
    }
    ((CompletableFuture<Frame>) sent).whenComplete((ignored, failure) ->
        handler.onResult(failure == null ? new SendResult(session) : new SendResult(session, failure)));
    return true;
  }

  private TyrusWebSocket socketOf(Session session) {
    try {
      Object remote = session.getAsyncRemote();
      return webSocketField.getDeclaringClass().isInstance(remote) ? (TyrusWebSocket) webSocketField.get(remote) : null;
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }
}
