package io.framestream.server.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.glassfish.grizzly.http.HttpRequestPacket;

/**
 * Reads what the access gate sees of a Grizzly request: its headers. (Query parameters come from {@link
 * io.framestream.edge.AccessRequest#parseQuery(String)} of the raw query string, never from the body, which
 * for a {@code POST} is the frame.)
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
final class AccessRequests {

  private AccessRequests() {}

  /**
   * Copies a request's headers.
   *
   * @param request the request
   * @return every header's values by name, as the request spells it
   */
  static Map<String, List<String>> headers(HttpRequestPacket request) {
    Map<String, List<String>> headers = new HashMap<>();
    for (String name : request.getHeaders().names()) {
      List<String> values = new ArrayList<>();
      request.getHeaders().values(name).forEach(values::add);
      headers.merge(name, values, (a, b) -> {
        a.addAll(b);
        return a;
      });
    }
    return headers;
  }
}
