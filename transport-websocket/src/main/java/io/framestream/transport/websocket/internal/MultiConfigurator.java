package io.framestream.transport.websocket.internal;

import io.framestream.transport.websocket.spi.FrontFilter;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The handshake of {@code /ws/multi}: keeps what the access gate will need for each channel the connection
 * adds later (the request's headers and query, and the client address the host's front filter stamped), and
 * refuses nothing itself: every channel is authorized when it is added ({@link MultiConnection}).
 *
 * <h2>Thread safety</h2>
 *
 * Stateless past its context; the container calls it from any thread.
 */
public final class MultiConfigurator extends ServerEndpointConfig.Configurator {

  static final String HEADERS = "framestream.multi.headers";
  static final String QUERY = "framestream.multi.query";
  static final String CLIENT = "framestream.multi.client";

  private final EndpointContext context;

  /**
   * Creates the configurator.
   *
   * @param context the transport's endpoints' shared state
   */
  public MultiConfigurator(EndpointContext context) {
    this.context = context;
  }

  @Override
  public <T> T getEndpointInstance(Class<T> endpointClass) {
    return endpointClass.cast(new MultiEndpoint(context));
  }

  @Override
  public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
    Map<String, Object> props = sec.getUserProperties();
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    request.getHeaders().forEach((name, values) -> headers.put(name, List.copyOf(values)));
    String client = "";
    if (context.fronted()) { // only then is this header the host's, never a client's
      List<String> address = headers.get(FrontFilter.CLIENT_ADDRESS_HEADER);
      client = address == null || address.isEmpty() ? "" : address.get(0);
    }
    props.put(HEADERS, headers);
    props.put(QUERY, Map.copyOf(request.getParameterMap()));
    props.put(CLIENT, client);
  }

  /** Lets every origin through: the access gate checks it, with the rest, for each channel added. */
  @Override
  public boolean checkOrigin(String originHeaderValue) {
    return true;
  }
}
