package io.framestream.transport.websocket.internal;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/**
 * {@code /ws/multi}: one connection viewing several channels ({@link MultiConnection}), added and removed by
 * text control messages.
 *
 * <h2>Thread safety</h2>
 *
 * One instance per connection; the container calls it serially for that connection.
 */
public final class MultiEndpoint extends Endpoint {

  private static final System.Logger LOG = System.getLogger(MultiEndpoint.class.getName());
  private final EndpointContext transport;
  private volatile MultiConnection connection;

  /**
   * Creates the endpoint of one connection.
   *
   * @param transport the transport's endpoints' shared state
   */
  public MultiEndpoint(EndpointContext transport) {
    this.transport = transport;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void onOpen(Session session, EndpointConfig config) {
    if (!transport.track(session)) {
      CloseCodes.closeQuietly(session, CloseCodes.reason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down"));
      return;
    }
    Map<String, Object> props = session.getUserProperties();
    Map<String, List<String>> headers = (Map<String, List<String>>) props.getOrDefault(MultiConfigurator.HEADERS, Map.of());
    Map<String, List<String>> query = (Map<String, List<String>>) props.getOrDefault(MultiConfigurator.QUERY, Map.of());
    String client = (String) props.getOrDefault(MultiConfigurator.CLIENT, "");
    session.setMaxIdleTimeout(0);
    session.setMaxTextMessageBufferSize(EndpointContext.VIEWER_MESSAGE_BYTES);
    session.setMaxBinaryMessageBufferSize(EndpointContext.VIEWER_MESSAGE_BYTES);
    MultiConnection c = new MultiConnection(session, transport, client, headers, query);
    connection = c;
    session.addMessageHandler(String.class, (MessageHandler.Whole<String>) c::control);
    session.addMessageHandler(PongMessage.class, (MessageHandler.Whole<PongMessage>) pong -> transport.ponged(session));
    session.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) bytes ->
        CloseCodes.closeQuietly(session, CloseCodes.reason(CloseReason.CloseCodes.CANNOT_ACCEPT,
            "viewers do not send frames; send {\"type\":\"add\",\"channel\":\"...\"}")));
  }

  @Override
  public void onClose(Session session, CloseReason closeReason) {
    MultiConnection c = connection;
    if (c != null) {
      c.stop();
    }
    transport.untrack(session);
  }

  @Override
  public void onError(Session session, Throwable thr) {
    LOG.log(System.Logger.Level.DEBUG, "multi-channel session " + session.getId() + " failed", thr);
    MultiConnection c = connection;
    if (c != null) {
      c.stop();
    }
  }
}
