package io.framestream.transport.websocket.internal;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import io.framestream.core.LimitExceededException;
import io.framestream.core.Publisher;
import io.framestream.core.wire.FrameIngest;
import io.framestream.core.wire.IngestException;
import io.framestream.transport.websocket.spi.PublisherInput;
import jakarta.websocket.CloseReason.CloseCode;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;

/**
 * {@code /ws/publish/{channel}}: turns each binary message or data-URI text into a frame through the
 * connection's {@link FrameIngest} (rule W1) and publishes it; applies JSON control messages. A message the
 * ingest refuses closes the connection: too large 1009, unknown or invalid type 1003, malformed data URI
 * 1007 (rule W4). Messages of one session arrive serially, so the per-connection state needs no lock.
 *
 * <p>Behind a host's front filter that reads publishers' data frames itself (the embedded server), the
 * messages arrive through {@link PublisherInput} instead of the container's handlers, on the same
 * connection's read thread and in the same order; the endpoint offers itself to the filter when its session
 * opens and withdraws when it closes.
 *
 * <h2>Thread safety</h2>
 *
 * One instance per connection; the container delivers that connection's messages serially, so its state needs no lock.
 */
public final class PublishEndpoint extends Endpoint implements PublisherInput {

  private static final System.Logger LOG = System.getLogger(PublishEndpoint.class.getName());

  private final EndpointContext transport;
  private Session session;
  private Channel channel;
  private volatile Publisher publisher;
  private FrameIngest ingest; // this publisher's stream: its init segment tells keys from deltas
  private boolean containerCopies; // Tyrus: each whole binary message is a fresh array of its own
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
    this.ingest = FrameIngest.forChannel(channel, transport.maxFrameBytes());
    this.containerCopies = givesFreshArrays(s);
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
    transport.publisherOpened(s, this); // a front filter may now hand this connection's messages over itself
  }

  /**
   * A whole binary message a front filter read and unmasked itself; the array is handed over (see {@link
   * PublisherInput}). Ignored once the session is closing, as the container ignores data after a close.
   */
  @Override
  public void binary(byte[] message) {
    if (session.isOpen()) {
      ingestBinary(null, message);
    }
  }

  /** A whole text message a front filter read itself; ignored once the session is closing. */
  @Override
  public void text(String message) {
    if (session.isOpen()) {
      onText(message);
    }
  }

  private void onBinary(ByteBuffer bytes) {
    ingestBinary(bytes, handedOver(bytes) ? bytes.array() : null);
  }

  /** Publishes a binary message: the adopted array when there is one, else a copy of the buffer. */
  private void ingestBinary(ByteBuffer bytes, byte[] adopted) {
    try {
      publish(adopted != null ? ingest.adoptBinary(adopted, contentType) : ingest.binary(bytes, contentType));
    } catch (IngestException e) {
      boolean unknown = e.reason() == IngestException.Reason.UNKNOWN_TYPE;
      refuse(closeCode(e.reason()), e.getMessage() + (unknown ? " with ?type=" : ""));
    }
  }

  private void onText(String text) {
    if (DataUris.isDataUri(text)) {
      try {
        publish(ingest.dataUri(text));
      } catch (IngestException e) {
        refuse(closeCode(e.reason()), e.getMessage());
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

  /**
   * Whether the container hands a whole binary message to the handler in an array made for that call alone,
   * which it never touches again. Tyrus does: it unmasks a message into its frame's array and gives the
   * handler a copy of it ({@code ByteBuffer.wrap} of a new array; a message that came in fragments is joined
   * into a new buffer). Other containers may hand a view of a pooled buffer, so their messages are copied.
   * The server's tests prove it for the Tyrus it ships with (a published frame keeps its bytes while later
   * messages arrive).
   */
  private static boolean givesFreshArrays(Session s) {
    return s.getClass().getName().startsWith("org.glassfish.tyrus.");
  }

  /**
   * Whether a message's array may become the frame's payload as it is: from a container that gives fresh
   * arrays, and exactly the whole of a writable heap array (so no other part of it can belong to anyone).
   */
  private boolean handedOver(ByteBuffer b) {
    return containerCopies && b.hasArray() && b.arrayOffset() == 0 && b.position() == 0
        && b.limit() == b.array().length;
  }

  /** The close code for a message the ingest refused (rule W4). */
  private static CloseCode closeCode(IngestException.Reason reason) {
    switch (reason) {
      case TOO_LARGE:
        return CloseReason.CloseCodes.TOO_BIG;
      case UNKNOWN_TYPE:
      case INVALID_TYPE:
        return CloseReason.CloseCodes.CANNOT_ACCEPT;
      default:
        return CloseReason.CloseCodes.NOT_CONSISTENT;
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
    transport.publisherClosed(s, this);
    release(publisher); // the channel goes offline when this was its last publisher
    release(HandshakeConfigurator.takePublisher(s)); // a claim no onOpen took (normally none)
    transport.untrack(s);
  }

  @Override
  public void onError(Session s, Throwable thr) {
    LOG.log(System.Logger.Level.DEBUG, "publisher session " + s.getId() + " failed", thr);
  }
}
