package io.framestream.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The gate's order and answers (rule W6), the error body (rule H4) and the per-address count. */
class AccessGateTest {

  private static final Map<String, List<String>> NONE = Map.of();

  @Test
  void w6_originOutsideTheAllowListIsRefusedBeforeTheAuthorizerRuns() {
    int[] calls = {0};
    AccessGate gate = AccessGate.builder().allowedOrigins(List.of("https://Cams.example.com"))
        .authorizer(r -> {
          calls[0]++;
          return AccessDecision.ALLOW;
        }).build();
    AccessGate.Verdict v = gate.admit(AccessRequest.Action.VIEW, "cam", "192.0.2.1",
        Map.of("origin", List.of("https://evil.example")), NONE);
    assertEquals(403, v.status());
    assertEquals("origin not allowed: 'https://evil.example'", v.message());
    assertEquals(0, calls[0]);
    assertTrue(gate.admit(AccessRequest.Action.VIEW, "cam", "192.0.2.1",
        Map.of("Origin", List.of("https://cams.example.com")), NONE).allowed());
    assertTrue(gate.admit(AccessRequest.Action.VIEW, "cam", "192.0.2.1", NONE, NONE).allowed(),
        "no Origin: not a browser page");
  }

  @Test
  void w6_authorizerRefusalsKeepTheirStatusAndAFailingAuthorizerRefuses() {
    AccessGate tokens = AccessGate.builder().authorizer(BearerTokens.of("s3cret-publish-token")).build();
    AccessGate.Verdict missing = tokens.admit(AccessRequest.Action.PUBLISH, "cam", "", NONE, NONE);
    assertEquals(401, missing.status());
    assertTrue(missing.challenges());
    assertTrue(tokens.admit(AccessRequest.Action.PUBLISH, "cam", "", NONE,
        Map.of("token", List.of("s3cret-publish-token"))).allowed());
    AccessGate broken = AccessGate.builder().authorizer(r -> {
      throw new IllegalStateException("boom");
    }).build();
    assertEquals(403, broken.admit(AccessRequest.Action.VIEW, "cam", "", NONE, NONE).status());
    assertEquals(403, AccessGate.builder().authorizer(r -> null).build()
        .admit(AccessRequest.Action.VIEW, "cam", "", NONE, NONE).status());
  }

  @Test
  void h3_clientAddressIsReadFromTheForwardingHeaderOnlyBehindATrustedProxy() {
    Map<String, List<String>> headers = Map.of("X-Forwarded-For", List.of("198.51.100.7"));
    AccessGate direct = AccessGate.open();
    assertEquals("192.0.2.1", direct.clientAddress("192.0.2.1", headers::get));
    AccessGate proxied = AccessGate.builder().trustedProxies(TrustedProxies.of("192.0.2.1")).build();
    assertEquals("198.51.100.7", proxied.clientAddress("192.0.2.1", headers::get));
    assertEquals("203.0.113.9", proxied.clientAddress("203.0.113.9", headers::get));
  }

  @Test
  void w6_aDerivedGateKeepsWhatItDoesNotChange() {
    AccessGate base = AccessGate.builder().allowedOrigins(List.of("https://a.example"))
        .trustedProxies(TrustedProxies.of("192.0.2.1")).build();
    AccessGate derived = base.toBuilder().authorizer(r -> AccessDecision.forbidden("no")).build();
    assertEquals(403, derived.admit(AccessRequest.Action.VIEW, "cam", "", NONE, NONE).status());
    assertTrue(base.admit(AccessRequest.Action.VIEW, "cam", "", NONE, NONE).allowed(), "the base is unchanged");
    assertFalse(derived.originAllowed("https://b.example"));
    assertTrue(derived.originAllowed("https://A.example"));
    assertEquals("198.51.100.7", derived.clientAddress("192.0.2.1",
        Map.of("X-Forwarded-For", List.of("198.51.100.7"))::get));
  }

  @Test
  void errorBodiesAreValidJsonWhateverTheMessage() {
    assertEquals("{\"error\":\"a \\\"b\\\" \\\\ \\n \\u0001\"}", ErrorBody.json("a \"b\" \\ \n \u0001"));
    assertEquals("{\"error\":\"caf\u00e9\"}", new String(ErrorBody.bytes("caf\u00e9"), StandardCharsets.UTF_8));
    assertEquals("{\"error\":\"\"}", ErrorBody.json(null));
    assertEquals("'a\\u000d\\u000aSet-Cookie: xy...'", ErrorBody.shown("a\r\nSet-Cookie: xyz", 17));
    assertEquals("''", ErrorBody.shown(null, 5));
  }

  @Test
  void queriesAreDecodedAndBounded() {
    assertEquals(Map.of("a", List.of("1", "2"), "b", List.of("x y"), "c", List.of("")),
        AccessRequest.parseQuery("a=1&b=x%20y&a=2&c&bad=%zz"));
    String many = "k=v&".repeat(1000);
    assertEquals(AccessRequest.MAX_QUERY_PARAMETERS, AccessRequest.parseQuery(many).get("k").size());
  }

  @Test
  void anAddressHoldsAtMostTheLimitAndReleasesFreeItsPlace() {
    AddressLimiter limiter = new AddressLimiter(2);
    assertTrue(limiter.tryAcquire("a"));
    assertTrue(limiter.tryAcquire("a"));
    assertFalse(limiter.tryAcquire("a"));
    assertTrue(limiter.tryAcquire("b"));
    limiter.release("a");
    assertEquals(1, limiter.held("a"));
    assertTrue(limiter.tryAcquire("a"));
    limiter.release("a");
    limiter.release("a");
    assertEquals(0, limiter.held("a"));
  }
}
