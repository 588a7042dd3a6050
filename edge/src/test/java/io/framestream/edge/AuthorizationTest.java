package io.framestream.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthorizationTest {

  private static final String PUBLISHER_TOKEN = "publisher-token-0123456789";

  static AccessRequest request(AccessRequest.Action action, String channel, Map<String, List<String>> headers,
      Map<String, List<String>> query) {
    return new AccessRequest(action, channel, "127.0.0.1", headers, query);
  }

  @Test
  void requestHeadersAreCaseInsensitiveAndCookiesAndTokensAreFound() {
    AccessRequest r = request(AccessRequest.Action.VIEW, "cam",
        Map.of("authorization", List.of("Bearer abc"), "COOKIE", List.of("a=1; session=xyz")),
        Map.of("ticket", List.of("t")));
    assertEquals("Bearer abc", r.header("Authorization").orElseThrow());
    assertEquals("xyz", r.cookie("session").orElseThrow());
    assertEquals("abc", r.bearerToken().orElseThrow());
    assertEquals("t", r.queryParameter("ticket").orElseThrow());
    AccessRequest q = request(AccessRequest.Action.VIEW, "cam", Map.of(), Map.of("token", List.of("fromQuery")));
    assertEquals("fromQuery", q.bearerToken().orElseThrow());
  }

  @Test
  void bearerTokens401WithoutOrWithAnUnknownToken403ForAnotherChannel() {
    BearerTokens tokens = BearerTokens.builder().token(PUBLISHER_TOKEN, "cam1").token("admin-token-0123456789").build();
    assertEquals(401, tokens.authorize(request(AccessRequest.Action.PUBLISH, "cam1", Map.of(), Map.of())).status());
    AccessDecision unknown = tokens.authorize(request(AccessRequest.Action.PUBLISH, "cam1",
        Map.of("Authorization", List.of("Bearer nope-nope-nope-nope")), Map.of()));
    assertEquals(401, unknown.status());
    assertFalse(unknown.reason().contains("nope"), "the token never appears in the reason");
    assertTrue(tokens.authorize(request(AccessRequest.Action.PUBLISH, "cam1",
        Map.of("Authorization", List.of("Bearer " + PUBLISHER_TOKEN)), Map.of())).allowed());
    assertEquals(403, tokens.authorize(request(AccessRequest.Action.PUBLISH, "cam2",
        Map.of(), Map.of("token", List.of(PUBLISHER_TOKEN)))).status());
    assertTrue(tokens.authorize(request(AccessRequest.Action.PUBLISH, "cam2",
        Map.of(), Map.of("token", List.of("admin-token-0123456789")))).allowed(), "an unrestricted token");
    assertThrows(IllegalArgumentException.class, () -> BearerTokens.of("short"));
  }

  @Test
  void ticketsValidExpiredWrongChannelTamperedAndMalformed() {
    Instant now = Instant.parse("2026-11-21T10:00:00Z");
    ViewerTickets tickets = ViewerTickets.withKey(new byte[32]).withClock(Clock.fixed(now, ZoneOffset.UTC));
    String ticket = tickets.issue("cam1", Duration.ofMinutes(5));
    assertTrue(tickets.verify(ticket, "cam1").allowed(), "valid");
    assertEquals(403, tickets.verify(ticket, "cam2").status(), "wrong channel");
    ViewerTickets later = tickets.withClock(Clock.fixed(now.plus(Duration.ofMinutes(5)), ZoneOffset.UTC));
    AccessDecision expired = later.verify(ticket, "cam1");
    assertEquals(401, expired.status());
    assertEquals("ticket expired", expired.reason());

    char[] chars = ticket.toCharArray();
    chars[2] = chars[2] == 'A' ? 'B' : 'A'; // change the payload: the signature no longer matches
    assertEquals("invalid ticket signature", tickets.verify(new String(chars), "cam1").reason());
    String otherKey = ViewerTickets.withKey(new byte[] {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
        31, 32}).withClock(Clock.fixed(now, ZoneOffset.UTC)).issue("cam1", Duration.ofMinutes(5));
    assertEquals(401, tickets.verify(otherKey, "cam1").status(), "signed with another key");
    for (String bad : List.of("", ".", "abc", "a.b.c", "!!!.???", "x".repeat(600), ticket + "x")) {
      assertEquals(401, tickets.verify(bad, "cam1").status(), "malformed: " + bad);
    }
  }

  @Test
  void ticketsAuthorizeViewingOnlyAndNeedTheQueryParameter() {
    ViewerTickets tickets = ViewerTickets.withRandomKey();
    String t = tickets.issue("cam", Duration.ofMinutes(1));
    assertTrue(tickets.authorize(request(AccessRequest.Action.VIEW, "cam", Map.of(), Map.of("ticket", List.of(t))))
        .allowed());
    assertEquals(401, tickets.authorize(request(AccessRequest.Action.VIEW, "cam", Map.of(), Map.of())).status());
    assertEquals(403, tickets.authorize(request(AccessRequest.Action.PUBLISH, "cam", Map.of(),
        Map.of("ticket", List.of(t)))).status());
    Authorizer both = Authorizer.perAction(BearerTokens.of(PUBLISHER_TOKEN), tickets);
    assertTrue(both.authorize(request(AccessRequest.Action.PUBLISH, "cam", Map.of(),
        Map.of("token", List.of(PUBLISHER_TOKEN)))).allowed());
    assertTrue(both.authorize(request(AccessRequest.Action.VIEW, "cam", Map.of(), Map.of("ticket", List.of(t))))
        .allowed());
    assertThrows(IllegalArgumentException.class, () -> tickets.issue("cam", Duration.ofDays(2)));
    assertThrows(IllegalArgumentException.class, () -> ViewerTickets.withKey(new byte[8]));
  }
}
