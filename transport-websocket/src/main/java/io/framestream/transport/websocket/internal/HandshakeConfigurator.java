package io.framestream.transport.websocket.internal;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.ChannelNames;
import io.framestream.core.ContentTypes;
import io.framestream.core.LimitExceededException;
import io.framestream.core.NoSuchChannelException;
import io.framestream.core.Publisher;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import io.framestream.edge.ErrorBody;
import io.framestream.transport.websocket.spi.FrontFilter;
import jakarta.websocket.CloseReason;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.Session;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Validates a handshake (channel name, query) before the upgrade, runs the access gate unless the host's
 * front filter already did, resolves the channel, claims the publisher slot of a publishing connection, and
 * hands the result to the endpoint through the session's user properties. On Tyrus a bad request is refused
 * with an HTTP status (a taken publisher slot with 409); on other containers the endpoint closes the session
 * with 1008 right after opening.
 *
 * <p>Access runs once per handshake. When the transport was built with a {@link FrontFilter}, the filter ran
 * the gate and stamped the request; the stamp is believed only then, and only when it is this transport's
 * for this action and channel, so a header a client forges never skips the gate. Otherwise the gate runs
 * here, origin included ({@link #checkOrigin} lets every origin through to it, so that a refused origin
 * gets the gate's answer).
 *
 * <p>A publisher slot is claimed here, before the upgrade, so that of two publishers connecting back to back
 * the first keeps the slot (W7). The claimed handle travels to {@link PublishEndpoint#onOpen} in the user
 * properties; if no session opens to take it (the client vanished, the container refused the upgrade after
 * this step), the transport releases it after its claim timeout.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: one instance per endpoint serves concurrent handshakes and keeps per-connection state only in the handshake's user properties.
 */
public final class HandshakeConfigurator extends ServerEndpointConfig.Configurator {

  /**
   * Which endpoint this configurator serves.
   *
   * <h2>Thread safety</h2>
   *
   * An enum: immutable.
   */
  public enum Role {
    /** {@code /ws/publish/{channel}}. */
    PUBLISH,
    /** {@code /ws/live/{channel}}. */
    LIVE
  }

  static final String CHANNEL = "framestream.channel";
  static final String CONTENT_TYPE = "framestream.contentType";
  static final String DATA_URI = "framestream.dataUri";
  static final String CHUNKS = "framestream.chunks";
  static final String REJECTION = "framestream.rejection";
  static final String PUBLISHER_CLAIM = "framestream.publisherClaim";

  private static final boolean TYRUS = classPresent("org.glassfish.tyrus.spi.UpgradeResponse");

  private final EndpointContext context;
  private final Role role;

  /**
   * Creates the configurator of one endpoint.
   *
   * @param context the transport's endpoints' shared state
   * @param role the endpoint it serves
   */
  public HandshakeConfigurator(EndpointContext context, Role role) {
    this.context = context;
    this.role = role;
  }

  @Override
  public <T> T getEndpointInstance(Class<T> endpointClass) {
    Object endpoint = role == Role.LIVE ? new LiveEndpoint(context) : new PublishEndpoint(context);
    return endpointClass.cast(endpoint);
  }

  @Override
  public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
    Map<String, Object> props = sec.getUserProperties();
    String client = "";
    if (context.fronted()) { // only then are these headers the host's, never a client's
      String id = first(header(request, FrontFilter.CONNECTION_ID_HEADER));
      if (id != null) {
        props.put(FrontFilter.CONNECTION_ID_HEADER, id);
      }
      String address = first(header(request, FrontFilter.CLIENT_ADDRESS_HEADER));
      client = address == null ? "" : address;
    }
    // Tyrus on the class path (the WebSocket client brings it) does not mean Tyrus serves this handshake.
    boolean tyrus = TYRUS && TyrusHandshake.serves(response);
    Rejection rejection = validate(request, props, client, tyrus);
    if (rejection != null) {
      props.put(REJECTION, rejection);
      if (tyrus) {
        TyrusHandshake.refuse(response, rejection.status, rejection.message);
      }
    }
  }

  private Rejection validate(HandshakeRequest request, Map<String, Object> props, String client,
      boolean tyrus) {
    String path = request.getRequestURI().getRawPath();
    String name = path.substring(path.lastIndexOf('/') + 1);
    if (!ChannelNames.isValid(name)) {
      try {
        ChannelNames.requireValid(name);
      } catch (IllegalArgumentException e) {
        return new Rejection(400, e.getMessage());
      }
    }
    Map<String, List<String>> params = request.getParameterMap();
    AccessRequest.Action action = role == Role.PUBLISH ? AccessRequest.Action.PUBLISH : AccessRequest.Action.VIEW;
    if (!context.admittedByFront(header(request, FrontFilter.ADMITTED_HEADER), action, name)) {
      AccessGate.Verdict access = context.gate().admit(action, name, client, request.getHeaders(), params);
      if (!access.allowed()) {
        // Tyrus upgrades the connection for 401 (see TyrusHandshake), so 401 becomes 403 there.
        return new Rejection(tyrus && access.challenges() ? 403 : access.status(), access.message());
      }
    }
    if (role == Role.LIVE) {
      String format = first(params, "format");
      if (format != null && !format.equals("binary") && !format.equals("datauri") && !format.equals("chunks")) {
        return new Rejection(400, "format must be 'binary', 'datauri' or 'chunks', got "
            + ErrorBody.shown(format, 64));
      }
      props.put(DATA_URI, "datauri".equals(format));
      props.put(CHUNKS, "chunks".equals(format));
    } else {
      String type = first(params, "type");
      if (type != null) {
        try {
          props.put(CONTENT_TYPE, ContentTypes.requireValid(type));
        } catch (IllegalArgumentException e) {
          return new Rejection(400, "invalid ?type: " + e.getMessage());
        }
      }
    }
    Channel channel;
    try {
      channel = context.registry().channel(name);
      props.put(CHANNEL, channel);
    } catch (NoSuchChannelException e) {
      return new Rejection(404, e.getMessage());
    } catch (LimitExceededException e) {
      return new Rejection(429, e.getMessage());
    } catch (ChannelClosedException e) {
      return new Rejection(410, "server shutting down");
    }
    return role == Role.PUBLISH ? claimPublisher(channel, client, props) : null;
  }

  /** The last step of a publisher's handshake (nothing may refuse it afterwards): takes the slot. */
  private Rejection claimPublisher(Channel channel, String client, Map<String, Object> props) {
    Publisher publisher;
    try {
      publisher = channel.openPublisher("WebSocket" + (client.isEmpty() ? "" : " " + client));
    } catch (LimitExceededException e) {
      return new Rejection(409, e.getMessage());
    } catch (ChannelClosedException e) {
      return new Rejection(410, "channel closed");
    }
    PublisherClaim claim = new PublisherClaim(publisher);
    props.put(PUBLISHER_CLAIM, claim);
    context.releaseUnlessTaken(claim::release);
    return null;
  }

  /**
   * Takes the publisher slot claimed in a session's handshake.
   *
   * @param session the session
   * @return the handle, or {@code null} if none was claimed or the claim was released meanwhile
   */
  static Publisher takePublisher(Session session) {
    Object claim = session.getUserProperties().get(PUBLISHER_CLAIM);
    return claim instanceof PublisherClaim ? ((PublisherClaim) claim).take() : null;
  }

  /** The values of a request header, whatever the case of its name; {@code null} when absent. */
  private static List<String> header(HandshakeRequest request, String name) {
    List<String> values = null;
    for (Map.Entry<String, List<String>> h : request.getHeaders().entrySet()) {
      if (name.equalsIgnoreCase(h.getKey()) && h.getValue() != null) {
        if (values == null) {
          values = new java.util.ArrayList<>(h.getValue());
        } else {
          values.addAll(h.getValue());
        }
      }
    }
    return values;
  }

  /**
   * Lets every origin through to {@link #modifyHandshake}, where the access gate checks it (once, with the
   * rest of the request) and refuses with a complete 403.
   *
   * @param originHeaderValue the {@code Origin} header
   * @return true
   */
  @Override
  public boolean checkOrigin(String originHeaderValue) {
    return true;
  }

  private static String first(List<String> values) {
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private static String first(Map<String, List<String>> params, String key) {
    return first(params.get(key));
  }


  /**
   * Closes a session whose handshake was refused on a container that could not refuse it with a status.
   *
   * @return {@code true} if the session was refused (and is being closed)
   */
  static boolean closeIfRejected(Session session) {
    Object r = session.getUserProperties().get(REJECTION);
    if (r instanceof Rejection) {
      Rejection rejection = (Rejection) r;
      CloseCodes.closeQuietly(session,
          CloseCodes.reason(CloseReason.CloseCodes.VIOLATED_POLICY, rejection.status + " " + rejection.message));
      return true;
    }
    return false;
  }

  private static boolean classPresent(String name) {
    try {
      Class.forName(name, false, HandshakeConfigurator.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * A publisher handle claimed in a handshake: taken once by the session that opens, or released (closed)
   * once by the transport's timer or shutdown, whichever comes first.
   */
  static final class PublisherClaim {
    private final AtomicReference<Publisher> handle;

    PublisherClaim(Publisher publisher) {
      this.handle = new AtomicReference<>(publisher);
    }

    /** Returns the handle to its new owner, or {@code null} if it was taken or released before. */
    Publisher take() {
      return handle.getAndSet(null);
    }

    /** Closes the handle unless a session took it. */
    void release() {
      Publisher p = take();
      if (p != null) {
        p.close();
      }
    }
  }

  /** A refused handshake: the HTTP status and a one-line reason. */
  static final class Rejection {
    final int status;
    final String message;

    Rejection(int status, String message) {
      this.status = status;
      this.message = message.replaceAll("[\\r\\n]", " ");
    }

    @Override
    public String toString() {
      return status + " " + message.toLowerCase(Locale.ROOT);
    }
  }
}
