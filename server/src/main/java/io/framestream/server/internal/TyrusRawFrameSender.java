package io.framestream.server.internal;

import io.framestream.core.DirectMessage;
import io.framestream.core.FrameEncoding;
import io.framestream.transport.websocket.spi.RawFrameSender;
import io.framestream.transport.websocket.spi.RawFrameSender.FutureHandler;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.locks.Lock;
import java.util.function.BiConsumer;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.asyncqueue.WritableMessage;
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
  /** Writes straight to Grizzly's queue when Tyrus has nothing waiting; see {@link GrizzlyWrites}. */
  private final GrizzlyWrites grizzly = GrizzlyWrites.create();
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
    return send(session, null, null, frame, handler);
  }

  /**
   * Like {@link #send(Session, ByteBuffer, SendHandler)}; a write that goes straight into Grizzly's queue
   * takes the frame's message in native memory ({@code WebSocketFrames.direct}), which the socket writes with
   * no copy, and gives its reference back when the write completes or fails.
   */
  @Override
  public boolean send(Session session, io.framestream.core.Frame frame, FrameEncoding<ByteBuffer> message,
      SendHandler handler) {
    return send(session, frame, message, null, handler);
  }

  /** One of {@code bytes} or ({@code frame}, {@code message}) names the message. */
  private boolean send(Session session, io.framestream.core.Frame frame, FrameEncoding<ByteBuffer> message,
      ByteBuffer bytes, SendHandler handler) {
    if (protocolHandlerField != null) {
      Completion completion = completionFor(session, handler);
      if (completion.session != session) {
        // First send of this handler (or of its session): find Tyrus's objects once and keep them.
        TyrusWebSocket socket = socketOf(session);
        if (socket == null || !session.getNegotiatedExtensions().isEmpty()) {
          return false;
        }
        try {
          completion.bind(session, socket, protocolHandlerField.get(socket), lockField, writerField);
        } catch (IllegalAccessException | RuntimeException e) {
          handler.onResult(new SendResult(session, e));
          return true;
        }
      }
      try {
        writeDirect(frame, message, bytes, completion);
      } catch (RuntimeException e) {
        handler.onResult(new SendResult(session, e));
      }
      return true;
    }
    TyrusWebSocket socket = socketOf(session);
    if (socket == null || !session.getNegotiatedExtensions().isEmpty()) {
      return false;
    }
    Future<Frame> sent;
    try {
      sent = socket.sendRawFrame(bytes != null ? bytes : frame.encoded(message).duplicate());
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
  private void writeDirect(io.framestream.core.Frame frame, FrameEncoding<ByteBuffer> message, ByteBuffer bytes,
      Completion completion) {
    Lock lock = completion.lock;
    lock.lock();
    try {
      Writer writer = completion.writer;
      if (writer == null || !completion.socket.isConnected()) {
        completion.session = null; // found again on the next send, should there be one
        throw new IllegalStateException("connection closed");
      }
      if (!grizzly.write(writer, frame, message, bytes, completion)) {
        writer.write(bytes != null ? bytes : frame.encoded(message).duplicate(), completion, RAW_BINARY);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The completion adapter of a send: for a {@link FutureHandler}, one made once and kept on the handler (a
   * viewer reuses its handlers for every frame); for any other handler (the viewer's notices), one per send.
   */
  private static Completion completionFor(Session session, SendHandler handler) {
    if (handler instanceof FutureHandler future) {
      if (future.senderState() instanceof Completion c) {
        return c;
      }
      Completion c = new Completion(future);
      future.senderState(c);
      return c;
    }
    return new Completion((ignored, failure) ->
        handler.onResult(failure == null ? new SendResult(session) : new SendResult(session, failure)));
  }

  /**
   * Tells a handler the outcome of a direct write, whichever way the bytes went: through Tyrus's writer (as
   * a Tyrus completion) or straight into Grizzly's write queue ({@link #grizzly}). One per {@link
   * FutureHandler}, reused for its sends; it also keeps what {@link GrizzlyWrites} found for the connection
   * it last wrote to.
   *
   * <h2>Thread safety</h2>
   *
   * Called on the connection's writer threads; {@link #target} is only touched under the connection's Tyrus
   * lock, by the one delivery thread that sends for the session at a time.
   */
  static final class Completion extends CompletionHandler<ByteBuffer> {
    private final BiConsumer<Object, Throwable> handler;
    /** The same outcome as a Grizzly write's completion handler. */
    final org.glassfish.grizzly.CompletionHandler<WriteResult<WritableMessage, SocketAddress>> grizzly;
    /** The connection this handler last wrote to through Grizzly, and how; null before the first. */
    GrizzlyWrites.Target target;
    /**
     * The native-memory message of the write in flight through Grizzly, released when it ends; or null. A
     * field of this object reached through {@code HELD}, so a send touches no second object for it.
     */
    @SuppressWarnings("unused")
    private volatile DirectMessage held;

    private static final VarHandle HELD;

    static {
      try {
        HELD = MethodHandles.lookup().findVarHandle(Completion.class, "held", DirectMessage.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
    /** The session this handler sends for, and its Tyrus objects; found on its first send. */
    Session session;
    TyrusWebSocket socket;
    Lock lock;
    Writer writer;

    /** Keeps a session's Tyrus objects: its socket, its protocol handler's lock and writer. */
    void bind(Session s, TyrusWebSocket ws, Object protocol, Field lockField, Field writerField)
        throws IllegalAccessException {
      this.socket = ws;
      this.lock = (Lock) lockField.get(protocol);
      this.writer = (Writer) writerField.get(protocol); // set when the connection opened, never changed
      this.session = s;
    }

    Completion(BiConsumer<Object, Throwable> handler) {
      this.handler = handler;
      this.grizzly = new org.glassfish.grizzly.CompletionHandler<>() {
        @Override
        public void cancelled() {
          letGo();
          Completion.this.cancelled();
        }

        @Override
        public void failed(Throwable cause) {
          letGo();
          Completion.this.failed(cause);
        }

        @Override
        public void completed(WriteResult<WritableMessage, SocketAddress> result) {
          letGo();
          handler.accept(null, null);
        }

        @Override
        public void updated(WriteResult<WritableMessage, SocketAddress> result) {
          // progress of a partial write: the outcome comes with completed or failed
        }
      };
    }

    /**
     * Keeps the message a Grizzly write is about to take, until that write reports its outcome. Set before
     * the write starts: Grizzly may report before its {@code write} call returns.
     */
    void hold(DirectMessage message) {
      DirectMessage previous = (DirectMessage) HELD.getAndSet(this, message);
      if (previous != null) {
        // Not reached: a handler has one write in flight at a time, and lets go before it reports. Should it
        // happen, that earlier write may still be queued: keep its memory out of the pool (the collector
        // frees it) rather than let a later frame overwrite bytes not yet written.
        LOG.log(System.Logger.Level.WARNING, "a send handler started a write before the last one reported");
      }
    }

    /** Gives back the held message's reference, once per write whatever reports it. */
    void letGo() {
      DirectMessage m = (DirectMessage) HELD.getAndSet(this, null);
      if (m != null) {
        m.release();
      }
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
