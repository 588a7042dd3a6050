package io.framestream.server.internal;

import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import io.framestream.edge.AddressLimiter;
import io.framestream.edge.ErrorBody;
import io.framestream.edge.TrustedProxies;
import io.framestream.transport.websocket.spi.FrontFilter;
import io.framestream.transport.websocket.spi.SessionAborter;
import jakarta.websocket.Session;
import java.io.CharConversionException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.glassfish.grizzly.CloseListener;
import org.glassfish.grizzly.Closeable;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.EmptyCompletionHandler;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.ICloseType;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext.TransportContext;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.http.HttpContent;
import org.glassfish.grizzly.http.HttpHeader;
import org.glassfish.grizzly.http.HttpRequestPacket;
import org.glassfish.grizzly.http.HttpResponsePacket;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.HttpServerFilter;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.memory.Buffers;

/**
 * The embedded server's filter in front of Tyrus: the WebSocket transport's {@link FrontFilter} and {@link
 * SessionAborter}.
 *
 * <p>Access (rule W6), once per handshake: for an upgrade to one of the transport's endpoints the filter
 * runs the transport's access gate ({@link FrontFilter.Upgrade#admit}) before Tyrus sees the request, so a
 * refusal is a complete 401 (with {@code WWW-Authenticate: Bearer}) or 403 with the JSON {@link ErrorBody},
 * which Tyrus could not answer; an admitted request goes on stamped ({@value FrontFilter#ADMITTED_HEADER}),
 * and the transport's handshake does not run the gate again. Every request loses the {@link
 * FrontFilter#HEADERS} a client sent before anything reads them.
 *
 * <p>Stalled viewers: Tyrus keeps a stalled peer's queued frames until the socket dies and offers no way
 * from a {@link Session} to its socket, so for each upgrade request the filter stamps a connection id into
 * {@value FrontFilter#CONNECTION_ID_HEADER} and remembers the Grizzly {@link Connection}; the handshake
 * configurator copies the id into the session. {@link #abort} then terminates the connection at once, which
 * fails Tyrus's pending sends and frees their memory.
 *
 * <p>The same filter answers a request whose path cannot be decoded or climbs above the root with 400 and
 * a JSON body, where Grizzly itself would answer 500.
 *
 * <p>Client addresses: each request's client is resolved once, from the TCP peer or, when the peer is one of
 * the {@link TrustedProxies}, from its {@code Forwarded} / {@code X-Forwarded-For} headers ({@link
 * AccessGate#clientAddress}). The result is stamped into {@value FrontFilter#CLIENT_ADDRESS_HEADER} and into
 * the request attribute {@value TrustedProxies#CLIENT_ADDRESS_ATTRIBUTE}, is what the authorizer sees, and is
 * what the per-address connection limit charges. A TCP connection is charged once, on its first request, to
 * that request's client, for its whole life: a proxy's keep-alive connection that later carries requests of
 * other clients stays charged to the first one (each request is still authorized as its own client).
 *
 * <p>Frames (rule H2): once a connection is upgraded to a WebSocket, the filter reads the header of every
 * frame the client sends ({@link FrameGuard}) before Tyrus buffers anything. A message whose announced
 * length, or running total over its fragments, passes the connection's limit is answered with close code
 * 1009; its payload, like everything the client sends after it, is discarded unread, and the connection
 * ends when the client answers with its close frame, after {@value #REFUSAL_DRAIN_MILLIS} ms at the latest.
 * The limit is decided at the upgrade from the path, by the transport ({@link FrontFilter.Upgrade}):
 * publishers may send binary messages of {@code maxFrameBytes} and text messages of a data URI of that size;
 * viewers 4 KiB; any other upgraded path {@value #VIEWER_MESSAGE_LIMIT} bytes.
 * Control frames over 125 bytes and broken fragmentation are protocol errors (1002).
 *
 * <p>Refused handshakes (rule W4): when the answer to an upgrade request is not 101, the filter makes it a
 * complete response (for the transport's paths, where Tyrus leaves it open without a body, the {@link
 * ErrorBody} of its reason phrase with its length, marked as the last part; {@code Connection: close}) and
 * closes the connection once it is written.
 *
 * <p>Request heads (rule H1): a request's head must be complete within the head timeout of its first byte
 * (a new connection's first head, of its accept), else the connection is answered 408 and closed; see {@code
 * HeadDeadlines}.
 *
 * <p>Register it on the listener <em>before</em> Tyrus's {@code WebSocketAddOn}.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: a concurrent map written by Grizzly threads (stamp, close listener) and read by delivery threads (abort).
 */
public final class ConnectionTracker implements AddOn, SessionAborter, FrontFilter {

  private static final System.Logger LOG = System.getLogger(ConnectionTracker.class.getName());

  /** The largest message a client may send on an upgraded connection that is not the transport's: 4 KiB. */
  public static final int VIEWER_MESSAGE_LIMIT = 4096;
  /**
   * Room in Tyrus's incoming buffer beyond the largest frame the guard lets through: the bytes of one read
   * that may follow a frame's last byte. Grizzly reads at most the socket's receive buffer size at a time
   * (on Linux {@code net.ipv4.tcp_rmem}'s default, 128 KiB, when the connection is accepted).
   */
  static final int READ_SLACK = 1 << 20;
  /**
   * How long a connection whose message was refused as too big stays open, its bytes discarded unread, for
   * the client to finish sending and read the close frame: until the client's own close frame, at most this.
   */
  static final long REFUSAL_DRAIN_MILLIS = 2000;
  /**
   * The system property that, set to {@code false}, leaves publishers' data frames to Tyrus (as before 0.4.0);
   * read once.
   */
  public static final String DIRECT_INGEST_PROPERTY = "framestream.directIngest";
  private static final boolean DIRECT_INGEST = !"false".equalsIgnoreCase(System.getProperty(DIRECT_INGEST_PROPERTY));
  /** The head deadline of the constructors that take none: 10 s. */
  public static final Duration DEFAULT_HEAD_TIMEOUT = Duration.ofSeconds(10);

  private static final String URI_CHECKED = "framestream.uriChecked";
  private static final Attribute<FrameGuard> GUARD =
      Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(ConnectionTracker.class.getName() + ".frameGuard");
  private static final Attribute<PublisherFrames> PUBLISHER =
      Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(ConnectionTracker.class.getName() + ".publisherFrames");

  private final ConcurrentHashMap<String, Connection<?>> connections = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  /** Open connections per client address. */
  private final AddressLimiter perAddress;
  /** The address each counted connection is charged to. */
  private final ConcurrentHashMap<Connection<?>, String> counted = new ConcurrentHashMap<>();
  private final AccessGate gate;
  private final HeadDeadlines heads;
  private volatile FrontFilter.Endpoints webSocket;

  /**
   * Creates the tracker.
   *
   * @param maxConnectionsPerAddress how many connections one client address may hold open
   * @param gate the server's access gate: its trusted proxies resolve each request's client
   * @param headTimeout how long a request head may take from its first byte (and a new connection from its
   *     accept); positive
   */
  public ConnectionTracker(int maxConnectionsPerAddress, AccessGate gate, Duration headTimeout) {
    this.perAddress = new AddressLimiter(maxConnectionsPerAddress);
    this.gate = gate;
    this.heads = new HeadDeadlines(headTimeout);
  }

  /**
   * Receives the endpoints of the WebSocket transport built with this filter.
   *
   * @param endpoints the transport's endpoints
   */
  @Override
  public void attach(FrontFilter.Endpoints endpoints) {
    this.webSocket = endpoints;
  }

  /**
   * Returns the incoming buffer size for the Tyrus engine behind this filter: the largest message the
   * guard lets through (a publisher's, the larger of {@code maxFrameBytes} and its data-URI form), plus a
   * frame header and one read. Tyrus grows each connection's buffer as bytes arrive (in 256-byte steps, with a
   * copy on each growth) up to this size, and never allocates it up front, so a viewer's connection holds a few
   * KB whatever this is.
   *
   * @return bytes
   * @throws IllegalStateException if no transport was built with this filter yet
   */
  public int incomingBufferSize() {
    FrontFilter.Endpoints ws = webSocket;
    if (ws == null) {
      throw new IllegalStateException("no WebSocket transport was built with this filter");
    }
    return (int) Math.min(Integer.MAX_VALUE - 64, (long) ws.largestMessageBytes() + 14 + READ_SLACK);
  }

  @Override
  public void setup(NetworkListener networkListener, FilterChainBuilder builder) {
    heads.setup(builder);
    int httpServerFilter = builder.indexOfType(HttpServerFilter.class);
    if (httpServerFilter >= 0) {
      builder.add(httpServerFilter, new StampFilter());
    }
  }

  /** Stops the request-head deadlines' thread; called when the server closes. */
  public void close() {
    heads.close();
  }

  @Override
  public boolean abort(Session session, String reason) {
    Object id = session.getUserProperties().get(FrontFilter.CONNECTION_ID_HEADER);
    Connection<?> connection = id == null ? null : connections.remove(id.toString());
    if (connection == null) {
      return false;
    }
    LOG.log(System.Logger.Level.DEBUG, "dropping connection {0}: {1}", id, reason);
    connection.terminateSilently();
    return true;
  }

  /**
   * Returns how many upgraded connections are tracked.
   *
   * @return the count
   */
  public int trackedConnections() {
    return connections.size();
  }

  /**
   * Grizzly answers a path it cannot decode, or one that climbs above the root ({@code /../}), with 500;
   * this check lets the filter answer 400 instead. The result is kept on the request, so body chunks of
   * the same request are not checked again.
   */
  private static boolean validUri(HttpRequestPacket request) {
    Object checked = request.getAttribute(URI_CHECKED);
    if (checked != null) {
      return (Boolean) checked;
    }
    boolean ok;
    try {
      request.getRequestURIRef().getDecodedRequestURIBC(false);
      ok = true;
    } catch (CharConversionException | RuntimeException e) {
      ok = false;
    }
    request.setAttribute(URI_CHECKED, ok);
    return ok;
  }

  /** Charges a connection to its address on its first request; false when the address has too many. */
  private boolean admitConnection(Connection<?> connection, String remote) {
    if (counted.containsKey(connection)) {
      return true;
    }
    // Checked and counted in one step (AddressLimiter): two racing requests never both take the last place.
    if (!perAddress.tryAcquire(remote)) {
      return false;
    }
    counted.put(connection, remote);
    onClose(connection, () -> {
      String address = counted.remove(connection);
      if (address != null) {
        perAddress.release(address);
      }
    });
    return true;
  }

  private static String remoteAddress(Connection<?> connection) {
    Object peer = connection.getPeerAddress();
    if (peer instanceof InetSocketAddress) {
      InetSocketAddress a = (InetSocketAddress) peer;
      return a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    }
    return String.valueOf(peer);
  }

  private static void refuse(FilterChainContext ctx, HttpRequestPacket request, int status, String message)
      throws IOException {
    HttpResponsePacket response = request.getResponse();
    response.setStatus(status);
    response.setHeader("Connection", "close");
    ctx.write(errorBody(ctx, response, message));
    ctx.getConnection().closeSilently();
  }

  /** The last part of an answer: {@link ErrorBody} with its type and length. */
  private static HttpContent errorBody(FilterChainContext ctx, HttpResponsePacket response, String message) {
    byte[] body = ErrorBody.bytes(message);
    // Set as a plain header: Grizzly leaves the content type out of answers to upgrade requests.
    response.getHeaders().setValue("Content-Type").setString(ErrorBody.CONTENT_TYPE);
    response.getHeaders().removeHeader("Content-Length");
    response.setContentLength(body.length);
    return HttpContent.builder(response)
        .content(Buffers.wrap(ctx.getMemoryManager(), body, 0, body.length))
        .last(true)
        .build();
  }

  /** Grizzly 4's close-listener API has only deprecated parameter types; nothing newer exists to use. */
  @SuppressWarnings("deprecation")
  static void onClose(Connection<?> connection, Runnable action) {
    CloseListener<Closeable, ICloseType> listener = (closed, type) -> action.run();
    connection.addCloseListener(listener);
  }

  /** The client of a request, resolved on its first chunk and kept on the request. */
  private String clientAddress(HttpRequestPacket request, Connection<?> connection) {
    Object resolved = request.getAttribute(TrustedProxies.CLIENT_ADDRESS_ATTRIBUTE);
    if (resolved instanceof String) {
      return (String) resolved;
    }
    String client = gate.clientAddress(remoteAddress(connection), name -> headerValues(request, name));
    request.setAttribute(TrustedProxies.CLIENT_ADDRESS_ATTRIBUTE, client);
    return client;
  }

  private static List<String> headerValues(HttpRequestPacket request, String name) {
    List<String> values = new ArrayList<>(1);
    request.getHeaders().values(name).forEach(values::add);
    return values;
  }

  /** The guard for a connection being upgraded, with the limits of the endpoint its path names. */
  private static FrameGuard guardFor(Optional<FrontFilter.Upgrade> upgrade) {
    if (upgrade.isPresent() && upgrade.get().action() == AccessRequest.Action.PUBLISH) {
      return new FrameGuard(upgrade.get().maxTextMessageBytes(), "maxFrameBytes as a data URI",
          upgrade.get().maxBinaryMessageBytes(), "maxFrameBytes");
    }
    int text = upgrade.map(FrontFilter.Upgrade::maxTextMessageBytes).orElse(VIEWER_MESSAGE_LIMIT);
    int binary = upgrade.map(FrontFilter.Upgrade::maxBinaryMessageBytes).orElse(VIEWER_MESSAGE_LIMIT);
    return new FrameGuard(text, "the viewer limit", binary, "the viewer limit");
  }

  /**
   * Sends the close frame of a refusal. After a protocol error the connection is terminated at once when the
   * frame is written, or without waiting when it could not be written straight away (a peer that does not
   * read gets no close frame). After a message that is too big, the client gets {@value
   * #REFUSAL_DRAIN_MILLIS} ms to finish sending and answer with its close frame; its bytes are discarded.
   */
  @SuppressWarnings("rawtypes") // Grizzly's write takes a CompletionHandler of the raw WriteResult
  private static void refuseFrame(FilterChainContext ctx, FrameGuard.Refusal refusal) {
    Connection<?> connection = ctx.getConnection();
    LOG.log(System.Logger.Level.DEBUG, "closing WebSocket connection {0} with {1}: {2}", connection,
        refusal.code(), refusal.reason());
    byte[] frame = refusal.closeFrame();
    if (refusal.code() == FrameGuard.TOO_BIG) {
      ctx.write(Buffers.wrap(ctx.getMemoryManager(), frame));
      CompletableFuture.delayedExecutor(REFUSAL_DRAIN_MILLIS, TimeUnit.MILLISECONDS)
          .execute(connection::terminateSilently);
      return;
    }
    AtomicBoolean written = new AtomicBoolean();
    ctx.write(Buffers.wrap(ctx.getMemoryManager(), frame), new EmptyCompletionHandler<WriteResult>() {
      @Override
      public void completed(WriteResult result) {
        written.set(true);
        connection.terminateSilently();
      }

      @Override
      public void failed(Throwable throwable) {
        written.set(true);
        connection.terminateSilently();
      }
    });
    if (!written.get()) {
      connection.terminateSilently();
    }
  }

  /**
   * Tells whether the filter reads a connection's WebSocket data frames itself (a publisher's, see {@link
   * PublisherFrames}): such a connection's reads never wait on anything, so they may run on a selector thread.
   *
   * @param connection a connection of the listener
   * @return true for a publisher's upgraded connection read by {@link PublisherFrames}
   */
  public static boolean readsPublisherFrames(Connection<?> connection) {
    return PUBLISHER.isSet(connection);
  }

  /**
   * Returns the listener's I/O strategy: Grizzly's worker threads for everything but the reads of connections
   * this filter reads publisher frames from ({@link #readsPublisherFrames}), which stay on the selector thread.
   *
   * @return the strategy to set on the listener's transport
   */
  public static org.glassfish.grizzly.IOStrategy ioStrategy() {
    return PublisherReadStrategy.instance();
  }

  /**
   * Whether this filter reads a connection's data frames itself ({@link PublisherFrames}) instead of Tyrus:
   * for a publisher's upgrade that carries no bytes beyond its head (bytes a client sent ahead of the
   * handshake's answer go to Tyrus with the request, so Tyrus reads that connection to its end), unless
   * switched off with the system property {@value #DIRECT_INGEST_PROPERTY}{@code =false}.
   */
  private static boolean readsPublisherData(Optional<FrontFilter.Upgrade> upgrade, HttpContent head) {
    return upgrade.isPresent() && upgrade.get().action() == AccessRequest.Action.PUBLISH
        && !head.getContent().hasRemaining() && DIRECT_INGEST;
  }

  /**
   * After a read of a publisher's connection whose data frames {@link PublisherFrames} took: Tyrus gets the
   * read's control frames, if any, in place of the read; the read's buffer goes back to Grizzly's pool.
   */
  private static NextAction passControlFrames(FilterChainContext ctx, HttpContent content, PublisherFrames frames) {
    byte[] control = frames.takeControlFrames();
    content.getContent().tryDispose();
    if (control == null) {
      content.recycle();
      return ctx.getStopAction();
    }
    ctx.setMessage(HttpContent.create(content.getHttpHeader(), content.isLast(),
        Buffers.wrap(ctx.getMemoryManager(), control)));
    content.recycle();
    return ctx.getInvokeAction();
  }

  /** True for the response to a WebSocket upgrade request that refuses it. */
  private static boolean refusedUpgrade(HttpHeader header) {
    if (header.isRequest() || header.isCommitted()) {
      return false;
    }
    HttpResponsePacket response = (HttpResponsePacket) header;
    HttpRequestPacket request = response.getRequest();
    return request != null && "websocket".equalsIgnoreCase(request.getUpgrade()) && response.getStatus() != 101;
  }

  /**
   * Makes a refused upgrade's answer complete and closes the connection once it is written. Tyrus writes its
   * refusals as a bare header that is not marked as the last part of the answer, and keeps the connection: it
   * gets the {@link ErrorBody} of its reason phrase (where the transport's handshake put its message). A
   * handler's own answer keeps its length or chunking.
   */
  @SuppressWarnings({"rawtypes", "unchecked"}) // Grizzly's TransportContext keeps a raw CompletionHandler
  private void finishRefusedUpgrade(FilterChainContext ctx, HttpContent content) {
    HttpResponsePacket response = (HttpResponsePacket) content.getHttpHeader();
    FrontFilter.Endpoints ws = webSocket;
    boolean tyrus = ws != null && ws.serves(response.getRequest().getRequestURI());
    if (tyrus && !content.isLast() && !content.getContent().hasRemaining() && response.getContentLength() <= 0
        && !response.isChunked()) {
      String reason = response.getReasonPhrase();
      content = errorBody(ctx, response, reason == null || reason.isEmpty() ? "upgrade refused" : reason);
      ctx.setMessage(content);
    }
    response.setHeader("Connection", "close");
    if (!content.isLast()) {
      return; // the handler's later chunks carry the end; Grizzly closes an answered upgrade itself
    }
    Connection<?> connection = ctx.getConnection();
    TransportContext transportContext = ctx.getTransportContext();
    CompletionHandler<WriteResult> then = transportContext.getCompletionHandler();
    transportContext.setCompletionHandler(new CompletionHandler<WriteResult>() {
      @Override
      public void cancelled() {
        if (then != null) {
          then.cancelled();
        }
        connection.closeSilently();
      }

      @Override
      public void failed(Throwable throwable) {
        if (then != null) {
          then.failed(throwable);
        }
        connection.closeSilently();
      }

      @Override
      public void completed(WriteResult result) {
        if (then != null) {
          then.completed(result);
        }
        connection.closeSilently();
      }

      @Override
      public void updated(WriteResult result) {
        if (then != null) {
          then.updated(result);
        }
      }
    });
  }

  private final class StampFilter extends BaseFilter {
    @Override
    public NextAction handleRead(FilterChainContext ctx) throws IOException {
      Object message = ctx.getMessage();
      if (!(message instanceof HttpContent)) {
        return ctx.getInvokeAction();
      }
      HttpContent content = (HttpContent) message;
      FrameGuard guard = GUARD.get(ctx.getConnection());
      if (guard != null) {
        // An upgraded connection: WebSocket frames, read here before Tyrus buffers them.
        PublisherFrames publisher = PUBLISHER.get(ctx.getConnection());
        boolean refusedBefore = guard.refused() || publisher != null && publisher.refusal() != null;
        FrameGuard.Refusal refusal = guard.scan(content.getContent());
        if (refusal == null && publisher != null) {
          refusal = publisher.refusal();
          if (refusal == null) {
            return passControlFrames(ctx, content, publisher);
          }
        }
        if (refusal == null) {
          return ctx.getInvokeAction();
        }
        content.recycle();
        if (!refusedBefore) {
          refuseFrame(ctx, refusal);
        }
        if (guard.closeReceived()) {
          ctx.getConnection().terminateSilently();
        }
        return ctx.getStopAction();
      }
      HttpHeader header = content.getHttpHeader();
      if (!header.isRequest()) {
        return ctx.getInvokeAction();
      }
      HttpRequestPacket request = (HttpRequestPacket) header;
      if (!validUri(request)) {
        refuse(ctx, request, 400, "invalid request path");
        return ctx.getStopAction();
      }
      if (request.getAttribute(TrustedProxies.CLIENT_ADDRESS_ATTRIBUTE) != null) {
        return ctx.getInvokeAction(); // a later chunk of a request already admitted and stamped
      }
      String remote = clientAddress(request, ctx.getConnection());
      if (!admitConnection(ctx.getConnection(), remote)) {
        refuse(ctx, request, 429, "too many connections from " + remote + " (maxConnectionsPerAddress "
            + perAddress.limit() + ")");
        return ctx.getStopAction();
      }
      for (String name : FrontFilter.HEADERS) {
        header.getHeaders().removeHeader(name); // a client's copies: only this filter sets them
      }
      header.addHeader(FrontFilter.CLIENT_ADDRESS_HEADER, remote);
      if ("websocket".equalsIgnoreCase(header.getUpgrade())) {
        FrontFilter.Endpoints ws = webSocket;
        Optional<FrontFilter.Upgrade> upgrade = ws == null ? Optional.empty() : ws.upgrade(request.getRequestURI());
        if (upgrade.isPresent()) {
          // The one access check of this handshake: Tyrus could not answer 401, nor any refusal with a body.
          AccessGate.Verdict verdict = upgrade.get().admit(remote, AccessRequests.headers(request),
              AccessRequest.parseQuery(request.getQueryString()));
          if (!verdict.allowed()) {
            if (verdict.challenges()) {
              request.getResponse().setHeader("WWW-Authenticate", "Bearer");
            }
            refuse(ctx, request, verdict.status(), verdict.message());
            return ctx.getStopAction();
          }
          header.addHeader(FrontFilter.ADMITTED_HEADER, upgrade.get().admittedStamp());
        }
        Connection<?> connection = ctx.getConnection();
        String id = Long.toString(ids.incrementAndGet());
        header.addHeader(FrontFilter.CONNECTION_ID_HEADER, id);
        connections.put(id, connection);
        onClose(connection, () -> connections.remove(id, connection));
        FrameGuard frameGuard = guardFor(upgrade);
        if (readsPublisherData(upgrade, content)) {
          PublisherFrames frames = new PublisherFrames(() -> ws.publisherInput(id),
              upgrade.get().maxTextMessageBytes(), upgrade.get().maxBinaryMessageBytes());
          frameGuard.readBy(frames);
          PUBLISHER.set(connection, frames);
        }
        GUARD.set(connection, frameGuard);
      }
      return ctx.getInvokeAction();
    }

    @Override
    public NextAction handleWrite(FilterChainContext ctx) throws IOException {
      Object message = ctx.getMessage();
      if (message instanceof HttpContent && refusedUpgrade(((HttpContent) message).getHttpHeader())) {
        finishRefusedUpgrade(ctx, (HttpContent) message);
      }
      return ctx.getInvokeAction();
    }
  }
}
