package io.framestream.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessDecision;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import io.framestream.edge.TrustedProxies;
import io.framestream.transport.websocket.spi.FrontFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The transport's access settings (rule W6) and what a host's front filter learns of it. */
class WebSocketTransportTest {

  private static final Map<String, List<String>> NONE = Map.of();
  private final ChannelRegistry registry = ChannelRegistry.builder().build();

  @AfterEach
  void close() {
    registry.close();
  }

  private static int status(AccessGate gate) {
    return gate.admit(AccessRequest.Action.VIEW, "cam", "", NONE, NONE).status();
  }

  @Test
  void w6_accessGateReplacesTheShorthandsAndTheShorthandsAfterItChangeOnlyTheirPart() {
    AccessGate gate = AccessGate.builder().trustedProxies(TrustedProxies.of("192.0.2.1"))
        .allowedOrigins(List.of("https://a.example")).build();
    try (WebSocketTransport t = WebSocketTransport.builder(registry).accessGate(gate).build()) {
      assertSame(gate, t.accessGate(), "the gate given, not a copy");
    }
    try (WebSocketTransport t = WebSocketTransport.builder(registry)
        .authorizer(r -> AccessDecision.forbidden("before")).accessGate(gate).build()) {
      assertEquals(200, status(t.accessGate()), "accessGate replaced the authorizer set before it");
    }
    try (WebSocketTransport t = WebSocketTransport.builder(registry).accessGate(gate)
        .authorizer(r -> AccessDecision.forbidden("after")).allowedOrigins(List.of("https://b.example")).build()) {
      assertEquals(403, status(t.accessGate()));
      assertTrue(t.accessGate().originAllowed("https://a.example"));
      assertTrue(t.accessGate().originAllowed("https://b.example"));
      assertFalse(t.accessGate().originAllowed("https://c.example"));
      assertEquals(gate.trustedProxies(), t.accessGate().trustedProxies(), "the gate's proxies are kept");
    }
    try (WebSocketTransport t = WebSocketTransport.builder(registry).build()) {
      assertSame(AccessGate.open(), t.accessGate());
    }
  }

  @Test
  void aFrontFilterIsAttachedOnceAndSeesTheEndpointsPathsAndLimits() {
    List<FrontFilter.Endpoints> attached = new ArrayList<>();
    try (WebSocketTransport t = WebSocketTransport.builder(registry).maxFrameBytes(3000)
        .frontFilter(attached::add).build()) {
      assertEquals(1, attached.size());
      FrontFilter.Endpoints endpoints = attached.get(0);
      FrontFilter.Upgrade publish = endpoints.upgrade("/ws/publish/cam").orElseThrow();
      assertEquals(AccessRequest.Action.PUBLISH, publish.action());
      assertEquals("cam", publish.channel());
      assertEquals(3000, publish.maxBinaryMessageBytes());
      assertTrue(publish.maxTextMessageBytes() > 4000, "a data URI of 3000 bytes");
      assertEquals(publish.maxTextMessageBytes(), endpoints.largestMessageBytes());
      FrontFilter.Upgrade view = endpoints.upgrade("/ws/live/cam").orElseThrow();
      assertEquals(AccessRequest.Action.VIEW, view.action());
      assertEquals(4096, view.maxBinaryMessageBytes());
      assertTrue(endpoints.upgrade("/ws/live/bad!name").isEmpty(), "refused with 400 before access");
      assertTrue(endpoints.serves("/ws/live/bad!name"));
      assertTrue(endpoints.upgrade("/api/channels").isEmpty());
      assertFalse(endpoints.serves("/api/channels"));
      assertFalse(publish.admittedStamp().equals(view.admittedStamp()), "a stamp names its action");
    }
  }
}
