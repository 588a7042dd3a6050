package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.edge.AccessDecision;
import io.framestream.edge.AccessRequest;
import io.framestream.edge.TrustedProxies;
import io.framestream.testkit.Await;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule H3: forwarding headers are believed from trusted proxies only; the client they name is what the
 * per-address limit counts and what the authorizer sees, over WebSocket and SSE.
 */
class TrustedProxiesIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
  private final List<JdkWsClient> clients = new ArrayList<>();
  private FrameStreamServer server;

  private FrameStreamServer start(String... trusted) {
    return start(TrustedProxies.Header.X_FORWARDED_FOR, trusted);
  }

  private FrameStreamServer start(TrustedProxies.Header header, String... trusted) {
    server = FrameStreamServer.builder().port(0).maxConnectionsPerAddress(3).trustedProxies(trusted)
        .forwardingHeader(header).authorizer(this::record).build().start();
    return server;
  }

  private AccessDecision record(AccessRequest request) {
    seen.add(request.action() + " " + request.remoteAddress());
    return AccessDecision.ALLOW;
  }

  @AfterEach
  void stop() {
    clients.forEach(JdkWsClient::abort);
    if (server != null) {
      server.close();
    }
  }

  private URI live(String channel) {
    return server.webSocketUri().resolve("/ws/live/" + channel);
  }

  private JdkWsClient viewer(String channel, String header, String value) {
    JdkWsClient c = JdkWsClient.connectWithHeaders(live(channel), header, value);
    clients.add(c);
    return c;
  }

  @Test
  void h3_viewersBehindATrustedProxyAreCountedByClientAddress() throws Exception {
    start("127.0.0.1");
    for (int i = 1; i <= 5; i++) {
      viewer("cam", "X-Forwarded-For", "6.6.6.6, 198.51.100." + i);
    }
    viewer("cam", "X-Forwarded-For", "[2001:db8::7]:4711");
    Await.until("six viewers from six clients behind one proxy",
        () -> server.registry().channel("cam").subscriberCount() == 6);
    assertTrue(seen.contains("VIEW 198.51.100.5"), seen.toString());
    assertTrue(seen.contains("VIEW 2001:db8:0:0:0:0:0:7"), seen.toString());

    viewer("cam", "X-Forwarded-For", "198.51.100.1");
    viewer("cam", "X-Forwarded-For", "198.51.100.1");
    assertEquals(429, JdkWsClient.refusedStatus(live("cam"), "X-Forwarded-For", "198.51.100.1"),
        "one client behind the proxy still has its own limit of 3");

    // SSE: the authorizer sees the client too.
    CompletableFuture<HttpResponse<InputStream>> sse = HTTP.sendAsync(
        HttpRequest.newBuilder(server.httpUri().resolve("/sse/cam")).header("X-Forwarded-For", "203.0.113.44").build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try {
      Await.until(() -> "SSE viewer seen as its client: " + seen, () -> seen.contains("VIEW 203.0.113.44"),
          Await.DEFAULT);
    } finally {
      sse.thenAccept(r -> {
        try {
          r.body().close();
        } catch (java.io.IOException e) {
          // closing
        }
      });
      sse.cancel(true);
    }
  }

  @Test
  void h3_forwardedHeadersFromAnUntrustedPeerAreIgnored() throws Exception {
    start("10.0.0.1", "fd00::/8");
    viewer("cam", "X-Forwarded-For", "198.51.100.1");
    viewer("cam", "X-Forwarded-For", "198.51.100.2");
    viewer("cam", "Forwarded", "for=198.51.100.3");
    Await.until("three viewers", () -> server.registry().channel("cam").subscriberCount() == 3);
    assertEquals(429, JdkWsClient.refusedStatus(live("cam"), "X-Forwarded-For", "198.51.100.4"),
        "spoofed forwarding headers do not bypass the per-address limit");
    assertEquals(429, JdkWsClient.refusedStatus(live("cam"), "Forwarded", "for=198.51.100.5"));
    assertTrue(!seen.isEmpty() && seen.stream().allMatch(s -> s.equals("VIEW 127.0.0.1")), seen.toString());
  }

  @Test
  void h3_onlyTheConfiguredForwardingHeaderIsBelieved() throws Exception {
    // Behind a proxy that writes X-Forwarded-For, a client's own Forwarded header passes through untouched.
    start("127.0.0.1");
    for (int i = 1; i <= 3; i++) {
      viewer("cam", "Forwarded", "for=203.0.113." + i);
    }
    Await.until("three viewers", () -> server.registry().channel("cam").subscriberCount() == 3);
    assertEquals(429, JdkWsClient.refusedStatus(live("cam"), "Forwarded", "for=203.0.113.4"),
        "a Forwarded header the proxies do not write is ignored: all three were charged to the proxy");
    assertTrue(seen.stream().allMatch(s -> s.equals("VIEW 127.0.0.1")), seen.toString());
    stop();
    clients.clear();
    seen.clear();

    start(TrustedProxies.Header.FORWARDED, "127.0.0.1");
    viewer("cam", "Forwarded", "for=\"[2001:db8::7]:4711\";proto=https");
    viewer("cam", "X-Forwarded-For", "198.51.100.1");
    Await.until("two viewers", () -> server.registry().channel("cam").subscriberCount() == 2);
    assertTrue(seen.contains("VIEW 2001:db8:0:0:0:0:0:7"), seen.toString());
    assertTrue(seen.contains("VIEW 127.0.0.1"), "reading Forwarded, X-Forwarded-For is ignored: " + seen);
  }
}
