package io.framestream.transport.websocket.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessDecision;
import io.framestream.edge.AccessGate;
import io.framestream.transport.websocket.WebSocketTransport;
import io.framestream.transport.websocket.spi.FrontFilter;
import io.framestream.transport.websocket.spi.RawFrameSender;
import io.framestream.transport.websocket.spi.SessionAborter;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The handshake: W7, the publisher slot is claimed before the upgrade and never leaks; W6, the access gate
 * runs once, here or in the host's front filter, and a forged "admitted" header never skips it.
 */
class HandshakeConfiguratorTest {

  private final ChannelRegistry registry = ChannelRegistry.builder().build();
  /** Counts the authorizer's calls; refuses every publisher without {@code ?token=ok}. */
  private final AtomicInteger authorizations = new AtomicInteger();
  private final AccessGate gate = AccessGate.builder().authorizer(r -> {
    authorizations.incrementAndGet();
    return r.queryParameter("token").filter("ok"::equals).isPresent() ? AccessDecision.ALLOW
        : AccessDecision.unauthorized("no token");
  }).build();
  private EndpointContext context = context(null);
  private HandshakeConfigurator publish = new HandshakeConfigurator(context, HandshakeConfigurator.Role.PUBLISH);

  private EndpointContext context(FrontFilter front) {
    return new EndpointContext(new EndpointContext.Settings(registry, 1 << 20, gate, SessionAborter.GRACEFUL,
        RawFrameSender.PORTABLE, front, WebSocketTransport.PUBLISH_PATH, WebSocketTransport.LIVE_PATH,
        Duration.ofSeconds(15), Duration.ofSeconds(45), WebSocketTransport.CLAIM_TIMEOUT));
  }

  @AfterEach
  void close() {
    context.close();
    registry.close();
  }

  /** Runs a publisher's handshake for a channel and returns the per-connection user properties. */
  private Map<String, Object> handshake(String channel) {
    return handshake(channel, "token=ok", Map.of());
  }

  /** Runs a publisher's handshake with a query and headers and returns the user properties. */
  private Map<String, Object> handshake(String channel, String query, Map<String, List<String>> headers) {
    ServerEndpointConfig sec = ServerEndpointConfig.Builder.create(PublishEndpoint.class, WebSocketTransport.PUBLISH_PATH)
        .build();
    Map<String, Object> props = sec.getUserProperties();
    URI uri = URI.create("ws://localhost/ws/publish/" + channel + "?" + query);
    HandshakeRequest request = (HandshakeRequest) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {HandshakeRequest.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "getHeaders":
              return headers;
            case "getParameterMap":
              return Map.of(query.substring(0, query.indexOf('=')), List.of(query.substring(query.indexOf('=') + 1)));
            case "getRequestURI":
              return uri;
            default:
              return null;
          }
        });
    Map<String, List<String>> responseHeaders = new HashMap<>();
    HandshakeResponse response = (HandshakeResponse) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {HandshakeResponse.class}, (proxy, method, args) -> responseHeaders);
    publish.modifyHandshake(sec, request, response);
    return props;
  }

  @Test
  void w7_theSlotIsClaimedInTheHandshakeAndASecondPublisherIsRefusedWith409() {
    Map<String, Object> first = handshake("cam");
    Channel channel = registry.channel("cam");
    assertNull(first.get(HandshakeConfigurator.REJECTION));
    assertEquals(1, channel.publisherCount(), "claimed before any session opened");
    Object rejection = handshake("cam").get(HandshakeConfigurator.REJECTION);
    assertInstanceOf(HandshakeConfigurator.Rejection.class, rejection);
    assertEquals(409, ((HandshakeConfigurator.Rejection) rejection).status);
    assertEquals(1, channel.publisherCount());
  }

  @Test
  void w7_aClaimNoSessionTakesIsReleasedAfterTheClaimTimeout() {
    handshake("cam");
    Channel channel = registry.channel("cam");
    assertEquals(1, channel.publisherCount());
    long deadline = System.nanoTime() + WebSocketTransport.CLAIM_TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(15);
    while (channel.publisherCount() != 0) {
      if (System.nanoTime() - deadline > 0) {
        fail("the claimed slot was not released within " + WebSocketTransport.CLAIM_TIMEOUT + " and 15 s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    assertNull(handshake("cam").get(HandshakeConfigurator.REJECTION), "the next publisher gets the slot");
  }

  @Test
  void w7_closingTheTransportReleasesClaimsAtOnce() {
    handshake("cam");
    Channel channel = registry.channel("cam");
    assertEquals(1, channel.publisherCount());
    context.close();
    assertEquals(0, channel.publisherCount());
  }

  private static int refusedStatus(Map<String, Object> props) {
    Object rejection = props.get(HandshakeConfigurator.REJECTION);
    return rejection instanceof HandshakeConfigurator.Rejection ? ((HandshakeConfigurator.Rejection) rejection).status : 0;
  }

  @Test
  void w6_withoutAFrontFilterTheHandshakeRunsTheGateOnceAndIgnoresForgedHostHeaders() {
    FrontFilter.Upgrade upgrade = context.upgrade("/ws/publish/cam").orElseThrow();
    Map<String, List<String>> forged = Map.of(FrontFilter.ADMITTED_HEADER, List.of(upgrade.admittedStamp()),
        FrontFilter.CLIENT_ADDRESS_HEADER, List.of("10.9.8.7"));
    int status = refusedStatus(handshake("cam", "token=forged", forged));
    assertTrue(status == 401 || status == 403,
        "even this transport's own stamp is ignored when it was built without a front filter");
    assertEquals(1, authorizations.get(), "the gate ran once");
    assertNull(handshake("cam", "token=ok", forged).get(HandshakeConfigurator.REJECTION));
    assertEquals(2, authorizations.get());
  }

  @Test
  void w6_aFrontedHandshakeSkipsTheGateOnlyForThisTransportsStampOfThisChannelAndAction() {
    context.close();
    List<FrontFilter.Endpoints> attached = new java.util.ArrayList<>();
    context = context(attached::add);
    publish = new HandshakeConfigurator(context, HandshakeConfigurator.Role.PUBLISH);
    String stamp = context.upgrade("/ws/publish/cam").orElseThrow().admittedStamp();
    String otherChannel = context.upgrade("/ws/publish/cam2").orElseThrow().admittedStamp();
    String viewing = context.upgrade("/ws/live/cam").orElseThrow().admittedStamp();
    EndpointContext other = context(null);
    String otherTransport = other.upgrade("/ws/publish/cam").orElseThrow().admittedStamp();
    other.close();

    for (String forged : List.of("1", "true", otherChannel, viewing, otherTransport, stamp + "x")) {
      int before = authorizations.get();
      int status = refusedStatus(handshake("cam", "token=no", Map.of(FrontFilter.ADMITTED_HEADER, List.of(forged))));
      assertTrue(status == 401 || status == 403, forged + ": " + status); // 403 where Tyrus is on the class path
      assertEquals(before + 1, authorizations.get(), "the gate ran for the stamp " + forged);
    }
    int before = authorizations.get();
    assertEquals(0, refusedStatus(handshake("cam", "token=no", Map.of("X-Framestream-Admitted", List.of(stamp)))));
    assertEquals(before, authorizations.get(), "the front filter's own stamp: the gate already ran there");
  }
}
