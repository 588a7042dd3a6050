package io.framestream.transport.websocket.internal;

import io.framestream.core.Channel;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;

/** {@code /ws/live/{channel}}: subscribes a {@link WebSocketViewer} for the connection's lifetime. *
 * <h2>Thread safety</h2>
 *
 * One instance per connection; the container calls it serially for that connection. Its viewer is reached from delivery threads through the channel.
 */
public final class LiveEndpoint extends Endpoint {

  private static final System.Logger LOG = System.getLogger(LiveEndpoint.class.getName());
  private final EndpointContext transport;
  private volatile WebSocketViewer viewer;

  /**
   * Creates the endpoint of one connection.
   *
   * @param transport the transport's endpoints' shared state
   */
  public LiveEndpoint(EndpointContext transport) {
    this.transport = transport;
  }

  @Override
  public void onOpen(Session session, EndpointConfig config) {
    if (HandshakeConfigurator.closeIfRejected(session)) {
      return;
    }
    if (!transport.track(session)) {
      CloseCodes.closeQuietly(session, CloseCodes.reason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down"));
      return;
    }
    Channel channel = (Channel) session.getUserProperties().get(HandshakeConfigurator.CHANNEL);
    boolean dataUri = Boolean.TRUE.equals(session.getUserProperties().get(HandshakeConfigurator.DATA_URI));
    session.setMaxIdleTimeout(0);
    session.setMaxTextMessageBufferSize(EndpointContext.VIEWER_MESSAGE_BYTES);
    session.setMaxBinaryMessageBufferSize(EndpointContext.VIEWER_MESSAGE_BYTES);
    // Viewers may send small text messages (keep-alives); they are ignored. Frames are not accepted here.
    session.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> { });
    session.addMessageHandler(PongMessage.class, (MessageHandler.Whole<PongMessage>) pong -> transport.ponged(session));
    session.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) bytes ->
        CloseCodes.closeQuietly(session, CloseCodes.reason(CloseReason.CloseCodes.CANNOT_ACCEPT,
            "viewers do not send frames; publish to /ws/publish/" + channel.name())));
    boolean chunks = Boolean.TRUE.equals(session.getUserProperties().get(HandshakeConfigurator.CHUNKS));
    WebSocketViewer v = new WebSocketViewer(session, channel, dataUri, chunks, transport.aborter(),
        transport.rawFrameSender());
    viewer = v;
    v.start();
  }

  @Override
  public void onClose(Session session, CloseReason closeReason) {
    WebSocketViewer v = viewer;
    if (v != null) {
      v.stop();
    }
    transport.untrack(session);
  }

  @Override
  public void onError(Session session, Throwable thr) {
    LOG.log(System.Logger.Level.DEBUG, "viewer session " + session.getId() + " failed", thr);
    WebSocketViewer v = viewer;
    if (v != null) {
      v.stop();
    }
  }
}
