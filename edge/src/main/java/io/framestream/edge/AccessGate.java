package io.framestream.edge;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The one access check every entry point runs, once per request: WebSocket handshakes (publish and view),
 * SSE requests, HTTP publishing, and whatever a host adds. Hosts differ only in how they read a request
 * and write a refusal; what is checked, in which order, and what a refusal says are decided here.
 *
 * <ol>
 *   <li>The client's address: the socket peer, or, when the peer is a {@linkplain TrustedProxies trusted
 *       proxy}, the address its forwarding header names ({@link #clientAddress(String, Function)}).
 *   <li>{@code Origin}: a request from a browser page whose origin is not on the allow-list (when one is
 *       set) is refused with 403. Requests without an {@code Origin} header (non-browser clients) pass.
 *   <li>The {@link Authorizer}: 401 (no valid credentials; the answer carries {@code WWW-Authenticate:
 *       Bearer}) or 403 (credentials that do not cover the request). An authorizer that returns
 *       {@code null} or throws refuses with 403.
 * </ol>
 *
 * <p>Every refusal is a {@link Verdict} with a status and a message; its body is {@link ErrorBody}'s JSON.
 * Per-address limits (429) are counted with an {@link AddressLimiter} by the host, because what is counted
 * (connections, uploads) depends on the host.
 *
 * <pre>{@code
 * AccessGate gate = AccessGate.builder()
 *     .authorizer(Authorizer.perAction(BearerTokens.of(token), tickets))
 *     .allowedOrigins(List.of("https://cams.example.com"))
 *     .trustedProxies(TrustedProxies.of("10.0.0.0/8"))
 *     .build();
 * AccessGate.Verdict v = gate.admit(AccessRequest.Action.VIEW, "cam1", client, headers, query);
 * }</pre>
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: its settings are immutable and its {@linkplain #refusals() refusal counters} are
 * lock-free. The authorizer is called from the host's request threads and must be
 * thread-safe itself.
 *
 * @since 0.3.0
 */
public final class AccessGate {

  private static final System.Logger LOG = System.getLogger(AccessGate.class.getName());

  private static final AccessGate OPEN = builder().build();

  private final Authorizer authorizer;
  private final Set<String> allowedOrigins;
  private final TrustedProxies trustedProxies;
  private final AccessRefusals refusals = new AccessRefusals();

  private AccessGate(Builder b) {
    this.authorizer = b.authorizer;
    this.allowedOrigins = Set.copyOf(b.allowedOrigins);
    this.trustedProxies = b.trustedProxies;
  }

  /**
   * Returns a gate that lets everyone in from anywhere and believes no forwarding header.
   *
   * @return the open gate
   */
  public static AccessGate open() {
    return OPEN;
  }

  /**
   * Starts a gate.
   *
   * @return a builder with everyone allowed, any origin, no trusted proxies
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a builder holding this gate's settings, to derive a gate that differs in one of them.
   *
   * @return a builder with this gate's authorizer, allowed origins and trusted proxies
   */
  public Builder toBuilder() {
    Builder b = new Builder().authorizer(authorizer).trustedProxies(trustedProxies);
    b.allowedOrigins.addAll(allowedOrigins);
    return b;
  }

  /**
   * Returns the authorizer.
   *
   * @return it
   */
  public Authorizer authorizer() {
    return authorizer;
  }

  /**
   * Returns the trusted proxies.
   *
   * @return them
   */
  public TrustedProxies trustedProxies() {
    return trustedProxies;
  }

  /**
   * Returns this gate's refusal counters: {@link #admit} counts its refusals there, and a host records its
   * own (such as {@link AccessRefusals.Cause#ADDRESS_LIMIT}). A gate made by {@link #toBuilder()} has its
   * own counters; {@link #open()} is shared by everyone who uses it.
   *
   * @return the counters
   * @since 0.4.0
   */
  public AccessRefusals refusals() {
    return refusals;
  }

  /**
   * Resolves the client's address of a request.
   *
   * @param peer the socket peer's address
   * @param headers the request's header values by name (case-insensitive lookup is the host's job; an
   *     absent header gives an empty list or {@code null})
   * @return the client's address
   */
  public String clientAddress(String peer, Function<String, List<String>> headers) {
    String p = peer == null ? "" : peer;
    if (trustedProxies.isEmpty()) {
      return p;
    }
    return trustedProxies.clientAddress(p, orEmpty(headers.apply("Forwarded")),
        orEmpty(headers.apply("X-Forwarded-For")));
  }

  /**
   * Tells whether a browser origin may connect.
   *
   * @param origin the {@code Origin} header's value, or {@code null} when absent
   * @return true when absent, when no allow-list is set, or when listed (compared case-insensitively)
   */
  public boolean originAllowed(String origin) {
    return origin == null || allowedOrigins.isEmpty() || allowedOrigins.contains(origin.toLowerCase(Locale.ROOT));
  }

  /**
   * Decides one request. The channel name must have been validated (400 comes before the gate).
   *
   * @param action publish or view
   * @param channel the channel's name
   * @param clientAddress the client's address from {@link #clientAddress(String, Function)}
   * @param headers the request's headers (any case)
   * @param query the request's query parameters, decoded
   * @return the verdict
   */
  public Verdict admit(AccessRequest.Action action, String channel, String clientAddress,
      Map<String, List<String>> headers, Map<String, List<String>> query) {
    AccessRequest request = new AccessRequest(action, channel, clientAddress == null ? "" : clientAddress,
        headers, query);
    String origin = request.header("Origin").orElse(null);
    if (!originAllowed(origin)) {
      refusals.record(AccessRefusals.Cause.ORIGIN);
      return new Verdict(403, "origin not allowed: " + ErrorBody.shown(origin, 100));
    }
    AccessDecision decision;
    try {
      decision = authorizer.authorize(request);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "authorizer failed; refusing " + action + " of " + channel, e);
      refusals.record(AccessRefusals.Cause.FORBIDDEN);
      return new Verdict(403, "authorizer failed");
    }
    if (decision == null) {
      refusals.record(AccessRefusals.Cause.FORBIDDEN);
      return new Verdict(403, "no decision");
    }
    if (decision.allowed()) {
      return Verdict.ALLOWED;
    }
    refusals.record(decision.status() == 401 ? AccessRefusals.Cause.UNAUTHORIZED : AccessRefusals.Cause.FORBIDDEN);
    return new Verdict(decision.status(), decision.reason());
  }

  private static List<String> orEmpty(List<String> values) {
    return values == null ? List.of() : values;
  }

  /**
   * The gate's answer to one request: allowed (status 200), or a refusal with its HTTP status and message.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable; thread-safe.
   *
   * @param status 200 when allowed, else 401 or 403
   * @param message why it was refused; empty when allowed
   * @since 0.3.0
   */
  public record Verdict(int status, String message) {

    /** The verdict that lets a request in. */
    public static final Verdict ALLOWED = new Verdict(200, "");

    /**
     * Validates a verdict.
     *
     * @param status 200 when allowed, else 401 or 403
     * @param message why it was refused; empty when allowed
     * @throws NullPointerException if {@code message} is {@code null}
     */
    public Verdict {
      Objects.requireNonNull(message, "message");
    }

    /**
     * Tells whether the request may go on.
     *
     * @return true when allowed
     */
    public boolean allowed() {
      return status == 200;
    }

    /**
     * Tells whether the refusal must carry {@code WWW-Authenticate: Bearer} (a 401).
     *
     * @return true for 401
     */
    public boolean challenges() {
      return status == 401;
    }

    /**
     * Returns the refusal's body.
     *
     * @return {@link ErrorBody#bytes(String)} of the message
     */
    public byte[] body() {
      return ErrorBody.bytes(message);
    }
  }

  /**
   * Builds an {@link AccessGate}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe; use from one thread.
   *
   * @since 0.3.0
   */
  public static final class Builder {

    private Authorizer authorizer = Authorizer.allowAll();
    private final Set<String> allowedOrigins = new LinkedHashSet<>();
    private TrustedProxies trustedProxies = TrustedProxies.none();

    private Builder() {}

    /**
     * Sets who may publish and view (default: everyone).
     *
     * @param auth the authorizer
     * @return this builder
     */
    public Builder authorizer(Authorizer auth) {
      this.authorizer = Objects.requireNonNull(auth, "authorizer");
      return this;
    }

    /**
     * Allows browser pages of these origins only (default: any). Compared case-insensitively.
     *
     * @param origins such as {@code https://cams.example.com}
     * @return this builder
     */
    public Builder allowedOrigins(Collection<String> origins) {
      for (String o : origins) {
        allowedOrigins.add(Objects.requireNonNull(o, "origin").toLowerCase(Locale.ROOT));
      }
      return this;
    }

    /**
     * Sets whose forwarding headers are believed (default: nobody's).
     *
     * @param proxies the trusted proxies
     * @return this builder
     */
    public Builder trustedProxies(TrustedProxies proxies) {
      this.trustedProxies = Objects.requireNonNull(proxies, "trustedProxies");
      return this;
    }

    /**
     * Builds the gate.
     *
     * @return the gate
     */
    public AccessGate build() {
      return new AccessGate(this);
    }
  }
}
