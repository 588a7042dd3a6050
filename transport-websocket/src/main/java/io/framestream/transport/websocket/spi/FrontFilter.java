package io.framestream.transport.websocket.spi;

import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A host's filter that sees every HTTP request before the Jakarta WebSocket container does, such as the
 * embedded server's Grizzly filter. Where there is one, it runs the transport's {@link AccessGate} for
 * WebSocket upgrades itself, so that a refusal is a complete 401 or 403 with a JSON body (a container may
 * not be able to answer 401), and the transport's handshake then does not run the gate again: access runs
 * once per handshake.
 *
 * <p>A filter is registered with {@code WebSocketTransport.Builder.frontFilter(...)}, which calls {@link
 * #attach(Endpoints)} once when the transport is built. By registering, the host promises, for every
 * request it passes on:
 *
 * <ol>
 *   <li>to remove every header named in {@link #HEADERS} that the client sent, whatever its case, before
 *       the container sees the request (a client can send any header);
 *   <li>for an upgrade to one of the transport's endpoints ({@link Endpoints#upgrade(String)}): to call
 *       {@link Upgrade#admit} once, to answer a refusal itself, and to pass an admitted request on with
 *       {@link #ADMITTED_HEADER} set to {@link Upgrade#admittedStamp()} and {@link #CLIENT_ADDRESS_HEADER}
 *       to the client's address it resolved;
 *   <li>optionally, to set {@link #CONNECTION_ID_HEADER} to an id of its own for the connection, which the
 *       transport copies into the session's user properties under the same name (how a {@link
 *       SessionAborter} finds the socket of a session).
 * </ol>
 *
 * <p>The transport believes these headers only when it was built with a filter, and the admitted stamp
 * only when it carries the transport's own secret and names the channel and action of the handshake; a
 * transport deployed without one ignores them all and runs the gate in its handshake.
 *
 * <h2>Thread safety</h2>
 *
 * Implementations must be thread-safe: {@link #attach} is called once from the thread that builds the
 * transport; the {@link Endpoints} it receives are thread-safe and called from the host's request threads.
 *
 * @since 0.3.0
 */
public interface FrontFilter {

  /**
   * The request header through which the filter identifies the connection of an upgrade request; copied
   * into the session's user properties under the same name.
   */
  String CONNECTION_ID_HEADER = "x-framestream-connection";
  /** The request header through which the filter passes the client's address it resolved. */
  String CLIENT_ADDRESS_HEADER = "x-framestream-remote-address";
  /** The request header through which the filter says it admitted the upgrade (see {@link Upgrade}). */
  String ADMITTED_HEADER = "x-framestream-admitted";
  /** Every header the filter must remove from what a client sent. */
  List<String> HEADERS = List.of(CONNECTION_ID_HEADER, CLIENT_ADDRESS_HEADER, ADMITTED_HEADER);

  /**
   * Receives the transport's endpoints when the transport is built.
   *
   * @param endpoints what the filter needs of the transport
   */
  void attach(Endpoints endpoints);

  /**
   * What a front filter needs of the transport it stands in front of. Implemented by the transport.
   *
   * <h2>Thread safety</h2>
   *
   * Thread-safe.
   *
   * @since 0.3.0
   */
  interface Endpoints {

    /**
     * Recognises an upgrade request to one of the transport's endpoints.
     *
     * @param rawPath the request's path, not decoded, without the query
     * @return the upgrade, or empty when the path is not the transport's or names an invalid channel (which
     *     the endpoint refuses with 400 before any access check)
     */
    Optional<Upgrade> upgrade(String rawPath);

    /**
     * Tells whether a path belongs to one of the transport's endpoints, whatever channel it names: an
     * upgrade request to it is answered by the transport's handshake.
     *
     * @param rawPath the request's path, not decoded, without the query
     * @return true for the publishing and viewing paths
     */
    boolean serves(String rawPath);

    /**
     * Returns the largest message any endpoint accepts (a publisher's data URI of {@code maxFrameBytes}), so
     * that a host can size its container's incoming buffer.
     *
     * @return bytes
     */
    int largestMessageBytes();

    /**
     * Returns the publishing endpoint of an upgraded connection, for a filter that reads the connection's
     * data frames itself (see {@link PublisherInput}). The connection is the one the filter stamped with
     * {@link #CONNECTION_ID_HEADER}; the endpoint is there from its session's opening to its closing.
     *
     * @param connectionId the id the filter put in {@link #CONNECTION_ID_HEADER}
     * @return the endpoint, or empty when no publishing session of that connection is open (always empty
     *     from an implementation that predates this method)
     * @since 0.4.0
     */
    default Optional<PublisherInput> publisherInput(String connectionId) {
      return Optional.empty();
    }
  }

  /**
   * One upgrade request to an endpoint of the transport: what it asks for, the limits of its messages, and
   * the access check.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable; thread-safe.
   *
   * @since 0.3.0
   */
  interface Upgrade {

    /**
     * Returns what the client asks to do.
     *
     * @return publish or view
     */
    AccessRequest.Action action();

    /**
     * Returns the channel's name, as the endpoint reads it from the path; valid.
     *
     * @return the name
     */
    String channel();

    /**
     * Returns the largest text message the endpoint accepts on this connection.
     *
     * @return bytes
     */
    int maxTextMessageBytes();

    /**
     * Returns the largest binary message the endpoint accepts on this connection.
     *
     * @return bytes
     */
    int maxBinaryMessageBytes();

    /**
     * Runs the transport's access gate for this upgrade. Call it once; the handshake will not run it again
     * when the request carries {@link #admittedStamp()}.
     *
     * @param clientAddress the client's address the host resolved (through its trusted proxies)
     * @param headers the request's headers, any case
     * @param query the request's query parameters, decoded ({@link AccessRequest#parseQuery(String)})
     * @return the gate's verdict; the host answers a refusal itself
     */
    AccessGate.Verdict admit(String clientAddress, Map<String, List<String>> headers,
        Map<String, List<String>> query);

    /**
     * Returns the value of {@link #ADMITTED_HEADER} for this upgrade once {@link #admit} allowed it: a
     * secret of the transport bound to the action and channel, which no client can produce.
     *
     * @return the header value
     */
    String admittedStamp();
  }
}
