package io.framestream.server.internal;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.LimitExceededException;
import io.framestream.core.NoSuchChannelException;
import io.framestream.core.Publisher;
import io.framestream.core.wire.FrameIngest;
import io.framestream.core.wire.IngestException;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import io.framestream.edge.AddressLimiter;
import io.framestream.edge.TrustedProxies;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * {@code POST /api/channels/{name}/frames}: one frame per request, the body being the frame (type from
 * {@code Content-Type}, else recognised from its bytes). For snapshots from scripts ({@code curl
 * --data-binary @shot.jpg}) and cameras that push over HTTP.
 *
 * <p>HTTP publishers of a channel share one {@link Publisher} handle, opened by the first post and closed
 * after {@link #IDLE} without posts, so HTTP publishing counts against {@code maxPublishers}, obeys the
 * publish rate limits and makes the channel online and, later, offline, like a WebSocket publisher.
 * Access is the server's {@link AccessGate} (origin, authorizer), run once per post before the body is read.
 * Answers: 204 published; 400 invalid name; 401/403 access gate; 404 unknown channel (declared-only
 * registries); 408 body not complete within {@code uploadTimeout}; 409 another publisher holds the
 * channel; 413 body over {@code maxFrameBytes}; 415 unknown format; 429 over the publish rate, or more than
 * {@code maxUploadsPerAddress} bodies in progress from the client's address. A handle whose channel was
 * closed (or that was closed) is replaced by one on the channel the registry has now.
 *
 * <p>No thread waits for a body: it is read as it arrives ({@link BodyReader}), bounded by {@code
 * maxFrameBytes} before the bytes are held, with a deadline on the whole body. So the memory one client
 * address can make this endpoint hold is at most {@code maxUploadsPerAddress x maxFrameBytes}. A complete
 * body goes through the one ingest path ({@link FrameIngest}), as a WebSocket publisher's message does: an
 * MP4 fragment is marked {@code KEY} or {@code DELTA} from its sample flags against the channel's init segment
 * (rule W9); a refusal is 413 (too large), 415 (unknown or invalid type) or 400.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: Grizzly worker threads post concurrently; handles live in a concurrent map, closed by one
 * timer thread, which also runs the body deadlines.
 */
public final class HttpPublishing implements AutoCloseable {

  /** How long an HTTP publisher's handle stays open after its last post. */
  public static final java.time.Duration IDLE = java.time.Duration.ofSeconds(10);

  /** A channel's shared handle, with the channel it was opened on. */
  private record Holder(Channel channel, Publisher publisher, long lastPostNanos) {
    boolean usable() {
      return !publisher.isClosed() && !channel.isClosed();
    }
  }

  private final ChannelRegistry registry;
  private final AccessGate gate;
  private final int maxFrameBytes;
  private final Duration uploadTimeout;
  private final ConcurrentHashMap<String, Holder> publishers = new ConcurrentHashMap<>();
  /** Bodies being read, per client address. */
  private final AddressLimiter uploads;
  private final ScheduledThreadPoolExecutor timer;

  /**
   * Creates the handler's state; {@link #start()} starts its idle timer.
   *
   * @param registry the channels
   * @param gate decides who may publish, from which browser origins
   * @param maxFrameBytes the largest body accepted
   * @param uploadTimeout the deadline on a whole body
   * @param maxUploadsPerAddress how many bodies one client address may be sending at once
   */
  public HttpPublishing(ChannelRegistry registry, AccessGate gate, int maxFrameBytes, Duration uploadTimeout,
      int maxUploadsPerAddress) {
    this.registry = registry;
    this.gate = gate;
    this.maxFrameBytes = maxFrameBytes;
    this.uploadTimeout = uploadTimeout;
    this.uploads = new AddressLimiter(maxUploadsPerAddress);
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "framestream-http-publishers");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true); // a body that ends in time leaves no deadline task behind
  }

  /** Starts the timer that closes idle HTTP publisher handles. */
  public void start() {
    timer.scheduleAtFixedRate(this::closeIdle, 1, 1, TimeUnit.SECONDS);
  }

  /**
   * Handles one post to a channel whose name was validated.
   *
   * @param name the channel name
   * @param request the request
   * @param response the response
   * @throws IOException if answering fails
   */
  void post(String name, Request request, Response response) throws IOException {
    String remote = clientAddress(request);
    AccessGate.Verdict access = gate.admit(AccessRequest.Action.PUBLISH, name, remote,
        AccessRequests.headers(request.getRequest()), AccessRequest.parseQuery(request.getQueryString()));
    if (!access.allowed()) {
      if (access.challenges()) {
        response.setHeader("WWW-Authenticate", "Bearer");
      }
      refuseUnread(request, response, access.status(), access.message());
      return;
    }
    long declared = request.getContentLengthLong();
    if (declared > maxFrameBytes) {
      refuseUnread(request, response, 413, "frame of " + declared + " bytes exceeds maxFrameBytes "
          + maxFrameBytes);
      return;
    }
    if (!uploads.tryAcquire(remote)) {
      refuseUnread(request, response, 429, "too many uploads in progress from " + remote
          + " (maxUploadsPerAddress " + uploads.limit() + ")");
      return;
    }
    String type = request.getContentType();
    new BodyReader(request, response, maxFrameBytes, uploadTimeout,
        (body, handedOver, answer) -> publish(name, remote, type, body, handedOver, answer),
        () -> uploads.release(remote)).start(timer);
  }

  /**
   * Answers a request whose body was not read. When a body follows (a declared length or chunks), the answer says
   * {@code Connection: close} and the connection is closed after it: kept alive, Grizzly would go on reading
   * and discarding the rest of the body, however long the client declared it to be (a terabyte, say). The
   * close is graceful (the answer goes out first) and waits for nothing on this thread.
   *
   * @param request the request, its body unread
   * @param response its response
   * @param status the status
   * @param message the error message
   * @throws IOException if answering fails
   */
  static void refuseUnread(Request request, Response response, int status, String message)
      throws IOException {
    // A declared length, or a chunked body; -1 without either (a GET) means no body.
    boolean bodyFollows = request.getContentLengthLong() > 0 || request.getRequest().isChunked();
    if (bodyFollows) {
      response.setHeader("Connection", "close");
    }
    ApiHandler.error(response, status, message);
    if (bodyFollows) {
      request.getContext().getConnection().closeSilently();
    }
  }

  /**
   * The client's address: the one the connection tracker resolved through the trusted proxies and put on
   * the request as an attribute (which, unlike a header, no client can set), else the socket's peer.
   */
  private static String clientAddress(Request request) {
    Object resolved = request.getAttribute(TrustedProxies.CLIENT_ADDRESS_ATTRIBUTE);
    return resolved instanceof String && !((String) resolved).isBlank() ? (String) resolved : request.getRemoteAddr();
  }

  /**
   * The content type a post declares: none for a missing or blank {@code Content-Type}, for {@code
   * application/octet-stream} and for the form type {@code curl --data-binary} sends (rule W9).
   */
  static String declaredType(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return null;
    }
    String t = contentType.trim().toLowerCase(Locale.ROOT);
    return t.startsWith("application/octet-stream") || t.startsWith("application/x-www-form-urlencoded")
        ? null : contentType;
  }

  /** The status of a body the ingest refused. */
  private static int status(IngestException.Reason reason) {
    switch (reason) {
      case TOO_LARGE:
        return 413;
      case UNKNOWN_TYPE:
      case INVALID_TYPE:
        return 415;
      default:
        return 400;
    }
  }

  /**
   * Publishes a complete body on a Grizzly thread; never blocks. A body handed over (an array the reader
   * joined for it alone) becomes the frame's payload as it is; a view of Grizzly's read buffer is copied.
   */
  private void publish(String name, String remote, String type, ByteBuffer body, boolean handedOver,
      Response response) throws IOException {
    // A post is a stream of one message: an MP4 fragment is read against the channel's init segment (W9).
    FrameIngest ingest = new FrameIngest(maxFrameBytes,
        () -> registry.find(name).flatMap(Channel::initFrame).map(Frame::copyPayload).orElse(null));
    Frame.Builder frame;
    try {
      String declared = declaredType(type);
      frame = handedOver ? ingest.adoptBinary(body.array(), declared) : ingest.binary(body, declared);
    } catch (IngestException e) {
      boolean unknown = e.reason() == IngestException.Reason.UNKNOWN_TYPE;
      ApiHandler.error(response, status(e.reason()), e.getMessage() + (unknown ? " with Content-Type" : ""));
      return;
    }
    // A handle found stale when publishing (its channel closed meanwhile) is replaced once.
    for (int attempt = 1; ; attempt++) {
      Holder h;
      try {
        h = handle(name, remote);
      } catch (NoSuchChannelException e) {
        ApiHandler.error(response, 404, e.getMessage());
        return;
      } catch (LimitExceededException e) {
        ApiHandler.error(response, 409, e.getMessage());
        return;
      } catch (ChannelClosedException e) {
        ApiHandler.error(response, 503, "channel closed");
        return;
      }
      boolean published;
      try {
        published = h.publisher.publish(frame.build());
      } catch (ChannelClosedException e) {
        forget(name, h);
        if (attempt < 2) {
          continue;
        }
        ApiHandler.error(response, 503, "channel closed");
        return;
      }
      if (!published) {
        ApiHandler.error(response, 429, "over the publish rate limit (maxPublishFps, maxPublishBytesPerSecond)");
        return;
      }
      ApiHandler.noContent(response);
      return;
    }
  }

  /**
   * The channel's shared HTTP publisher handle, opened if needed. A handle that was closed, or whose channel
   * was closed (the registry then forgets the channel), is replaced by one on the channel the registry has
   * now.
   */
  private Holder handle(String name, String remote) {
    Holder old = publishers.get(name);
    if (old != null && !old.usable()) {
      forget(name, old);
    }
    return publishers.compute(name, (k, cur) -> cur != null && cur.usable()
        ? new Holder(cur.channel, cur.publisher, System.nanoTime())
        : open(k, remote));
  }

  private Holder open(String name, String remote) {
    Channel channel = registry.channel(name);
    return new Holder(channel, channel.openPublisher("HTTP " + remote), System.nanoTime());
  }

  private void forget(String name, Holder stale) {
    if (publishers.remove(name, stale)) {
      stale.publisher.close();
    }
  }

  private void closeIdle() {
    long now = System.nanoTime();
    for (Map.Entry<String, Holder> e : publishers.entrySet()) {
      if (now - e.getValue().lastPostNanos > IDLE.toNanos() || !e.getValue().usable()) {
        if (publishers.remove(e.getKey(), e.getValue())) {
          e.getValue().publisher.close();
        }
      }
    }
  }

  /** Closes every HTTP publisher handle and the timer. */
  @Override
  public void close() {
    timer.shutdownNow();
    for (Holder h : publishers.values()) {
      h.publisher.close();
    }
    publishers.clear();
  }
}
