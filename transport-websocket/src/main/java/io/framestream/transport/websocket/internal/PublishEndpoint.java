package io.framestream.transport.websocket.internal;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.ContentTypes;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.LimitExceededException;
import io.framestream.core.Publisher;
import io.framestream.core.wire.Fmp4Kinds;
import jakarta.websocket.CloseReason.CloseCode;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * {@code /ws/publish/{channel}}: turns each binary message or data-URI text into a frame and publishes it;
 * applies JSON control messages. Messages of one session arrive serially, so the per-connection state needs
 * no lock.
 *
 * <h2>Thread safety</h2>
 *
 * One instance per connection; the container delivers that connection's messages serially, so its state needs no lock.
 */
public final class PublishEndpoint extends Endpoint {

  private static final System.Logger LOG = System.getLogger(PublishEndpoint.class.getName());

  private final EndpointContext transport;
  private Session session;
  private Channel channel;
  private volatile Publisher publisher;
  private final Fmp4Kinds mp4Kinds = new Fmp4Kinds(); // this publisher's stream
  private String contentType; // null: sniff each frame
  private int width;
  private int height;
  private String codec;

  /**
   * Creates the endpoint of one connection.
   *
   * @param transport the transport's endpoints' shared state
   */
  public PublishEndpoint(EndpointContext transport) {
    this.transport = transport;
  }

  @Override
  public void onOpen(Session s, EndpointConfig config) {
    Publisher claimed = HandshakeConfigurator.takePublisher(s); // the slot claimed in the handshake, if any
    if (HandshakeConfigurator.closeIfRejected(s)) {
      release(claimed);
      return;
    }
    if (!transport.track(s)) {
      release(claimed);
      CloseCodes.closeQuietly(s, CloseCodes.reason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down"));
      return;
    }
    this.session = s;
    this.channel = (Channel) s.getUserProperties().get(HandshakeConfigurator.CHANNEL);
    this.contentType = (String) s.getUserProperties().get(HandshakeConfigurator.CONTENT_TYPE);
    if (claimed != null) {
      publisher = claimed;
    } else {
      // The claim was released before this session opened (it took longer than CLAIM_TIMEOUT): try again.
      try {
        publisher = channel.openPublisher("WebSocket session " + s.getId());
      } catch (LimitExceededException e) {
        refuse(CloseReason.CloseCodes.VIOLATED_POLICY, e.getMessage());
        return;
      } catch (ChannelClosedException e) {
        CloseCodes.closeQuietly(s, CloseCodes.reason(CloseReason.CloseCodes.GOING_AWAY, "channel closed"));
        return;
      }
    }
    s.setMaxIdleTimeout(0);
    s.setMaxBinaryMessageBufferSize(transport.maxFrameBytes());
    s.setMaxTextMessageBufferSize(transport.maxTextMessageBytes());
    s.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) this::onBinary);
    s.addMessageHandler(String.class, (MessageHandler.Whole<String>) this::onText);
    s.addMessageHandler(PongMessage.class, (MessageHandler.Whole<PongMessage>) pong -> transport.ponged(s));
  }

  private void onBinary(ByteBuffer bytes) {
    int size = bytes.remaining();
    if (size > transport.maxFrameBytes()) {
      refuse(CloseReason.CloseCodes.TOO_BIG,
          "frame of " + size + " bytes exceeds maxFrameBytes " + transport.maxFrameBytes());
      return;
    }
    String type = contentType;
    if (type == null) {
      Optional<String> sniffed = ContentTypes.sniff(bytes);
      if (sniffed.isEmpty()) {
        refuse(CloseReason.CloseCodes.CANNOT_ACCEPT,
            "unknown frame format: send JPEG/PNG/WebP/GIF/MP4, or name the type with ?type=");
        return;
      }
      type = sniffed.get();
    }
    Frame.Builder b = Frame.builder(new byte[0]).payload(bytes).contentType(type);
    if (ContentTypes.MP4.equals(type)) {
      // INIT, or key or delta from the fragment's sample flags: a slow viewer then skips to the next key.
      mp4Kinds.kindOf(bytes, () -> channel.initFrame().map(Frame::copyPayload).orElse(null)).ifPresent(b::kind);
    }
    publish(b);
  }

  private void onText(String text) {
    if (DataUris.isDataUri(text)) {
      try {
        publish(DataUris.decode(text, transport.maxFrameBytes()));
      } catch (LimitExceededException e) {
        refuse(CloseReason.CloseCodes.TOO_BIG, e.getMessage());
      } catch (FrameCodecException e) {
        refuse(CloseReason.CloseCodes.NOT_CONSISTENT, e.getMessage());
      }
      return;
    }
    ControlMessage meta;
    try {
      meta = ControlMessage.parse(text);
    } catch (ControlMessage.Refused r) {
      refuse(r.code(), r.getMessage());
      return;
    }
    meta.contentType().ifPresent(t -> contentType = t);
    if (meta.width().isPresent() && meta.height().isPresent()) {
      width = meta.width().getAsInt();
      height = meta.height().getAsInt();
    }
    meta.codec().ifPresent(c -> codec = c);
  }

  private void publish(Frame.Builder b) {
    if (width > 0 && height > 0) {
      b.dimensions(width, height);
    }
    if (codec != null) {
      b.codec(codec);
    }
    try {
      publisher.publish(b.build()); // over the publish rate limit: dropped and counted by the channel
    } catch (ChannelClosedException e) {
      CloseCodes.closeQuietly(session, CloseCodes.reason(CloseReason.CloseCodes.GOING_AWAY, "channel closed"));
    }
  }

  private void refuse(CloseCode code, String reason) {
    LOG.log(System.Logger.Level.DEBUG, "publisher {0} on {1} refused: {2} {3}", session.getId(), channel.name(),
        code.getCode(), reason);
    CloseCodes.closeQuietly(session, CloseCodes.reason(code, reason));
  }

  private static void release(Publisher claimed) {
    if (claimed != null) {
      claimed.close();
    }
  }

  @Override
  public void onClose(Session s, CloseReason closeReason) {
    release(publisher); // the channel goes offline when this was its last publisher
    release(HandshakeConfigurator.takePublisher(s)); // a claim no onOpen took (normally none)
    transport.untrack(s);
  }

  @Override
  public void onError(Session s, Throwable thr) {
    LOG.log(System.Logger.Level.DEBUG, "publisher session " + s.getId() + " failed", thr);
  }
}
