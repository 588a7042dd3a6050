package io.framestream.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;

/** Random and altered viewer tickets: refused with 401 or 403, never thrown, never passed. */
class TicketPropertiesTest {

  private static final ViewerTickets TICKETS = ViewerTickets.withKey(new byte[32]);

  @Provide
  Arbitrary<Integer> positions() {
    return Arbitraries.integers().between(0, 10_000);
  }

  @Property(tries = 1000)
  void garbageTicketsAreRefusedNeverThrown(@ForAll @StringLength(max = 700) String ticket) {
    AccessDecision d = TICKETS.verify(ticket, "cam");
    assertTrue(!d.allowed() && (d.status() == 401 || d.status() == 403));
  }

  @Property(tries = 500)
  void alteredTicketsNeverPass(@ForAll("positions") int position, @ForAll char replacement) {
    String ticket = TICKETS.issue("cam", Duration.ofMinutes(5));
    int at = position % ticket.length();
    if (ticket.charAt(at) == replacement) {
      return;
    }
    String altered = ticket.substring(0, at) + replacement + ticket.substring(at + 1);
    AccessDecision d = TICKETS.verify(altered, "cam");
    // Base64 padding bits can make two texts decode alike; anything that decodes to other bytes must fail.
    if (d.allowed()) {
      assertEquals(List.of(decode(ticket)), List.of(decode(altered)), "only an equivalent encoding may pass");
    }
  }

  private static String decode(String ticket) {
    int dot = ticket.indexOf('.');
    return Base64.getEncoder().encodeToString(Base64.getUrlDecoder().decode(ticket.substring(0, dot)))
        + Base64.getEncoder().encodeToString(Base64.getUrlDecoder().decode(ticket.substring(dot + 1)));
  }
}
