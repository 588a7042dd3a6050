package io.framestream.edge;

import java.util.Objects;

/**
 * Decides whether a client may publish into or view a channel. Transports call it for every WebSocket
 * handshake and SSE request, before anything else happens; a refusal becomes HTTP 401 or 403 with the
 * reason.
 *
 * <p>Built in: {@link #allowAll()}, {@link BearerTokens} (static tokens, typically for publishers) and
 * {@link ViewerTickets} (short-lived signed tickets in the URL, for viewers); combine them per action with
 * {@link #perAction(Authorizer, Authorizer)}:
 *
 * <pre>{@code
 * ViewerTickets tickets = ViewerTickets.withRandomKey();
 * Authorizer auth = Authorizer.perAction(BearerTokens.of("s3cret-publisher-token"), tickets);
 * }</pre>
 *
 * <h2>Thread safety</h2>
 *
 * Implementations must be thread-safe and quick: they run on the server's I/O worker threads, for every
 * connection attempt.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface Authorizer {

  /**
   * Decides on a request.
   *
   * @param request the request
   * @return the decision, never {@code null}
   */
  AccessDecision authorize(AccessRequest request);

  /**
   * Allows everything. Fine on a loopback address; the embedded server refuses to use it implicitly on any
   * other address.
   *
   * @return the authorizer
   */
  static Authorizer allowAll() {
    return request -> AccessDecision.ALLOW;
  }

  /**
   * Uses one authorizer for publishing and another for viewing.
   *
   * @param publish decides {@link AccessRequest.Action#PUBLISH} requests
   * @param view decides {@link AccessRequest.Action#VIEW} requests
   * @return the combined authorizer
   * @throws NullPointerException if an argument is {@code null}
   */
  static Authorizer perAction(Authorizer publish, Authorizer view) {
    Objects.requireNonNull(publish, "publish");
    Objects.requireNonNull(view, "view");
    return request -> request.action() == AccessRequest.Action.PUBLISH
        ? publish.authorize(request)
        : view.authorize(request);
  }
}
