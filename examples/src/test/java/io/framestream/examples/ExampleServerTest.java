package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.examples.Options.Limits;
import io.framestream.examples.Options.SourceKind;
import io.framestream.examples.Options.SourceSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExampleServerTest {

  @Test
  void defaultsAreLoopbackAnd8080() {
    assertEquals(Options.of("127.0.0.1", 8080, null), Options.parse());
    assertEquals(Options.of("127.0.0.1", 8080, null), Options.read(new String[0], Map.of()));
  }

  @Test
  void readsPortHostAndHelp_inBothSpellings() {
    assertEquals(Options.of("0.0.0.0", 9090, null), Options.parse("--port", "9090", "--host", "0.0.0.0"));
    assertEquals(Options.of("::1", 0, null), Options.parse("--port=0", "--host=::1"));
    assertEquals("publisher-token-0123", Options.parse("--publish-token", "publisher-token-0123").publishToken());
    assertThrows(IllegalArgumentException.class, () -> Options.parse("--publish-token", "short"));
    Options secured = Options.parse("--ticket-key", "k".repeat(32), "--allow-origin", "https://a.example",
        "--allow-origin=https://b.example");
    assertEquals("k".repeat(32), secured.ticketKey());
    assertEquals(List.of("https://a.example", "https://b.example"), secured.allowedOrigins());
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
        "1048576", "--max-channels", "20", "--trusted-proxy", "127.0.0.1", "--trusted-proxy=10.0.0.0/8, fd00::/8");
    assertEquals(new Limits(16, 500, 1 << 20, 20), o.limits());
    assertEquals(List.of("127.0.0.1", "10.0.0.0/8", "fd00::/8"), o.trustedProxies());
    assertEquals(Limits.DEFAULTS, Options.parse().limits());
    assertEquals(List.of(), Options.parse().trustedProxies());
    assertEquals("--max-viewers needs a number from 1 to 2147483647, got '0'",
        assertThrows(IllegalArgumentException.class, () -> Options.parse("--max-viewers", "0")).getMessage());
    assertEquals("--max-frame-bytes needs a number from 1 to 268435456, got '1g'",
        assertThrows(IllegalArgumentException.class, () -> Options.parse("--max-frame-bytes=1g")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Options.parse("--max-connections-per-address", "-1"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.parse("--trusted-proxy", "proxy.local"))
        .getMessage().startsWith("--trusted-proxy needs IP addresses or CIDR ranges"));
    assertThrows(IllegalArgumentException.class, () -> Options.parse("--trusted-proxy", ","));
  }

  @Test
  void everySettingIsAlsoAnEnvironmentVariable_andTheFlagBeatsIt() {
    Map<String, String> env = Map.ofEntries(
        Map.entry("FRAMESTREAM_PORT", "0"),
        Map.entry("FRAMESTREAM_HOST", "0.0.0.0"),
        Map.entry("FRAMESTREAM_PUBLISH_TOKEN", "publisher-token-0123"),
        Map.entry("FRAMESTREAM_TICKET_KEY", "k".repeat(32)),
        Map.entry("FRAMESTREAM_ALLOW_ORIGINS", "https://a.example, https://b.example"),
        Map.entry("FRAMESTREAM_TRUSTED_PROXIES", "127.0.0.1,10.0.0.0/8"),
        Map.entry("FRAMESTREAM_MAX_CONNECTIONS_PER_ADDRESS", "16"),
        Map.entry("FRAMESTREAM_MAX_VIEWERS", "500"),
        Map.entry("FRAMESTREAM_MAX_FRAME_BYTES", "4096"),
        Map.entry("FRAMESTREAM_MAX_CHANNELS", "20"),
        Map.entry("FRAMESTREAM_NATS", "nats://a:4222,nats://b:4222"),
        Map.entry("FRAMESTREAM_NODE_ID", "edge-1"),
        Map.entry("FRAMESTREAM_MJPEG", "cam1=http://camera/video.mjpg;cam2=https://other/x.mjpg"),
        Map.entry("FRAMESTREAM_MJPEG_COMMAND", "cam3=ffmpeg -nostdin -i rtsp://c/s -f mjpeg pipe:1"),
        Map.entry("FRAMESTREAM_FMP4", "film=/srv/film.mp4"),
        Map.entry("FRAMESTREAM_FMP4_COMMAND", "live=ffmpeg -re -i in.mp4 -f mp4 pipe:1"),
        Map.entry("FRAMESTREAM_DEMO", "false"));
    Options o = Options.read(new String[0], env);
    assertEquals(0, o.port());
    assertEquals("0.0.0.0", o.host());
    assertEquals("publisher-token-0123", o.publishToken());
    assertEquals("k".repeat(32), o.ticketKey());
    assertEquals(List.of("https://a.example", "https://b.example"), o.allowedOrigins());
    assertEquals(List.of("127.0.0.1", "10.0.0.0/8"), o.trustedProxies());
    assertEquals(new Limits(16, 500, 4096, 20), o.limits());
    assertEquals("nats://a:4222,nats://b:4222", o.nats());
    assertEquals("edge-1", o.nodeId());
    assertFalse(o.demo());
    assertEquals(List.of(new SourceSpec(SourceKind.MJPEG_URL, "cam1", "http://camera/video.mjpg"),
        new SourceSpec(SourceKind.MJPEG_URL, "cam2", "https://other/x.mjpg"),
        new SourceSpec(SourceKind.MJPEG_COMMAND, "cam3", "ffmpeg -nostdin -i rtsp://c/s -f mjpeg pipe:1"),
        new SourceSpec(SourceKind.FMP4_FILE, "film", "/srv/film.mp4"),
        new SourceSpec(SourceKind.FMP4_COMMAND, "live", "ffmpeg -re -i in.mp4 -f mp4 pipe:1")), o.sources());
    // Each variable the table names is read: none is left out.
    for (Setting s : Setting.values()) {
      assertTrue(s == Setting.HELP || env.containsKey(s.variable), s::name);
    }

    Options flags = Options.read(new String[] {"--port", "9090", "--allow-origin", "https://c.example",
        "--demo=true", "--mjpeg", "cam9=http://camera/9.mjpg"}, env);
    assertEquals(9090, flags.port(), "the flag beats FRAMESTREAM_PORT");
    assertEquals(List.of("https://c.example"), flags.allowedOrigins(), "a repeatable flag replaces the whole list");
    assertTrue(flags.demo());
    assertEquals(new SourceSpec(SourceKind.MJPEG_URL, "cam9", "http://camera/9.mjpg"), flags.sources().get(0));
    assertEquals("0.0.0.0", flags.host(), "variables without a flag still count");
  }

  @Test
  void aBadVariableIsNamedByItsVariable_aBadFlagByItsFlag() {
    assertEquals("FRAMESTREAM_PORT needs a number from 0 to 65535, got 'http'", assertThrows(
        IllegalArgumentException.class, () -> Options.read(new String[0], Map.of("FRAMESTREAM_PORT", "http")))
        .getMessage());
    assertEquals("--port needs a number from 0 to 65535, got '70000'", assertThrows(IllegalArgumentException.class,
        () -> Options.read(new String[] {"--port=70000"}, Map.of("FRAMESTREAM_PORT", "http"))).getMessage());
    assertEquals("FRAMESTREAM_DEMO needs true or false, got 'maybe'", assertThrows(IllegalArgumentException.class,
        () -> Options.read(new String[0], Map.of("FRAMESTREAM_DEMO", "maybe"))).getMessage());
    assertEquals(8080, Options.read(new String[0], Map.of("FRAMESTREAM_PORT", " ")).port(), "blank means unset");
  }

  @Test
  void sourcesNeedANameAndOneSourcePerChannel() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.parse("--mjpeg", "http://camera/x"))
        .getMessage().startsWith("--mjpeg needs NAME=URL"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.parse("--mjpeg", "cam=rtsp://camera/x"))
        .getMessage().contains("--mjpeg-command"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.parse("--fmp4", "demo=/srv/a.mp4"))
        .getMessage().contains("--demo false"));
    assertEquals("demo", Options.parse("--demo", "false", "--fmp4", "demo=/srv/a.mp4").sources().get(0).channel());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Options.parse("--fmp4", "a=/x.mp4", "--fmp4-command", "a=cat /x.mp4")).getMessage()
        .contains("second source"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.parse("--fmp4", "bad name=/x.mp4"))
        .getMessage().contains("invalid channel name"));
  }

  @Test
  void helpNamesEveryFlagWithItsVariableAndDefault_andTheHeap() {
    String usage = Setting.usage();
    for (Setting s : Setting.values()) {
      assertTrue(usage.contains(s.flag), s.flag);
      if (s.variable != null) {
        assertTrue(usage.contains(s.flag + " " + s.metavar + "   (env " + s.variable + ")"), s.flag);
        assertTrue(usage.contains("default: " + s.defaultText), s.flag);
      }
    }
    assertTrue(usage.contains(Setting.RECOMMENDED_HEAP));
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
    assertEquals("unknown option '--verbose'; --help lists them",
        assertThrows(IllegalArgumentException.class, () -> Options.parse("--verbose")).getMessage());
  }
}
