package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessDecision;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import io.framestream.edge.Authorizer;
import io.framestream.server.internal.EmbeddedContainer;
import io.framestream.testkit.Await;
import io.framestream.transport.websocket.WebSocketTransport;
import io.framestream.transport.websocket.spi.FrontFilter;
import jakarta.websocket.server.ServerEndpointConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.strategies.WorkerThreadIOStrategy;
import org.glassfish.tyrus.container.grizzly.server.WebSocketAddOn;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule W6: the access gate runs once per request. On the embedded server the filter in front of Tyrus runs
 * it for a WebSocket handshake and the handshake does not run it again; on a container without that filter
 * the handshake runs it, and no header a client sends makes it skip the gate.
 */
class AccessOnceIT {

  private static final String TOKEN = "publisher-token-0123456789";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** Every request the authorizer saw: action, channel and client address. */
  private final List<String> calls = new CopyOnWriteArrayList<>();
  /** Lets in whoever carries {@code ?token=TOKEN} or {@code Authorization: Bearer TOKEN}. */
  private final Authorizer counting = request -> {
    calls.add(request.action() + " " + request.channel() + " from " + request.remoteAddress());
    return request.bearerToken().filter(TOKEN::equals).isPresent() ? AccessDecision.ALLOW
        : AccessDecision.unauthorized("no valid token");
  };
  private final List<JdkWsClient> clients = new ArrayList<>();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    clients.forEach(JdkWsClient::abort);
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private JdkWsClient keep(JdkWsClient c) {
    clients.add(c);
    return c;
  }

  @Test
  void w6_theAuthorizerRunsOncePerWebSocketHandshakeAndHttpPostOnTheEmbeddedServer() throws Exception {
    FrameStreamServer server = FrameStreamServer.builder().port(0).authorizer(counting).build().start();
    closing.add(server);
    URI ws = server.webSocketUri();

    JdkWsClient publisher = keep(JdkWsClient.connect(ws.resolve("/ws/publish/cam?token=" + TOKEN)));
    assertEquals(List.of("PUBLISH cam from 127.0.0.1"), calls, "one call for the publisher's handshake");
    JdkWsClient viewer = keep(JdkWsClient.connect(ws.resolve("/ws/live/cam?token=" + TOKEN)));
    Await.until("the viewer's init", () -> viewer.count() == 1);
    assertEquals(2, calls.size(), "one call for the viewer's handshake: " + calls);

    assertEquals(401, JdkWsClient.refusedStatus(ws.resolve("/ws/live/cam")), "a 401 before Tyrus");
    assertEquals(3, calls.size(), calls.toString());
    assertEquals(401, JdkWsClient.refusedStatus(ws.resolve("/ws/live/cam"), FrontFilter.ADMITTED_HEADER, "yes",
        FrontFilter.CLIENT_ADDRESS_HEADER, "10.1.2.3"), "a client's own 'admitted' header is stripped");
    assertEquals(List.of("PUBLISH cam from 127.0.0.1", "VIEW cam from 127.0.0.1", "VIEW cam from 127.0.0.1",
        "VIEW cam from 127.0.0.1"), calls, "the forged client address was not believed either");

    HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/api/channels/snap/frames"))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "image/jpeg")
        .POST(HttpRequest.BodyPublishers.ofByteArray(WebSocketServerIT.jpeg(1, 100))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(204, post.statusCode(), post.body());
    assertEquals(5, calls.size(), "one call for an HTTP post: " + calls);
    HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/api/channels/snap/frames"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(WebSocketServerIT.jpeg(2, 100))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, refused.statusCode());
    assertEquals("no valid token", JSON.readTree(refused.body()).get("error").asText(), refused.body());
    assertEquals(6, calls.size(), calls.toString());
    publisher.sendBinary(WebSocketServerIT.jpeg(3, 100));
    Await.until("the viewer got the WebSocket publisher's frame", () -> viewer.binaries().size() >= 1);
  }

  @Test
  void w6_aForgedAdmittedHeaderDoesNotSkipTheGateOnAContainerWithoutTheFrontFilter() throws Exception {
    ChannelRegistry registry = ChannelRegistry.builder().build();
    closing.add(registry);
    WebSocketTransport transport = WebSocketTransport.builder(registry).authorizer(counting).build();
    URI ws = bareTyrus(transport);

    String[] forged = {FrontFilter.ADMITTED_HEADER, "yes", FrontFilter.CLIENT_ADDRESS_HEADER, "10.1.2.3",
        FrontFilter.CONNECTION_ID_HEADER, "1"};
    int status = JdkWsClient.refusedStatus(ws.resolve("/ws/publish/cam"), forged);
    assertEquals(403, status, "Tyrus alone answers the authorizer's 401 as 403");
    assertEquals(List.of("PUBLISH cam from "), calls, "the gate ran once; the forged address was ignored");
    assertEquals(0, registry.channel("cam").publisherCount());

    JdkWsClient publisher = keep(JdkWsClient.connectWithHeaders(ws.resolve("/ws/publish/cam?token=" + TOKEN), forged));
    Await.until("the publisher holds the slot", () -> registry.channel("cam").publisherCount() == 1);
    assertEquals(2, calls.size(), "one call per handshake: " + calls);
    publisher.abort();
  }

  @Test
  void w6_aTransportBuiltForAFrontFilterStillRunsTheGateForAStampItDidNotMake() throws Exception {
    // A host that registered a filter but (wrongly) lets client headers through: the stamp is the
    // transport's secret, bound to the action and channel, so a client still cannot skip the gate.
    ChannelRegistry registry = ChannelRegistry.builder().build();
    closing.add(registry);
    List<FrontFilter.Endpoints> attached = new ArrayList<>();
    WebSocketTransport transport = WebSocketTransport.builder(registry)
        .accessGate(AccessGate.builder().authorizer(counting).build()).frontFilter(attached::add).build();
    assertEquals(1, attached.size(), "attached once when built");
    URI ws = bareTyrus(transport);
    String otherChannelsStamp = attached.get(0).upgrade("/ws/publish/other").orElseThrow().admittedStamp();

    assertEquals(403, JdkWsClient.refusedStatus(ws.resolve("/ws/publish/cam"), FrontFilter.ADMITTED_HEADER, "yes"));
    assertEquals(403, JdkWsClient.refusedStatus(ws.resolve("/ws/publish/cam"), FrontFilter.ADMITTED_HEADER,
        otherChannelsStamp));
    assertEquals(2, calls.size(), calls.toString());
    assertTrue(calls.stream().allMatch(c -> c.startsWith(AccessRequest.Action.PUBLISH + " cam")), calls.toString());
    assertEquals(0, registry.channel("cam").publisherCount());
  }

  /** Deploys the transport on Tyrus in a plain Grizzly server, with no filter in front; returns its ws:// URI. */
  private URI bareTyrus(WebSocketTransport transport) throws Exception {
    closing.add(transport);
    EmbeddedContainer container = new EmbeddedContainer(1 << 20);
    HttpServer http = new HttpServer();
    NetworkListener listener = new NetworkListener("bare", "127.0.0.1", 0);
    listener.getTransport().setIOStrategy(WorkerThreadIOStrategy.getInstance());
    listener.registerAddOn(new WebSocketAddOn(container, EmbeddedContainer.contextPath()));
    http.addListener(listener);
    for (ServerEndpointConfig sec : transport.endpointConfigs()) {
      container.addEndpoint(sec);
    }
    container.start(EmbeddedContainer.contextPath(), 0);
    container.doneDeployment();
    http.start();
    closing.add(container::stop);
    closing.add(http::shutdownNow);
    return URI.create("ws://127.0.0.1:" + listener.getPort() + "/");
  }
}
