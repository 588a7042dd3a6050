package io.framestream.server.internal;

import io.framestream.transport.websocket.SessionAborter;
import io.framestream.transport.websocket.WebSocketTransport;
import jakarta.websocket.Session;
import java.io.CharConversionException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
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

  private final ConcurrentHashMap<String, Connection<?>> connections = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();

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

  private static void refuse(FilterChainContext ctx, HttpRequestPacket request, int status, String message)
      throws IOException {
    byte[] body = ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
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
  private void forgetOnClose(Connection<?> connection, String id) {
    CloseListener<Closeable, ICloseType> forget = (closed, type) -> connections.remove(id, closed);
    connection.addCloseListener(forget);
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
          header.getHeaders().removeHeader(WebSocketTransport.CONNECTION_ID_HEADER);
          if ("websocket".equalsIgnoreCase(header.getUpgrade())) {
            Connection<?> connection = ctx.getConnection();
            String id = Long.toString(ids.incrementAndGet());
            header.addHeader(WebSocketTransport.CONNECTION_ID_HEADER, id);
            connections.put(id, connection);
            forgetOnClose(connection, id);
          }
        }
      }
      return ctx.getInvokeAction();
    }
  }
}
