package io.framestream.edge;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What an {@link Authorizer} sees of a request to publish into or view a channel: the action, the channel,
 * the remote address, the headers (cookies among them) and the query parameters. Transports build it from
 * a WebSocket handshake or an HTTP request.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe.
 *
 * @param action what the client wants to do
 * @param channel the channel name
 * @param remoteAddress the client's IP address as text, or empty when the host cannot tell
 * @param headers request headers; names compare case-insensitively
 * @param query query parameters
 * @since 0.1.0
 */
public record AccessRequest(
    Action action, String channel, String remoteAddress, Map<String, List<String>> headers,
    Map<String, List<String>> query) {

  /**
   * What a client asks to do with a channel.
   *
   * <h2>Thread safety</h2>
   *
   * An enum: immutable.
   *
   * @since 0.1.0
   */
  public enum Action {
    /** Send frames into the channel. */
    PUBLISH,
    /** Receive the channel's frames. */
    VIEW
  }

  /** The most query pairs {@link #parseQuery(String)} reads; the rest are ignored. */
  public static final int MAX_QUERY_PARAMETERS = 64;

  /**
   * Copies the maps; header names become case-insensitive.
   *
   * @param action what the client wants to do
   * @param channel the channel name
   * @param remoteAddress the client's address, or empty
   * @param headers request headers
   * @param query query parameters
   * @throws NullPointerException if an argument is {@code null}
   */
  public AccessRequest {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(remoteAddress, "remoteAddress");
    TreeMap<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    Objects.requireNonNull(headers, "headers").forEach((k, v) -> h.merge(k, List.copyOf(v), AccessRequest::concat));
    headers = java.util.Collections.unmodifiableMap(h);
    query = Map.copyOf(Objects.requireNonNull(query, "query"));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    java.util.ArrayList<String> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  /**
   * Returns the first value of a header.
   *
   * @param name the header name, any case
   * @return the value, or empty
   */
  public Optional<String> header(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.ofNullable(values.get(0));
  }

  /**
   * Parses a raw query string ({@code a=1&b=x%20y}) into decoded parameters, the way every host hands them
   * to the gate. A pair that cannot be decoded is skipped (the endpoint's own checks see the raw query);
   * at most {@value #MAX_QUERY_PARAMETERS} pairs are read.
   *
   * @param rawQuery the query string without {@code ?}, or {@code null}
   * @return parameter values by name, in order of appearance
   */
  public static Map<String, List<String>> parseQuery(String rawQuery) {
    Map<String, List<String>> query = new java.util.LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return query;
    }
    int pairs = 0;
    for (String pair : rawQuery.split("&", MAX_QUERY_PARAMETERS + 1)) {
      if (++pairs > MAX_QUERY_PARAMETERS) {
        break;
      }
      int eq = pair.indexOf('=');
      try {
        String key = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq),
            java.nio.charset.StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1),
            java.nio.charset.StandardCharsets.UTF_8);
        query.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(value);
      } catch (IllegalArgumentException e) {
        // an undecodable pair is skipped
      }
    }
    return query;
  }

  /**
   * Returns the first value of a query parameter.
   *
   * @param name the parameter name (case-sensitive)
   * @return the value, or empty
   */
  public Optional<String> queryParameter(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.ofNullable(values.get(0));
  }

  /**
   * Returns a cookie's value from the {@code Cookie} headers.
   *
   * @param name the cookie name
   * @return the value, or empty
   */
  public Optional<String> cookie(String name) {
    List<String> values = headers.get("Cookie");
    if (values == null) {
      return Optional.empty();
    }
    for (String header : values) {
      for (String pair : header.split(";")) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
          return Optional.of(pair.substring(eq + 1).trim());
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Returns the bearer token of the request: from {@code Authorization: Bearer <token>}, else from the
   * {@code token} query parameter (browsers cannot set headers on WebSocket or {@code EventSource}).
   *
   * @return the token, or empty
   */
  public Optional<String> bearerToken() {
    Optional<String> auth = header("Authorization");
    if (auth.isPresent() && auth.get().toLowerCase(Locale.ROOT).startsWith("bearer ")) {
      return Optional.of(auth.get().substring(7).trim());
    }
    return queryParameter("token");
  }
}
