package io.framestream.transport.sse;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessDecision;
import io.framestream.edge.AccessGate;
import io.framestream.edge.Authorizer;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The settings both SSE hosts share: of accessGate and authorizer the last call wins; ranges are checked. */
class SseSettingsTest {

  private static final ChannelRegistry REGISTRY = ChannelRegistry.builder().build();

  @AfterAll
  static void close() {
    REGISTRY.close();
  }

  @Test
  void ofAccessGateAndAuthorizer_theLastCallWins_onBothHosts() {
    Authorizer auth = r -> AccessDecision.ALLOW;
    AccessGate gate = AccessGate.builder().build();
    try (SseHandler a = SseHandler.builder(REGISTRY).accessGate(gate).authorizer(auth).build();
        SseServlet b = SseServlet.builder(REGISTRY).accessGate(gate).authorizer(auth).build()) {
      assertSame(auth, a.endpoint().gate().authorizer());
      assertSame(auth, b.endpoint().gate().authorizer());
    }
    try (SseHandler a = SseHandler.builder(REGISTRY).authorizer(auth).accessGate(gate).build();
        SseServlet b = SseServlet.builder(REGISTRY).authorizer(auth).accessGate(gate).build()) {
      assertSame(gate, a.endpoint().gate());
      assertSame(gate, b.endpoint().gate());
    }
  }

  @Test
  void outOfRangeValuesAreRefusedByBothBuilders() {
    assertThrows(IllegalArgumentException.class, () -> SseServlet.builder(REGISTRY).heartbeat(Duration.ofMillis(99)));
    assertThrows(IllegalArgumentException.class, () -> SseHandler.builder(REGISTRY).retry(Duration.ofHours(2)));
    assertThrows(IllegalArgumentException.class, () -> SseServlet.builder(REGISTRY).writeQueueLimit(1024));
    assertThrows(NullPointerException.class, () -> SseHandler.builder(REGISTRY).accessGate(null));
  }
}
