package io.framestream.transport.websocket.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.ChannelNames;
import io.framestream.core.ChannelState;
import io.framestream.core.CloseReason;
import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSink;
import io.framestream.core.LimitExceededException;
import io.framestream.core.NoSuchChannelException;
import io.framestream.core.SendCallback;
import io.framestream.core.Subscription;
import io.framestream.core.TransportException;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import io.framestream.edge.ErrorBody;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One {@code /ws/multi} connection: up to {@link #MAX_CHANNELS} channels viewed at once, each through its own
 * subscription (its own mailbox: a busy channel never holds back another's newest frame), all sent over the
 * one WebSocket.
 *
 * <h2>Wire</h2>
 *
 * The client sends text control messages, one JSON object each: {@code {"type":"add","channel":"cam1"}} and
 * {@code {"type":"remove","channel":"cam1"}}. The server answers each with one text: {@code
 * {"type":"added","channel":"cam1"}} (with {@code "contentType"} when the channel has a frame), {@code
 * {"type":"removed","channel":"cam1"}}, or {@code {"type":"error","channel":"cam1","status":N,"error":"..."}}
 * with an HTTP-like status (400 malformed message or invalid name, 401/403 the access gate, 404 unknown channel
 * or not added, 409 already added, 429 more than {@link #MAX_CHANNELS} channels or a channel's subscriber
 * limit, 410 shutting down); an error harms nothing else. After {@code added}, each frame of the channel is one
 * binary message: one byte N (the channel name's length, 1-64), the name (ASCII), one byte kind ({@code 0}
 * {@code KEY}, {@code 1} {@code DELTA}, {@code 2} {@code INIT}), one byte T, the content type (T ASCII bytes),
 * then the payload. It is built once per frame and shared by every viewer. {@code status} texts ({@code
 * {"type":"status","channel":"cam1","status":"online"}}) come in order with the frames. After {@code removed}
 * no frame of that channel follows; a channel closed by the server is {@code removed} with a {@code reason}.
 *
 * <h2>Bounds</h2>
 *
 * The container takes one message at a time from a queue holding, per channel, its frames in flight (the
 * channel's {@code maxInFlight}) and its notices, plus {@link #SPARE} answers; a connection past that (a peer
 * that sends control messages and reads nothing) is closed with 1008. A channel whose frame makes no progress
 * for its {@code stallTimeout} means the peer stopped reading: the connection is dropped at the socket.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. Control messages arrive serially on container threads, frames on the registry's delivery
 * threads, completions on container threads; one lock guards the members and the queue, and is never held
 * while the container is called or a subscription is opened or closed.
 */
final class MultiConnection {

  /** The most channels one connection may view at once: 32. */
  static final int MAX_CHANNELS = 32;
  /** Room in the send queue beyond two messages per frame in flight, for answers and notices. */
  static final int SPARE = 64;

  private static final System.Logger LOG = System.getLogger(MultiConnection.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The tagged binary message of a frame, built once per frame and shared by every viewer. */
  private static final FrameEncoding<Tagged> TAGGED = FrameEncoding.of("ws-multi-tagged", f -> new Tagged());

  private final Session session;
  private final EndpointContext transport;
  private final String client;
  private final Map<String, List<String>> headers;
  private final Map<String, List<String>> query;

  private final Object lock = new Object();
  // Guarded by lock.
  private final Map<String, Member> members = new LinkedHashMap<>();
  private final ArrayDeque<Outgoing> queue = new ArrayDeque<>();
  private boolean sending;
  private boolean stopped;
  private boolean overflowed;
  private int budget = SPARE;
  /** Drains of the queue asked for while one runs (see {@link #drain()}). */
  private final AtomicInteger drains = new AtomicInteger();

  MultiConnection(Session session, EndpointContext transport, String client, Map<String, List<String>> headers,
      Map<String, List<String>> query) {
    this.session = session;
    this.transport = transport;
    this.client = client;
    this.headers = headers;
    this.query = query;
  }

  /** One control message from the client. */
  void control(String text) {
    String type;
    String name;
    try {
      JsonNode m = JSON.readTree(text);
      if (m == null || !m.isObject()) {
        throw new IOException("not a JSON object");
      }
      type = m.path("type").asText("");
      name = m.path("channel").asText("");
    } catch (IOException e) {
      error("", 400, "control messages are JSON objects: {\"type\":\"add\",\"channel\":\"...\"}");
      return;
    }
    if (!ChannelNames.isValid(name)) {
      String why;
      try {
        ChannelNames.requireValid(name);
        why = "invalid channel name";
      } catch (IllegalArgumentException e) {
        why = e.getMessage();
      }
      error(ErrorBody.shown(name, 64), 400, why);
      return;
    }
    switch (type) {
      case "add" -> add(name);
      case "remove" -> remove(name);
      default -> error(name, 400, "unknown type " + ErrorBody.shown(type, 32) + "; use add or remove");
    }
  }

  private void add(String name) {
    boolean already;
    int count;
    synchronized (lock) {
      already = members.containsKey(name);
      count = members.size();
    }
    if (already) {
      error(name, 409, "channel '" + name + "' is already added");
      return;
    }
    if (count >= MAX_CHANNELS) {
      error(name, 429, "at most " + MAX_CHANNELS + " channels per connection");
      return;
    }
    AccessGate.Verdict verdict = transport.gate().admit(AccessRequest.Action.VIEW, name, client, headers, query);
    if (!verdict.allowed()) {
      error(name, verdict.status(), verdict.message());
      return;
    }
    Channel channel;
    try {
      channel = transport.registry().channel(name);
    } catch (NoSuchChannelException e) {
      error(name, 404, e.getMessage());
      return;
    } catch (LimitExceededException e) {
      error(name, 429, e.getMessage());
      return;
    } catch (ChannelClosedException e) {
      error(name, 410, "server shutting down");
      return;
    }
    Member member = new Member(name, channel.config().maxInFlight());
    ObjectNode added = notice("added", name);
    channel.latestFrame().ifPresent(f -> added.put("contentType", f.contentType()));
    List<SendCallback> dropped;
    synchronized (lock) {
      if (stopped || members.containsKey(name) || members.size() >= MAX_CHANNELS) {
        return; // the connection ended (control messages are serial, so nothing else adds meanwhile)
      }
      members.put(name, member);
      budget += 2 * member.maxInFlight;
      dropped = enqueueLocked(text(added), null); // before any frame of the channel
    }
    settle(dropped);
    Subscription s;
    try {
      s = channel.subscribe(member);
    } catch (LimitExceededException | ChannelClosedException e) {
      if (forget(member)) {
        error(name, e instanceof LimitExceededException ? 429 : 410, e.getMessage());
      }
      return;
    }
    member.subscription(s);
  }

  private void remove(String name) {
    Member member;
    synchronized (lock) {
      member = members.get(name);
    }
    if (member == null) {
      error(name, 404, "channel '" + name + "' is not added");
      return;
    }
    if (forget(member)) {
      send(text(notice("removed", name)));
    }
    member.close();
  }

  /** Takes a member out; no frame of it is queued afterwards. Returns whether it was still there. */
  private boolean forget(Member member) {
    synchronized (lock) {
      if (members.get(member.name) != member) {
        return false;
      }
      members.remove(member.name);
      member.active = false;
      budget -= 2 * member.maxInFlight;
      return true;
    }
  }

  /** The connection ended: every subscription ends, and frames still queued fail. */
  void stop() {
    List<Member> all;
    List<SendCallback> dropped;
    synchronized (lock) {
      all = new ArrayList<>(members.values());
      members.clear();
      for (Member m : all) {
        m.active = false;
      }
      dropped = stopLocked();
    }
    fail(dropped, "connection closed");
    for (Member m : all) {
      m.close();
    }
  }

  /** Stops sending; returns the callbacks of the frames that were waiting, to fail outside the lock. */
  private List<SendCallback> stopLocked() {
    stopped = true;
    List<SendCallback> dropped = new ArrayList<>();
    for (Outgoing o : queue) {
      if (o.callback != null) {
        dropped.add(o.callback);
      }
    }
    queue.clear();
    return dropped;
  }

  private static void fail(List<SendCallback> callbacks, String why) {
    for (SendCallback c : callbacks) {
      c.failed(new TransportException(why));
    }
  }

  private static ObjectNode notice(String type, String channel) {
    ObjectNode n = JSON.createObjectNode();
    n.put("type", type);
    n.put("channel", channel);
    return n;
  }

  private static String text(ObjectNode node) {
    return node.toString();
  }

  private void error(String channel, int status, String message) {
    ObjectNode e = notice("error", channel);
    e.put("status", status);
    e.put("error", message);
    send(text(e));
  }

  /** Queues an answer or notice and starts sending. */
  private void send(String text) {
    List<SendCallback> dropped;
    synchronized (lock) {
      dropped = enqueueLocked(text, null);
    }
    settle(dropped);
  }

  /**
   * Queues a text or binary message with the callback told its outcome (none for answers and notices). Past
   * the bound the connection stops: a peer that reads nothing cannot make the queue grow. Returns the
   * callbacks to fail (this one when the connection has stopped; every waiting one when it stops now); the
   * caller passes them to {@link #settle(List)} outside the lock.
   */
  private List<SendCallback> enqueueLocked(Object message, SendCallback callback) {
    if (stopped) {
      return callback == null ? List.of() : List.of(callback);
    }
    if (queue.size() >= budget) {
      List<SendCallback> dropped = stopLocked();
      if (callback != null) {
        dropped.add(callback);
      }
      overflowed = true;
      return dropped;
    }
    queue.add(new Outgoing(message, callback));
    return List.of();
  }

  /** After queuing, outside the lock: fails what was dropped, closes an overflowing connection, sends. */
  private void settle(List<SendCallback> dropped) {
    fail(dropped, "connection closed");
    boolean close;
    synchronized (lock) {
      close = overflowed;
      overflowed = false;
    }
    if (close) {
      CloseCodes.closeQuietly(session, CloseCodes.reason(jakarta.websocket.CloseReason.CloseCodes.VIOLATED_POLICY,
          "too slow: " + budget + " messages waiting"));
    }
    drain();
  }

  /**
   * Hands queued messages to the container one at a time. A container may complete a send inside the call
   * that starts it (and then refuse a new one until that call returns), so a drain asked for meanwhile is only
   * counted, and the running drain goes round again: no recursion, and no second send at once.
   */
  private void drain() {
    if (drains.getAndIncrement() != 0) {
      return;
    }
    do {
      Outgoing next = null;
      synchronized (lock) {
        if (!sending && !stopped) {
          next = queue.poll();
          sending = next != null;
        }
      }
      if (next != null) {
        start(next);
      }
    } while (drains.decrementAndGet() != 0);
  }

  private void start(Outgoing out) {
    Consumer<SendResult> done = new Consumer<>() {
      private final AtomicInteger reported = new AtomicInteger();

      @Override
      public void accept(SendResult result) {
        if (reported.getAndIncrement() != 0) {
          return;
        }
        synchronized (lock) {
          sending = false;
        }
        if (out.callback != null) {
          if (result.isOK()) {
            out.callback.completed();
          } else {
            out.callback.failed(result.getException() != null ? result.getException()
                : new TransportException("send failed"));
          }
        }
        drain();
      }
    };
    SendHandler handler = done::accept;
    try {
      if (out.message instanceof String s) {
        session.getAsyncRemote().sendText(s, handler);
      } else {
        session.getAsyncRemote().sendBinary(((ByteBuffer) out.message).duplicate(), handler);
      }
    } catch (RuntimeException e) {
      done.accept(new SendResult(session, e));
    }
  }

  /** A message waiting for the container, and who is told its outcome ({@code null}: nobody). */
  private record Outgoing(Object message, SendCallback callback) {}

  /**
   * A frame's tagged message, filled by the first viewer that needs it (a frame belongs to one channel, so
   * the name is always the same; a different name would be built for that viewer alone).
   */
  private static final class Tagged {
    private String name;
    private ByteBuffer bytes;

    synchronized ByteBuffer of(String channel, Frame frame) {
      if (bytes == null) {
        name = channel;
        bytes = tag(channel, frame);
      }
      return channel.equals(name) ? bytes : tag(channel, frame);
    }
  }

  /** Builds the binary message of a frame: name length, name, kind, type length, type, payload. */
  static ByteBuffer tag(String channel, Frame frame) {
    byte[] name = channel.getBytes(StandardCharsets.US_ASCII);
    byte[] type = frame.contentType().getBytes(StandardCharsets.US_ASCII);
    ByteBuffer payload = frame.payload();
    ByteBuffer b = ByteBuffer.allocate(3 + name.length + type.length + payload.remaining());
    b.put((byte) name.length).put(name);
    b.put((byte) (frame.kind() == FrameKind.KEY ? 0 : frame.kind() == FrameKind.DELTA ? 1 : 2));
    b.put((byte) type.length).put(type);
    b.put(payload);
    b.flip();
    return b.asReadOnlyBuffer();
  }

  /** One channel of the connection: a sink with its own subscription, and so its own mailbox. */
  private final class Member implements FrameSink {
    final String name;
    final int maxInFlight;
    boolean active = true; // guarded by lock
    private Subscription subscription;
    private boolean closed;

    Member(String name, int maxInFlight) {
      this.name = name;
      this.maxInFlight = maxInFlight;
    }

    synchronized void subscription(Subscription s) {
      subscription = s;
      if (closed) {
        s.close();
      }
    }

    void close() {
      Subscription s;
      synchronized (this) {
        closed = true;
        s = subscription;
      }
      if (s != null) {
        s.close();
      }
    }

    @Override
    public void send(Frame frame, SendCallback callback) {
      ByteBuffer message = frame.encoded(TAGGED).of(name, frame);
      List<SendCallback> dropped = null;
      synchronized (lock) {
        if (active) {
          dropped = enqueueLocked(message, callback);
        }
      }
      if (dropped != null) {
        settle(dropped);
      } else {
        callback.completed(); // removed: the frame goes nowhere, and the subscription is closing
      }
    }

    @Override
    public void status(ChannelState state) {
      ObjectNode n = notice("status", name);
      n.put("status", state == ChannelState.ONLINE ? "online" : "offline");
      List<SendCallback> dropped;
      synchronized (lock) {
        if (!active) {
          return;
        }
        dropped = enqueueLocked(text(n), null);
      }
      settle(dropped);
    }

    @Override
    public void closed(CloseReason reason) {
      switch (reason.code()) {
        case STALLED -> {
          LOG.log(System.Logger.Level.DEBUG, "multi-channel viewer {0} of {1}: {2}", session.getId(), name,
              reason.message());
          if (!transport.aborter().abort(session, reason.message())) {
            CloseCodes.closeQuietly(session, CloseCodes.reason(
                jakarta.websocket.CloseReason.CloseCodes.VIOLATED_POLICY, "too slow: " + reason.message()));
          }
        }
        case NORMAL -> { } // removed by the client, or the connection ended
        default -> {
          if (forget(this)) {
            ObjectNode n = notice("removed", name);
            n.put("reason", reason.message());
            MultiConnection.this.send(text(n));
          }
        }
      }
    }
  }
}
