package io.framestream.server.internal;

import io.framestream.transport.websocket.spi.RawFrameSender;
import io.framestream.transport.websocket.spi.RawFrameSender.FutureHandler;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.locks.Lock;
import org.glassfish.tyrus.core.TyrusFuture;
import org.glassfish.tyrus.core.TyrusWebSocket;
import org.glassfish.tyrus.core.frame.Frame;
import org.glassfish.tyrus.spi.CompletionHandler;
import org.glassfish.tyrus.spi.Writer;
import org.glassfish.tyrus.spi.WriterInfo;

/**
 * Writes pre-framed viewer messages (binary frames and data-URI texts) to a Tyrus connection as they are,
 * with no per-session framing or copy, in order with everything else the session sends. For a {@link
 * FutureHandler} (what the transport's viewers pass) it does what {@link TyrusWebSocket#sendRawFrame(ByteBuffer)}
 * (the call Tyrus's own broadcast uses) does, without that call's per-send objects: under the protocol
 * handler's lock, which every Tyrus send of the connection holds while it hands its bytes to the
 * connection's {@link Writer} (one FIFO writer, in call order), the shared bytes go to that writer, and the
 * outcome goes to a completion adapter made once per handler. Any other handler goes through {@code
 * sendRawFrame}.
 *
 * <p>{@code sendRawFrame} is public, but Tyrus offers no public way from a {@link Session} to its {@link
 * TyrusWebSocket}: the reference sits in the package-private field {@code TyrusRemoteEndpoint.webSocket}
 * (checked for Tyrus 2.2.2). This class reads it reflectively, which works on the class path, and likewise
 * {@code TyrusSession.asyncRemote}, {@code TyrusWebSocket.protocolHandler}, {@code ProtocolHandler.lock} and
 * {@code ProtocolHandler.writer} for the direct write (without them it uses {@code sendRawFrame}). If the field
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
  private static final String SESSION = "org.glassfish.tyrus.core.TyrusSession";

  /** What {@code sendRawFrame} tells the writer; immutable, shared. */
  private static final WriterInfo RAW_BINARY =
      new WriterInfo(WriterInfo.MessageType.BINARY, WriterInfo.RemoteEndpointType.BROADCAST);

  private final Field webSocketField;
  /**
   * {@code TyrusSession.asyncRemote}, read directly: {@code getAsyncRemote()} allocates a varargs array per
   * call for its state check (the viewer checks {@code isOpen()} itself, and a write on a closed connection
   * fails through the handler). Null if this Tyrus has no such field; then {@code getAsyncRemote()} is used.
   */
  private final Field asyncRemoteField;

  /**
   * {@code TyrusWebSocket.protocolHandler}, {@code ProtocolHandler.lock} and {@code ProtocolHandler.writer},
   * for the direct write (see {@link #send}); null if this Tyrus lacks any of them.
   */
  private final Field protocolHandlerField;
  private final Field lockField;
  private final Field writerField;

  private TyrusRawFrameSender(Field webSocketField, Field asyncRemoteField, Field[] direct) {
    this.webSocketField = webSocketField;
    this.asyncRemoteField = asyncRemoteField;
    this.protocolHandlerField = direct == null ? null : direct[0];
    this.lockField = direct == null ? null : direct[1];
    this.writerField = direct == null ? null : direct[2];
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
      return new TyrusRawFrameSender(f, asyncRemoteField(f.getDeclaringClass()), directWriteFields());
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(System.Logger.Level.INFO, "pre-framed WebSocket sends are off, viewers use sendBinary: {0}",
          e.toString());
      return RawFrameSender.PORTABLE;
    }
  }

  @Override
  public boolean send(Session session, ByteBuffer frame, SendHandler handler) {
    TyrusWebSocket socket = socketOf(session);
    if (socket == null || !session.getNegotiatedExtensions().isEmpty()) {
      return false;
    }
    if (handler instanceof FutureHandler direct && protocolHandlerField != null) {
      try {
        writeDirect(socket, frame, direct);
      } catch (IllegalAccessException | RuntimeException e) {
        handler.onResult(new SendResult(session, e));
      }
      return true;
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

  /** The fields the direct write needs, or null (then every send goes through {@code sendRawFrame}). */
  private static Field[] directWriteFields() {
    try {
      Field handler = TyrusWebSocket.class.getDeclaredField("protocolHandler");
      Field lock = handler.getType().getDeclaredField("lock");
      Field writer = handler.getType().getDeclaredField("writer");
      if (!Lock.class.isAssignableFrom(lock.getType()) || !Writer.class.isAssignableFrom(writer.getType())) {
        return null;
      }
      handler.setAccessible(true);
      lock.setAccessible(true);
      writer.setAccessible(true);
      return new Field[] {handler, lock, writer};
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "direct WebSocket writes are off: {0}", e.toString());
      return null;
    }
  }

  private static Field asyncRemoteField(Class<?> remoteType) {
    try {
      Field f = Class.forName(SESSION).getDeclaredField("asyncRemote");
      if (!remoteType.isAssignableFrom(f.getType())) {
        return null;
      }
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Does what {@code ProtocolHandler.sendRawFrame} does, without its per-send objects (a {@code WriterInfo},
   * a {@code TyrusFuture}, a completion wrapper, and the future and action {@code whenComplete} adds): under
   * the protocol handler's lock, which every Tyrus send of the connection takes around its write, the bytes
   * go to the connection's {@link Writer}, so they keep their place in the connection's order (W10); the
   * outcome goes to a completion adapter made once per handler and reused.
   */
  private void writeDirect(TyrusWebSocket socket, ByteBuffer frame, FutureHandler handler)
      throws IllegalAccessException {
    Object protocol = protocolHandlerField.get(socket);
    Lock lock = (Lock) lockField.get(protocol);
    Object state = handler.senderState();
    Completion completion;
    if (state instanceof Completion c) {
      completion = c;
    } else {
      completion = new Completion(handler);
      handler.senderState(completion);
    }
    lock.lock();
    try {
      Writer writer = (Writer) writerField.get(protocol);
      if (writer == null || !socket.isConnected()) {
        throw new IllegalStateException("connection closed");
      }
      writer.write(frame, completion, RAW_BINARY);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Tells a {@link FutureHandler} the outcome of a direct write; one per handler, reused for its sends.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable; called on the connection's writer threads.
   */
  private static final class Completion extends CompletionHandler<ByteBuffer> {
    private final FutureHandler handler;

    Completion(FutureHandler handler) {
      this.handler = handler;
    }

    @Override
    public void completed(ByteBuffer result) {
      handler.accept(null, null);
    }

    @Override
    public void failed(Throwable cause) {
      handler.accept(null, cause);
    }

    @Override
    public void cancelled() {
      handler.accept(null, new CancellationException("write cancelled"));
    }
  }

  private TyrusWebSocket socketOf(Session session) {
    try {
      Object remote = asyncRemoteField != null && asyncRemoteField.getDeclaringClass().isInstance(session)
          ? asyncRemoteField.get(session)
          : session.getAsyncRemote();
      return webSocketField.getDeclaringClass().isInstance(remote) ? (TyrusWebSocket) webSocketField.get(remote) : null;
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }
}
