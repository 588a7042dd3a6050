package io.framestream.server.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.AccessDecision;
import io.framestream.core.AccessRequest;
import io.framestream.core.ChannelNames;
import io.framestream.transport.websocket.SessionAborter;
import io.framestream.transport.websocket.WebSocketTransport;
import jakarta.websocket.Session;
import java.io.CharConversionException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.CloseListener;
import org.glassfish.grizzly.Closeable;
import org.glassfish.grizzly.ICloseType;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.http.HttpContent;
import org.glassfish.grizzly.http.HttpHeader;
import org.glassfish.grizzly.http.HttpRequestPacket;
import org.glassfish.grizzly.http.HttpResponsePacket;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.HttpServerFilter;
import org.glassfish.grizzly.http.server.NetworkListener;

/**
 * Lets the WebSocket transport drop a stalled connection for real. Tyrus keeps a stalled peer's queued
 * frames until the socket dies and offers no way from a {@link Session} to its socket, so this add-on puts
 * a filter in front of Tyrus's: for each upgrade request it stamps a connection id into {@value
 * WebSocketTransport#CONNECTION_ID_HEADER} (replacing anything a client sent) and remembers the Grizzly
 * {@link Connection}; the handshake configurator copies the id into the session. {@link #abort} then
 * terminates the connection at once, which fails Tyrus's pending sends and frees their memory.
 *
 * <p>The same filter answers a request whose path cannot be decoded or climbs above the root with 400 and
 * a JSON body, where Grizzly itself would answer 500.
 *
 * <p>Register it on the listener <em>before</em> Tyrus's {@code WebSocketAddOn}.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: a concurrent map written by Grizzly threads (stamp, close listener) and read by delivery threads (abort).
 */
public final class ConnectionTracker implements AddOn, SessionAborter {

  private static final System.Logger LOG = System.getLogger(ConnectionTracker.class.getName());

  private static final String URI_CHECKED = "framestream.uriChecked";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ConcurrentHashMap<String, Connection<?>> connections = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final int maxConnectionsPerAddress;
  /** Open connections per remote address, and the address each counted connection is charged to. */
  private final ConcurrentHashMap<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Connection<?>, String> counted = new ConcurrentHashMap<>();
  private volatile WebSocketTransport transport;

  /**
   * Creates the tracker.
   *
   * @param maxConnectionsPerAddress how many connections one remote address may hold open
   */
  public ConnectionTracker(int maxConnectionsPerAddress) {
    this.maxConnectionsPerAddress = maxConnectionsPerAddress;
  }

  /**
   * Lets the filter authorize WebSocket handshakes with the transport's authorizer before Tyrus sees them,
   * so that a refusal is a precise 401 or 403 with a JSON body.
   *
   * @param webSocket the transport
   */
  public void guard(WebSocketTransport webSocket) {
    this.transport = webSocket;
  }

  @Override
  public void setup(NetworkListener networkListener, FilterChainBuilder builder) {
    int httpServerFilter = builder.indexOfType(HttpServerFilter.class);
    if (httpServerFilter >= 0) {
      builder.add(httpServerFilter, new StampFilter());
    }
  }

  @Override
  public boolean abort(Session session, String reason) {
    Object id = session.getUserProperties().get(WebSocketTransport.CONNECTION_ID_HEADER);
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
    AtomicInteger n = perAddress.computeIfAbsent(remote, k -> new AtomicInteger());
    if (n.incrementAndGet() > maxConnectionsPerAddress) {
      n.decrementAndGet();
      return false;
    }
    counted.put(connection, remote);
    onClose(connection, () -> {
      String address = counted.remove(connection);
      if (address != null) {
        perAddress.computeIfPresent(address, (k, c) -> c.decrementAndGet() <= 0 ? null : c);
      }
    });
    return true;
  }

  /** The authorizer's decision for a WebSocket upgrade to one of the transport's endpoints; others pass. */
  private AccessDecision authorize(HttpRequestPacket request, String remote) {
    WebSocketTransport ws = transport;
    String path = request.getRequestURI();
    AccessRequest.Action action = path.startsWith("/ws/publish/") ? AccessRequest.Action.PUBLISH
        : path.startsWith("/ws/live/") ? AccessRequest.Action.VIEW : null;
    String channel = path.substring(path.lastIndexOf('/') + 1);
    if (ws == null || action == null || !ChannelNames.isValid(channel)) {
      return AccessDecision.ALLOW; // not ours, or refused with 400/404 by the endpoint's own checks
    }
    return ws.authorize(AccessRequests.of(action, channel, remote, request));
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
    byte[] body = JSON.createObjectNode().put("error", message).toString().getBytes(StandardCharsets.UTF_8);
    HttpResponsePacket response = request.getResponse();
    response.setStatus(status);
    response.setContentType("application/json");
    response.setContentLength(body.length);
    response.setHeader("Connection", "close");
    HttpContent content = HttpContent.builder(response)
        .content(Buffers.wrap(ctx.getMemoryManager(), body, 0, body.length))
        .last(true)
        .build();
    ctx.write(content);
    ctx.getConnection().closeSilently();
  }

  /** Grizzly 4's close-listener API has only deprecated parameter types; nothing newer exists to use. */
  @SuppressWarnings("deprecation")
  private static void onClose(Connection<?> connection, Runnable action) {
    CloseListener<Closeable, ICloseType> listener = (closed, type) -> action.run();
    connection.addCloseListener(listener);
  }

  private final class StampFilter extends BaseFilter {
    @Override
    public NextAction handleRead(FilterChainContext ctx) throws IOException {
      Object message = ctx.getMessage();
      if (message instanceof HttpContent) {
        HttpHeader header = ((HttpContent) message).getHttpHeader();
        if (header instanceof HttpRequestPacket && !validUri((HttpRequestPacket) header)) {
          refuse(ctx, (HttpRequestPacket) header, 400, "invalid request path");
          return ctx.getStopAction();
        }
        if (header.isRequest()) {
          HttpRequestPacket request = (HttpRequestPacket) header;
          String remote = remoteAddress(ctx.getConnection());
          if (!admitConnection(ctx.getConnection(), remote)) {
            refuse(ctx, request, 429, "too many connections from " + remote + " (maxConnectionsPerAddress "
                + maxConnectionsPerAddress + ")");
            return ctx.getStopAction();
          }
          header.getHeaders().removeHeader(WebSocketTransport.CONNECTION_ID_HEADER);
          header.getHeaders().removeHeader(WebSocketTransport.REMOTE_ADDRESS_HEADER);
          header.addHeader(WebSocketTransport.REMOTE_ADDRESS_HEADER, remote);
          if ("websocket".equalsIgnoreCase(header.getUpgrade())) {
            WebSocketTransport ws = transport;
            String origin = request.getHeader("Origin");
            if (ws != null && !ws.originAllowed(origin)) {
              // Tyrus would refuse with a 403 that never ends (no body length, connection kept).
              refuse(ctx, request, 403, "origin not allowed: " + origin);
              return ctx.getStopAction();
            }
            AccessDecision access = authorize(request, remote);
            if (!access.allowed()) {
              if (access.status() == 401) {
                request.getResponse().setHeader("WWW-Authenticate", "Bearer");
              }
              refuse(ctx, request, access.status(), access.reason());
              return ctx.getStopAction();
            }
            Connection<?> connection = ctx.getConnection();
            String id = Long.toString(ids.incrementAndGet());
            header.addHeader(WebSocketTransport.CONNECTION_ID_HEADER, id);
            connections.put(id, connection);
            onClose(connection, () -> connections.remove(id, connection));
          }
        }
      }
      return ctx.getInvokeAction();
    }
  }
}
