package io.framestream.transport.websocket.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.transport.websocket.WebSocketTransport;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** W7 in the handshake: the publisher slot is claimed before the upgrade and never leaks. */
class HandshakeConfiguratorTest {

  private final ChannelRegistry registry = ChannelRegistry.builder().build();
  private final WebSocketTransport transport = WebSocketTransport.builder(registry).build();
  private final HandshakeConfigurator publish =
      new HandshakeConfigurator(transport, HandshakeConfigurator.Role.PUBLISH);

  @AfterEach
  void close() {
    transport.close();
    registry.close();
  }

  /** Runs a publisher's handshake for a channel and returns the per-connection user properties. */
  private Map<String, Object> handshake(String channel) {
    ServerEndpointConfig sec = ServerEndpointConfig.Builder.create(PublishEndpoint.class, WebSocketTransport.PUBLISH_PATH)
        .build();
    Map<String, Object> props = sec.getUserProperties();
    URI uri = URI.create("ws://localhost/ws/publish/" + channel);
    HandshakeRequest request = (HandshakeRequest) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {HandshakeRequest.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "getHeaders":
              return Map.<String, List<String>>of();
            case "getParameterMap":
              return Map.<String, List<String>>of();
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
    transport.close();
    assertEquals(0, channel.publisherCount());
  }
}
