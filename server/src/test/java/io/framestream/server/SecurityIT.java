package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.edge.Authorizer;
import io.framestream.edge.BearerTokens;
import io.framestream.edge.ViewerTickets;
import io.framestream.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Authorization, origins and connection limits on the real server; refusals never disturb other clients. */
class SecurityIT {

  private static final String TOKEN = "publisher-token-0123456789";
  private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final ViewerTickets tickets = ViewerTickets.withKey(KEY);
  private FrameStreamServer server;
  private final List<JdkWsClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    server = FrameStreamServer.builder().port(0)
        .authorizer(Authorizer.perAction(BearerTokens.builder().token(TOKEN, "cam").build(), tickets))
        .allowedOrigins("http://good.example")
        .build().start();
  }

  @AfterEach
  void stop() {
    clients.forEach(JdkWsClient::abort);
    server.close();
  }

  private URI ws(String path) {
    return server.webSocketUri().resolve(path);
  }

  private JdkWsClient keep(JdkWsClient c) {
    clients.add(c);
    return c;
  }

  @Test
  void publishersNeedAValidTokenForTheChannel() {
    assertEquals(401, JdkWsClient.refusedStatus(ws("/ws/publish/cam")), "no token");
    assertEquals(401, JdkWsClient.refusedStatus(ws("/ws/publish/cam"), "Authorization", "Bearer wrong-wrong-wrong-wrong"));
    assertEquals(403, JdkWsClient.refusedStatus(ws("/ws/publish/other?token=" + TOKEN)), "token for another channel");
    JdkWsClient viaHeader = keep(JdkWsClient.connectWithHeaders(ws("/ws/publish/cam"), "Authorization", "Bearer " + TOKEN));
    viaHeader.sendBinary(WebSocketServerIT.jpeg(1, 100));
    Await.until("published", () -> server.registry().channel("cam").stats().framesIn() == 1);
  }

  @Test
  void viewersNeedAValidTicketOverWebSocketAndSse() throws Exception {
    String good = tickets.issue("cam", Duration.ofMinutes(5));
    String expired = ViewerTickets.withKey(KEY).withClock(Clock.fixed(Instant.now().minusSeconds(7200), ZoneOffset.UTC))
        .issue("cam", Duration.ofMinutes(5));
    String otherChannel = tickets.issue("other", Duration.ofMinutes(5));
    String tampered = good.substring(0, good.length() - 2) + (good.endsWith("A") ? "BB" : "AA");

    JdkWsClient viewer = keep(JdkWsClient.connect(ws("/ws/live/cam?ticket=" + good)));
    Await.until("valid ticket: init", () -> viewer.count() == 1);
    assertEquals(401, JdkWsClient.refusedStatus(ws("/ws/live/cam")));
    assertEquals(401, JdkWsClient.refusedStatus(ws("/ws/live/cam?ticket=" + expired)));
    assertEquals(403, JdkWsClient.refusedStatus(ws("/ws/live/cam?ticket=" + otherChannel)));
    assertEquals(401, JdkWsClient.refusedStatus(ws("/ws/live/cam?ticket=" + tampered)));

    HttpResponse<String> none = sse("/sse/cam");
    assertEquals(401, none.statusCode());
    assertEquals("Bearer", none.headers().firstValue("www-authenticate").orElse(""));
    assertTrue(JSON.readTree(none.body()).get("error").asText().contains("ticket"), none.body());
    assertEquals("ticket expired", JSON.readTree(sse("/sse/cam?ticket=" + expired).body()).get("error").asText());
    assertEquals(403, sse("/sse/cam?ticket=" + otherChannel).statusCode());
    assertEquals(401, sse("/sse/cam?ticket=" + tampered).statusCode());

    JdkWsClient publisher = keep(JdkWsClient.connect(ws("/ws/publish/cam?token=" + TOKEN)));
    publisher.sendBinary(WebSocketServerIT.jpeg(2, 100));
    Await.until("the authorized viewer kept receiving throughout", () -> viewer.binaries().size() == 1);
  }

  private HttpResponse<String> sse(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void onlyAllowedBrowserOriginsMayOpenWebSockets() {
    String ticket = tickets.issue("cam", Duration.ofMinutes(5));
    assertEquals(403, JdkWsClient.refusedStatus(ws("/ws/live/cam?ticket=" + ticket), "Origin", "http://evil.example"));
    JdkWsClient good = keep(JdkWsClient.connectWithHeaders(ws("/ws/live/cam?ticket=" + ticket), "Origin", "http://good.example"));
    JdkWsClient noOrigin = keep(JdkWsClient.connect(ws("/ws/live/cam?ticket=" + ticket)));
    Await.until("allowed origin and non-browser client connected", () -> good.count() == 1 && noOrigin.count() == 1);
  }

  @Test
  void anOpenServerOnAPublicAddressNeedsAnExplicitAuthorizer() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> FrameStreamServer.builder().host("0.0.0.0").port(0).build().start());
    assertTrue(e.getMessage().contains("authorizer"), e.getMessage());
    try (FrameStreamServer open = FrameStreamServer.builder().host("0.0.0.0").port(0)
        .authorizer(Authorizer.allowAll()).build().start()) {
      assertTrue(open.port() > 0);
    }
  }

  @Test
  void connectionsPerAddressAreLimited() throws Exception {
    try (FrameStreamServer limited = FrameStreamServer.builder().port(0).maxConnectionsPerAddress(3).build().start()) {
      List<JdkWsClient> three = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        three.add(keep(JdkWsClient.connect(limited.webSocketUri().resolve("/ws/live/x"))));
      }
      Await.until("three viewers", () -> limited.registry().channel("x").subscriberCount() == 3);
      assertEquals(429, JdkWsClient.refusedStatus(limited.webSocketUri().resolve("/ws/live/x")));
      HttpResponse<String> api = HTTP.send(HttpRequest.newBuilder(limited.httpUri().resolve("/api/channels")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(429, api.statusCode());
      assertTrue(JSON.readTree(api.body()).get("error").asText().contains("maxConnectionsPerAddress"), api.body());
      three.get(0).abort();
      Await.until("a slot frees when a connection closes", () -> {
        try {
          return HTTP.send(HttpRequest.newBuilder(limited.httpUri().resolve("/api/channels")).build(),
              HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (Exception ex) {
          return false;
        }
      });
    }
  }
}
