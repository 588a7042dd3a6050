package io.framestream.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {

  private static final List<String> NONE = List.of();
  private final TrustedProxies proxies = TrustedProxies.of("127.0.0.1", "10.0.0.0/8", "192.168.1.128/25", "fd00::/8");

  private String xff(String peer, String... values) {
    return proxies.clientAddress(peer, NONE, List.of(values));
  }

  private String fwd(String peer, String... values) {
    return proxies.readingHeader(TrustedProxies.Header.FORWARDED).clientAddress(peer, List.of(values), NONE);
  }

  @Test
  void cidrRangesMatchByPrefix() {
    assertTrue(proxies.contains("127.0.0.1"));
    assertFalse(proxies.contains("127.0.0.2"));
    assertTrue(proxies.contains("10.255.3.4"));
    assertFalse(proxies.contains("11.0.0.1"));
    assertTrue(proxies.contains("192.168.1.128"));
    assertTrue(proxies.contains("192.168.1.255"));
    assertFalse(proxies.contains("192.168.1.127"));
    assertTrue(proxies.contains("fd12:3456::1"));
    assertTrue(proxies.contains("FD00:0:0:0:0:0:0:1"));
    assertFalse(proxies.contains("fe80::1"));
    assertFalse(proxies.contains("::1"), "IPv6 loopback is not IPv4 loopback");
    assertTrue(TrustedProxies.of("0.0.0.0/0").contains("203.0.113.9"));
    assertTrue(TrustedProxies.of("::/0").contains("2001:db8::1"));
    assertFalse(TrustedProxies.of("::/0").contains("203.0.113.9"), "families never mix");
  }

  @Test
  void onlyIpLiteralsAreAcceptedAndNothingIsResolved() {
    for (String bad : List.of("localhost", "example.com", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.1.1.1", "1.2.3.4/33",
        "::1/129", "1.2.3.4/", "1.2.3.4/x", "", "fe80::1%eth0", "[::1]", ".1:2")) {
      assertThrows(IllegalArgumentException.class, () -> TrustedProxies.of(bad), bad);
    }
    assertFalse(proxies.contains("localhost"));
    assertFalse(proxies.contains(null));
    assertNull(TrustedProxies.parseAddress("my-proxy.internal"));
    assertTrue(TrustedProxies.none().isEmpty());
    assertTrue(TrustedProxies.of().isEmpty());
  }

  @Test
  void anUntrustedPeerIsTheClientWhateverItSays() {
    assertEquals("203.0.113.7", xff("203.0.113.7", "198.51.100.1"));
    assertEquals("203.0.113.7", fwd("203.0.113.7", "for=198.51.100.1"));
    assertEquals("203.0.113.7", TrustedProxies.none().clientAddress("203.0.113.7", List.of("for=1.2.3.4"),
        List.of("1.2.3.4")));
  }

  @Test
  void xForwardedForChainsGiveTheRightmostUntrustedAddress() {
    assertEquals("198.51.100.1", xff("127.0.0.1", "198.51.100.1"));
    assertEquals("198.51.100.1", xff("127.0.0.1", "6.6.6.6, 198.51.100.1"), "a spoofed entry on the left is ignored");
    assertEquals("198.51.100.1", xff("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3"), "inner proxies are skipped");
    assertEquals("198.51.100.1", xff("127.0.0.1", "6.6.6.6", "198.51.100.1,10.1.2.3"), "header lines form one list");
    assertEquals("10.9.9.9", xff("127.0.0.1", "10.9.9.9, 10.1.2.3"), "all trusted: the leftmost");
    assertEquals("198.51.100.1", xff("127.0.0.1", "198.51.100.1:5555"), "a port is dropped");
    assertEquals("2001:db8:0:0:0:0:0:1", xff("127.0.0.1", "[2001:db8::1]:443"));
    assertEquals("2001:db8:0:0:0:0:0:1", xff("127.0.0.1", "2001:db8::1"));
  }

  @Test
  void malformedXForwardedForFallsBackToThePeerOnlyWhenTheDecidingEntryIsMalformed() {
    assertEquals("127.0.0.1", xff("127.0.0.1", "not-an-address"));
    assertEquals("127.0.0.1", xff("127.0.0.1", "198.51.100.1,,10.1.2.3"));
    // What nginx's $proxy_add_x_forwarded_for makes of a client's own garbage: the proxy's entry decides.
    assertEquals("198.51.100.1", xff("127.0.0.1", ",,garbage, unknown, 198.51.100.1"));
    assertEquals("198.51.100.1", xff("127.0.0.1", "for=6.6.6.6;;", "198.51.100.1"));
    assertEquals("127.0.0.1", xff("127.0.0.1", ""));
    assertEquals("127.0.0.1", xff("127.0.0.1", "unknown, 10.1.2.3"));
    assertEquals("127.0.0.1", xff("127.0.0.1", "[2001:db8::1"));
  }

  @Test
  void forwardedIsParsedWithQuotesPortsIpv6AndOtherParameters() {
    assertEquals("192.0.2.60", fwd("127.0.0.1", "for=192.0.2.60;proto=http;by=203.0.113.43"));
    assertEquals("192.0.2.60", fwd("127.0.0.1", "For=\"192.0.2.60:4711\""));
    assertEquals("2001:db8:cafe:0:0:0:0:17", fwd("127.0.0.1", "for=\"[2001:db8:cafe::17]:4711\""));
    assertEquals("2001:db8:cafe:0:0:0:0:17", fwd("127.0.0.1", "for=\"[2001:db8:cafe::17]\""));
    assertEquals("198.51.100.17", fwd("127.0.0.1", "for=192.0.2.43, for=198.51.100.17;by=10.0.0.1"),
        "rightmost untrusted element");
    assertEquals("198.51.100.17", fwd("127.0.0.1", "for=192.0.2.43", "for=198.51.100.17, for=10.0.0.2"));
    assertEquals("192.0.2.43", fwd("127.0.0.1", "proto=https;host=example.com, for=192.0.2.43"),
        "elements without for are skipped");
  }

  @Test
  void h3_onlyTheConfiguredHeaderIsRead() {
    // A proxy that writes X-Forwarded-For passes a client's own Forwarded header through untouched.
    assertEquals("198.51.100.9", proxies.clientAddress("10.0.0.1", List.of("for=203.0.113.77"),
        List.of("198.51.100.9")), "X-Forwarded-For by default: a client's Forwarded header is ignored");
    assertEquals("10.0.0.1", proxies.clientAddress("10.0.0.1", List.of("for=203.0.113.77"), NONE),
        "no X-Forwarded-For: the proxy itself");
    TrustedProxies rfc7239 = proxies.readingHeader(TrustedProxies.Header.FORWARDED);
    assertEquals("203.0.113.77", rfc7239.clientAddress("10.0.0.1", List.of("for=203.0.113.77"),
        List.of("6.6.6.6")), "reading Forwarded: X-Forwarded-For is ignored");
    assertEquals(TrustedProxies.Header.FORWARDED, rfc7239.header());
    assertEquals(TrustedProxies.Header.X_FORWARDED_FOR, proxies.header());
  }

  @Test
  void obfuscatedUnknownOrMalformedForwardedFallsBackToThePeer() {
    assertEquals("127.0.0.1", fwd("127.0.0.1", "for=_hidden"));
    assertEquals("127.0.0.1", fwd("127.0.0.1", "for=unknown"));
    assertEquals("127.0.0.1", fwd("127.0.0.1", "for=\"_gazonk\", for=10.0.0.1"));
    assertEquals("127.0.0.1", fwd("127.0.0.1", "for=192.0.2.43:80"), "an unquoted port is not a token");
    assertEquals("127.0.0.1", fwd("127.0.0.1", "for=\"192.0.2.43"), "unterminated quote");
    assertEquals("127.0.0.1", fwd("127.0.0.1", "for"));
    assertEquals("127.0.0.1", fwd("127.0.0.1", "for=1.2.3.4 garbage"));
    assertEquals("127.0.0.1", fwd("127.0.0.1", "proto=http"), "no for= at all");
    assertEquals("127.0.0.1", fwd("127.0.0.1", "for=\"[2001:db8::1]x\""));
  }
}
