package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.examples.ExampleServer.Options;
import org.junit.jupiter.api.Test;

class ExampleServerTest {

  @Test
  void defaultsAreLoopbackAnd8080() {
    assertEquals(new Options("127.0.0.1", 8080, false, null, null, java.util.List.of()), Options.parse());
  }

  @Test
  void readsPortHostAndHelp_inBothSpellings() {
    assertEquals(new Options("0.0.0.0", 9090, false, null, null, java.util.List.of()), Options.parse("--port", "9090", "--host", "0.0.0.0"));
    assertEquals(new Options("::1", 0, false, null, null, java.util.List.of()), Options.parse("--port=0", "--host=::1"));
    assertEquals("publisher-token-0123", Options.parse("--publish-token", "publisher-token-0123").publishToken());
    assertThrows(IllegalArgumentException.class, () -> Options.parse("--publish-token", "short"));
    Options secured = Options.parse("--ticket-key", "k".repeat(32), "--allow-origin", "https://a.example",
        "--allow-origin=https://b.example");
    assertEquals("k".repeat(32), secured.ticketKey());
    assertEquals(java.util.List.of("https://a.example", "https://b.example"), secured.allowedOrigins());
    assertThrows(IllegalArgumentException.class, () -> Options.parse("--ticket-key", "too-short"));
    Options clustered = Options.parse("--nats", "nats://127.0.0.1:4222", "--node-id", "edge-1");
    assertEquals("nats://127.0.0.1:4222", clustered.nats());
    assertEquals("edge-1", clustered.nodeId());
    assertThrows(IllegalArgumentException.class, () -> Options.parse("--nats", "127.0.0.1:4222"));
    assertThrows(IllegalArgumentException.class, () -> Options.parse("--node-id", "no spaces"));
    assertTrue(Options.parse("--help").help());
    assertTrue(Options.parse("-h").help());
  }

  @Test
  void readsTheLimitsAndTrustedProxies() {
    Options o = Options.parse("--max-connections-per-address", "16", "--max-viewers=500", "--max-frame-bytes",
        "1048576", "--trusted-proxy", "127.0.0.1", "--trusted-proxy=10.0.0.0/8, fd00::/8");
    assertEquals(new ExampleServer.Limits(16, 500, 1 << 20), o.limits());
    assertEquals(java.util.List.of("127.0.0.1", "10.0.0.0/8", "fd00::/8"), o.trustedProxies());
    assertEquals(ExampleServer.Limits.DEFAULTS, Options.parse().limits());
    assertEquals(java.util.List.of(), Options.parse().trustedProxies());
    assertEquals("--max-viewers needs a number from 1 to 2147483647, got '0'",
        assertThrows(IllegalArgumentException.class, () -> Options.parse("--max-viewers", "0")).getMessage());
    assertEquals("--max-frame-bytes needs a number from 1 to 268435456, got '1g'",
        assertThrows(IllegalArgumentException.class, () -> Options.parse("--max-frame-bytes=1g")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Options.parse("--max-connections-per-address", "-1"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.parse("--trusted-proxy", "proxy.local"))
        .getMessage().startsWith("--trusted-proxy needs IP addresses or CIDR ranges"));
    assertThrows(IllegalArgumentException.class, () -> Options.parse("--trusted-proxy", ","));
    assertTrue(ExampleServer.USAGE.contains("--trusted-proxy") && ExampleServer.USAGE.contains("--max-viewers")
        && ExampleServer.USAGE.contains("--max-frame-bytes") && ExampleServer.USAGE.contains("--max-connections-per-address"));
  }

  @Test
  void theLimitsReachTheServer() {
    Options o = Options.parse("--port", "0", "--max-viewers", "1", "--max-frame-bytes", "4096", "--trusted-proxy",
        "127.0.0.1");
    try (ExampleServer example = ExampleServer.start(o)) {
      assertEquals(4096, example.server().webSocket().maxFrameBytes());
      assertEquals(1, example.server().registry().channel("cam9").config().maxSubscribers());
    }
  }

  @Test
  void refusesBadInputWithAClearMessage() {
    assertEquals("--port needs a number from 0 to 65535, got 'http'",
        assertThrows(IllegalArgumentException.class, () -> Options.parse("--port", "http")).getMessage());
    assertEquals("--port needs a number from 0 to 65535, got '70000'",
        assertThrows(IllegalArgumentException.class, () -> Options.parse("--port=70000")).getMessage());
    assertEquals("--host needs a value",
        assertThrows(IllegalArgumentException.class, () -> Options.parse("--host")).getMessage());
    assertEquals("unknown option '--verbose'",
        assertThrows(IllegalArgumentException.class, () -> Options.parse("--verbose")).getMessage());
  }
}
