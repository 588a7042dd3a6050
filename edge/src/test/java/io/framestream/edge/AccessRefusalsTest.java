package io.framestream.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rule O3: the gate counts each refusal once, by cause; what it lets in is not counted. */
class AccessRefusalsTest {

  private static final Map<String, List<String>> NONE = Map.of();

  @Test
  void o3_gateCountsEachRefusalByCause() {
    AccessGate gate = AccessGate.builder().allowedOrigins(List.of("https://cams.example.com"))
        .authorizer(r -> switch (r.channel()) {
          case "open" -> AccessDecision.ALLOW;
          case "private" -> AccessDecision.forbidden("not yours");
          case "broken" -> throw new IllegalStateException("boom");
          case "silent" -> null;
          default -> AccessDecision.unauthorized("no token");
        }).build();
    AccessRefusals counts = gate.refusals();
    assertTrue(admit(gate, "open", NONE));
    assertTrue(admit(gate, "open", Map.of("Origin", List.of("https://cams.example.com"))));
    admit(gate, "open", Map.of("Origin", List.of("https://evil.example")));
    admit(gate, "any", NONE);
    admit(gate, "any", NONE);
    admit(gate, "private", NONE);
    admit(gate, "broken", NONE);
    admit(gate, "silent", NONE);
    gate.refusals().record(AccessRefusals.Cause.ADDRESS_LIMIT);
    assertEquals(1, counts.count(AccessRefusals.Cause.ORIGIN));
    assertEquals(2, counts.count(AccessRefusals.Cause.UNAUTHORIZED));
    assertEquals(3, counts.count(AccessRefusals.Cause.FORBIDDEN));
    assertEquals(1, counts.count(AccessRefusals.Cause.ADDRESS_LIMIT));
    assertEquals("AccessRefusals[origin=1, unauthorized=2, forbidden=3, address_limit=1]", counts.toString());
    assertEquals(0, gate.toBuilder().build().refusals().count(AccessRefusals.Cause.FORBIDDEN),
        "a derived gate counts on its own");
  }

  private static boolean admit(AccessGate gate, String channel, Map<String, List<String>> headers) {
    return gate.admit(AccessRequest.Action.VIEW, channel, "192.0.2.1", headers, NONE).allowed();
  }
}
