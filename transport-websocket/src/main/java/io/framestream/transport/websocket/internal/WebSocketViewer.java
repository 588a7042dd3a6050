package io.framestream.transport.websocket.internal;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.ChannelState;
import io.framestream.core.CloseReason;
import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSink;
import io.framestream.core.InitMessage;
import io.framestream.core.LimitExceededException;
import io.framestream.core.SendCallback;
import io.framestream.core.Subscription;
import io.framestream.core.TransportException;
import io.framestream.transport.websocket.spi.RawFrameSender;
import io.framestream.transport.websocket.spi.SessionAborter;
import io.framestream.transport.websocket.spi.WebSocketFrames;
import jakarta.websocket.CloseReason.CloseCodes;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One viewer connection as a {@link FrameSink}: each frame becomes one binary message (or one data-URI text)
 * sent asynchronously, pre-framed once per frame and shared by every viewer when the host provides a {@link
 * RawFrameSender}; the send's completion is the frame's completion, so the channel's mailbox keeps at most
 * {@code maxInFlight} frames in flight on this connection and evicts it when the peer stops reading.
 *
 * <p>Order: every message (init and status texts, frames) is queued on the connection inside the serial sink
 * call that produces it, never later from a completion, so messages leave in the order the channel hands them
 * over whatever the number of frames in flight. Tyrus queues each connection's asynchronous sends in call
 * order; on other containers the viewer hands over one message at a time (see {@code enqueue}).
 *
 * <h2>Thread safety</h2>
 *
 * Sink calls come serially (rule K3), so {@code announced} needs no lock; completions arrive on container
 * threads and touch the channel's callback and the outbox (under its own lock).
 */
final class WebSocketViewer implements FrameSink {

  private static final System.Logger LOG = System.getLogger(WebSocketViewer.class.getName());
  /**
   * Room in the outbox beyond two messages per frame in flight (an init text and the frame), for the status
   * and init texts of state changes (containers that do not queue sends in order).
   */
  static final int MAX_OUTBOX = 64;
  /** What an init message announces about a frame, built once per frame (not once per viewer and frame). */
  private static final FrameEncoding<String> DESCRIPTION =
      FrameEncoding.of("websocket-viewer-description", WebSocketViewer::describe);

  private final Session session;
  private final Channel channel;
  private final boolean dataUri;
  private final SessionAborter aborter;
  private final RawFrameSender rawFrameSender;
  /** The chunk stream's state ({@code ?format=chunks}, W12), else {@code null}. Serial sink calls only. */
  private final ChunkStream chunks;
  private volatile Subscription subscription;
  private volatile boolean stopped;
  /** What the last init message announced: "type|width|height|codec". Serial sink calls only. */
  private String announced = "";
  private boolean sentAny;
  /** Whether the container queues this connection's asynchronous sends in call order (Tyrus does). */
  private final boolean containerKeepsOrder;
  private final Object outboxLock = new Object();
  /** Messages waiting for the one in progress, when the container does not queue in order; bounded (below). */
  private final ArrayDeque<Pending> outbox = new ArrayDeque<>(); // guarded by outboxLock
  private boolean sending; // guarded by outboxLock
  /** Inside the container's call that starts the current message; guarded by outboxLock. */
  private boolean starting;
  /** The current message completed while {@link #starting}: the loop in sendNext goes on; guarded by outboxLock. */
  private boolean completedWhileStarting;
  /** The most messages the outbox holds: two per frame in flight plus {@link #MAX_OUTBOX}. */
  private final int outboxLimit;
  /** Frames start at once through the raw sender, with a reusable handler (see {@code sendNow}). */
  private final boolean fastPath;
  /**
   * The handler of the last finished frame send, for the next frame (fast path): with one frame in flight, the
   * only one this viewer needs, taken and given back with one atomic operation on this object.
   */
  @SuppressWarnings("unused") // through IDLE_SEND
  private volatile FrameSend idleSend;
  /** More finished handlers, when several frames are in flight (fast path); guarded by itself. */
  private final ArrayDeque<FrameSend> idleSends = new ArrayDeque<>();

  private static final VarHandle IDLE_SEND;
  private static final VarHandle ARMED;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      IDLE_SEND = lookup.findVarHandle(WebSocketViewer.class, "idleSend", FrameSend.class);
      ARMED = lookup.findVarHandle(FrameSend.class, "armed", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  WebSocketViewer(Session session, Channel channel, boolean dataUri, SessionAborter aborter,
      RawFrameSender rawFrameSender) {
    this(session, channel, dataUri, false, aborter, rawFrameSender);
  }

  WebSocketViewer(Session session, Channel channel, boolean dataUri, boolean chunks, SessionAborter aborter,
      RawFrameSender rawFrameSender) {
    this.session = session;
    this.chunks = chunks && !dataUri ? new ChunkStream() : null;
    this.channel = channel;
    this.dataUri = dataUri;
    this.aborter = aborter;
    this.rawFrameSender = rawFrameSender;
    this.containerKeepsOrder = session.getClass().getName().startsWith("org.glassfish.tyrus.");
    this.outboxLimit = 2 * channel.config().maxInFlight() + MAX_OUTBOX;
    this.fastPath = containerKeepsOrder && rawFrameSender != RawFrameSender.PORTABLE;
  }

  /** Sends the init message (binary mode), then subscribes. */
  void start() {
    if (dataUri || chunks != null) { // the chunk stream describes itself with its config texts (W12)
      subscribe();
      return;
    }
    InitMessage init = InitMessage.of(channel);
    announced = channel.latestKeyFrame().or(channel::initFrame).or(channel::latestFrame)
        .map(WebSocketViewer::describe).orElse("");
    String json = init.toJson();
    enqueue(done -> session.getAsyncRemote().sendText(json, done), result -> {
      if (result.isOK()) {
        subscribe();
      } else {
        stop();
      }
    });
  }

  private void subscribe() {
    try {
      subscription = channel.subscribe(this);
    } catch (ChannelClosedException e) {
      close(CloseCodes.GOING_AWAY, "channel closed");
      return;
    } catch (LimitExceededException e) {
      close(CloseCodes.TRY_AGAIN_LATER, e.getMessage());
      return;
    }
    if (stopped || !session.isOpen()) {
      subscription.close();
    }
  }

  /** The connection ended: leave the channel. */
  void stop() {
    stopped = true;
    Subscription s = subscription;
    if (s != null) {
      s.close();
    }
  }

  @Override
  public void send(Frame frame, SendCallback callback) {
    // On the fast path the raw sender checks the connection under its write lock and fails the send if it is
    // gone, so the session is not asked again here for every frame (one object fewer touched per send).
    if (stopped || (!fastPath && !session.isOpen())) {
      callback.failed(new TransportException("session closed"));
      return;
    }
    if (dataUri) {
      sendMessage(frame, WebSocketFrames.DATA_URI_TEXT, callback);
      return;
    }
    if (chunks != null) {
      ChunkStream.Step step = chunks.step(frame);
      if (step == null) {
        callback.completed(); // nothing this viewer could decode (W12): it waits for the next key frame
        return;
      }
      if (step.notice() != null) {
        sendNotice(step.notice());
      }
      sendMessage(frame, step.message(), callback);
      return;
    }
    String description = frame.encoded(DESCRIPTION); // once per frame, shared by the channel's viewers
    boolean announce = (frame.kind() == FrameKind.INIT && sentAny) || !description.equals(announced);
    sentAny = true;
    if (announce) {
      // A new stream, or new parameters: describe them before the frame. The init text and the frame are
      // queued back to back in this one (serial) call, so no later frame can come between them, however many
      // frames are in flight (W10); the frame completes when its binary does.
      announced = description;
      sendNotice(InitMessage.of(channel.name(), frame).toJson());
    }
    sendMessage(frame, WebSocketFrames.BINARY, callback);
  }

  /**
   * On the fast path (Tyrus, frames written straight into the connection's queue by the raw sender) every
   * call only queues bytes or a close and never waits, so the channel may make it on the publishing thread
   * and save the frame a hand-off to its delivery pool (issue 14). Elsewhere the container's send may do
   * more, and the calls stay on the pool.
   */
  @Override
  public boolean inline() {
    return fastPath;
  }

  @Override
  public void status(ChannelState state) {
    if (dataUri || !session.isOpen()) {
      return; // the data-URI format carries frames and nothing else
    }
    sendNotice(InitMessage.statusJson(channel.name(), state));
    if (state == ChannelState.ONLINE && chunks == null) {
      // A (new) publisher: describe the channel afresh; frames that differ get their own init anyway.
      announced = channel.latestKeyFrame().or(channel::initFrame).or(channel::latestFrame)
          .map(WebSocketViewer::describe).orElse("");
      sendNotice(InitMessage.of(channel).toJson());
    }
  }

  /**
   * Queues a small text (init or status) on the connection, in order with everything sent before and after
   * it from the serial sink calls. Its outcome is not awaited: a failed write means the connection is gone,
   * and the frame sent next (or the close) reports that.
   */
  private void sendNotice(String json) {
    SendHandler logFailure = result -> {
      if (!result.isOK()) {
        LOG.log(System.Logger.Level.DEBUG, "notice to viewer {0} failed: {1}", session.getId(), result.getException());
      }
    };
    if (fastPath) {
      // Through the same sender as the frames, so a host that writes around its container's queue keeps the
      // notice and the frames after it in order (W10).
      byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
      ByteBuffer framed = WebSocketFrames.startMessage(true, utf8.length).put(utf8).flip();
      if (rawFrameSender.send(session, framed, logFailure)) {
        return;
      }
    }
    enqueue(done -> session.getAsyncRemote().sendText(json, done), logFailure);
  }

  private static String describe(Frame f) {
    return f.contentType() + "|" + f.width().orElse(0) + "|" + f.height().orElse(0) + "|" + f.codec().orElse("");
  }

  /**
   * Sends a frame as one message: pre-framed once per frame and shared by every viewer when the host
   * provides a {@link RawFrameSender} (W11), else through the portable {@code sendBinary} / {@code sendText}.
   */
  private void sendMessage(Frame frame, FrameEncoding<ByteBuffer> framed, SendCallback callback) {
    if (fastPath) {
      sendNow(frame, framed, callback);
      return;
    }
    enqueue(done -> {
      if (rawFrameSender != RawFrameSender.PORTABLE) {
        if (rawFrameSender.send(session, frame, framed, done)) {
          return;
        }
      }
      sendPortable(frame, framed, done);
    }, completion(callback));
  }

  /**
   * The fast path (a container that queues sends in call order, and a raw sender): the message starts here,
   * inside the serial sink call, so it keeps its place among the connection's messages (W10), and its
   * outcome goes to a reusable {@link FrameSend}. Per frame and viewer this allocates only the buffer view
   * (its position is the viewer's own) and what the container needs for one write.
   */
  private void sendNow(Frame frame, FrameEncoding<ByteBuffer> framed, SendCallback callback) {
    FrameSend send = (FrameSend) IDLE_SEND.getAndSet(this, null);
    if (send == null) {
      synchronized (idleSends) {
        send = idleSends.poll();
      }
      if (send == null) {
        send = new FrameSend(); // at most one per frame in flight: the pool stays that small
      }
    }
    send.arm(callback);
    try {
      if (!rawFrameSender.send(session, frame, framed, send)) {
        sendPortable(frame, framed, send);
      }
    } catch (RuntimeException e) {
      // The send did not start cleanly: this handler may still be called later, so it is never reused.
      send.retire();
      IDLE_SEND.compareAndSet(this, send, null); // in case it completed before the throw
      synchronized (idleSends) {
        idleSends.remove(send);
      }
      send.complete(e);
    }
  }

  private void sendPortable(Frame frame, FrameEncoding<ByteBuffer> framed, SendHandler done) {
    if (framed == WebSocketFrames.DATA_URI_TEXT) {
      session.getAsyncRemote().sendText(frame.dataUri(), done);
    } else if (framed == WebSocketFrames.BINARY) {
      session.getAsyncRemote().sendBinary(frame.payload(), done);
    } else {
      ChunkStream.sendPortable(session, frame.encoded(framed), done);
    }
  }

  /**
   * The outcome of one frame's send on the fast path, reported once to the frame's callback; reused for
   * later frames once reported, so a viewer allocates no handler per frame.
   *
   * <h2>Thread safety</h2>
   *
   * Armed by the serial sink call; completed once on a container thread (the flag, set and cleared through
   * {@code ARMED}, makes a second report a no-op); handed back to {@code idleSend} (or {@code idleSends}, under
   * that deque's lock) before the callback runs.
   */
  private final class FrameSend implements RawFrameSender.FutureHandler {
    /** Set by {@link #arm}, cleared once through {@code ARMED} by the one report that counts. */
    private volatile boolean armed;
    private volatile SendCallback callback;
    /** Set when a send threw: the handler may still be called late, so it is never reused. */
    private volatile boolean retired;
    /** The raw sender's own object for this handler (see {@link RawFrameSender.FutureHandler}). */
    private volatile Object senderState;

    @Override
    public Object senderState() {
      return senderState;
    }

    @Override
    public void senderState(Object state) {
      senderState = state;
    }

    void arm(SendCallback c) {
      callback = c;
      armed = true;
    }

    void retire() {
      retired = true;
    }

    @Override
    public void onResult(SendResult result) {
      complete(result.isOK() ? null : failure(result));
    }

    @Override
    public void accept(Object ignored, Throwable failure) {
      complete(failure);
    }

    void complete(Throwable failure) {
      if (!ARMED.compareAndSet(this, true, false)) {
        return;
      }
      SendCallback c = callback;
      callback = null;
      if (!retired && !IDLE_SEND.compareAndSet(WebSocketViewer.this, null, this)) {
        synchronized (idleSends) {
          idleSends.push(this);
        }
      }
      if (failure == null) {
        c.completed();
      } else {
        c.failed(failure);
      }
    }
  }

  /**
   * Queues one message on the connection, in call order. Tyrus queues every asynchronous send of a
   * connection in call order, so there the message starts at once. Other containers may not (Tomcat refuses
   * a send while another is in progress), so there one message is handed over at a time and the next one
   * starts from the previous one's completion. That outbox holds what the channel hands this sink while
   * frames are in flight: {@code maxInFlight} frames, an init text before each, and the status and init
   * texts of the state changes between them; beyond two messages per frame in flight plus {@link #MAX_OUTBOX}
   * the viewer is closed.
   *
   * @param message starts the send and calls the handler it is given exactly once
   * @param done told the outcome, once
   */
  private void enqueue(Outgoing message, SendHandler done) {
    if (containerKeepsOrder) {
      start(message, done);
      return;
    }
    boolean overflow;
    synchronized (outboxLock) {
      overflow = outbox.size() >= outboxLimit;
      if (!overflow) {
        outbox.add(new Pending(message, done));
        if (sending) {
          return;
        }
        sending = true;
      }
    }
    if (overflow) {
      // Only status notices can pile up beyond the frames in flight (a publisher coming and going while this
      // peer reads nothing): the peer is not reading, so it goes.
      done.onResult(new SendResult(session, new TransportException(outboxLimit + " messages waiting")));
      close(CloseCodes.VIOLATED_POLICY, "too slow: " + outboxLimit + " messages waiting");
      return;
    }
    sendNext();
  }

  /**
   * Starts the waiting messages one after another. A container may complete a send inside the very call
   * that starts it (Jetty does, and then refuses a new message until that call has returned), so a
   * completion that arrives while a start is in progress only marks the next message as due, and the loop
   * here starts it after the call returned. No recursion, whatever the outbox holds.
   */
  private void sendNext() {
    while (true) {
      Pending next;
      synchronized (outboxLock) {
        if (starting) {
          completedWhileStarting = true;
          return;
        }
        next = outbox.poll();
        if (next == null) {
          sending = false;
          return;
        }
        starting = true;
        completedWhileStarting = false;
      }
      start(next.message(), result -> {
        try {
          next.done().onResult(result);
        } finally {
          sendNext();
        }
      });
      synchronized (outboxLock) {
        starting = false;
        if (!completedWhileStarting) {
          return; // it completes later, on another thread, which then calls sendNext
        }
      }
    }
  }

  /** Starts a send; an exception counts as its failed outcome, reported once. */
  private void start(Outgoing message, SendHandler done) {
    AtomicBoolean reported = new AtomicBoolean();
    SendHandler once = result -> {
      if (reported.compareAndSet(false, true)) {
        done.onResult(result);
      }
    };
    try {
      message.start(once);
    } catch (RuntimeException e) {
      once.onResult(new SendResult(session, e));
    }
  }

  private static SendHandler completion(SendCallback callback) {
    return result -> {
      if (result.isOK()) {
        callback.completed();
      } else {
        callback.failed(failure(result));
      }
    };
  }

  private static Throwable failure(SendResult result) {
    return result.getException() != null ? result.getException() : new TransportException("send failed");
  }

  /** One message to send: starts the container's send, which reports to the given handler. */
  @FunctionalInterface
  private interface Outgoing {
    void start(SendHandler done);
  }

  /** A message waiting in the outbox, and who is told its outcome. */
  private record Pending(Outgoing message, SendHandler done) {}

  @Override
  public void closed(CloseReason reason) {
    switch (reason.code()) {
      case STALLED:
        LOG.log(System.Logger.Level.DEBUG, "viewer {0} of {1}: {2}", session.getId(), channel.name(), reason.message());
        if (!aborter.abort(session, reason.message())) {
          close(CloseCodes.VIOLATED_POLICY, "too slow: " + reason.message());
        }
        break;
      case CHANNEL_CLOSED:
        close(CloseCodes.GOING_AWAY, reason.message());
        break;
      case SINK_FAILED:
        close(CloseCodes.UNEXPECTED_CONDITION, "delivery failed");
        break;
      case NORMAL:
      default:
        if (!stopped) {
          close(CloseCodes.NORMAL_CLOSURE, reason.message());
        }
        break;
    }
  }

  private void close(jakarta.websocket.CloseReason.CloseCode code, String text) {
    io.framestream.transport.websocket.internal.CloseCodes.closeQuietly(session,
        io.framestream.transport.websocket.internal.CloseCodes.reason(code, text));
  }
}
