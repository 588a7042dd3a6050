package io.framestream.server.internal;

import io.framestream.edge.AccessRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.glassfish.grizzly.http.HttpRequestPacket;

/**
 * Builds what an {@code Authorizer} sees from a Grizzly request: headers, and query parameters parsed from
 * the raw query string (never from the body, which for a {@code POST} is the frame).
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
final class AccessRequests {

  private AccessRequests() {}

  static AccessRequest of(AccessRequest.Action action, String channel, String remote, HttpRequestPacket request) {
    Map<String, List<String>> headers = new HashMap<>();
    for (String name : request.getHeaders().names()) {
      List<String> values = new ArrayList<>();
      request.getHeaders().values(name).forEach(values::add);
      headers.put(name, values);
    }
    return new AccessRequest(action, channel, remote == null ? "" : remote, headers, query(request.getQueryString()));
  }

  static Map<String, List<String>> query(String queryString) {
    Map<String, List<String>> query = new HashMap<>();
    if (queryString == null || queryString.isEmpty()) {
      return query;
    }
    for (String pair : queryString.split("&")) {
      int eq = pair.indexOf('=');
      try {
        String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        query.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
      } catch (IllegalArgumentException e) {
        // an undecodable pair is ignored; the endpoint's own checks see the raw query
      }
    }
    return query;
  }
}
