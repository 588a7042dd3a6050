package io.framestream.cluster.nats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Rule N10 of docs/contract.md, the bridge's wire format: round trips, and bad input from NATS gives only {@link Wire.WireException}. */
class WireTest {

  @Test
  void tokensKeepSafeCharactersAndEscapeDots() {
    assertEquals("cam-1_x", Wire.token("cam-1_x"));
    assertEquals("site=2Ecam", Wire.token("site.cam"));
    assertEquals("site.cam", Wire.channelOf("site=2Ecam"));
    assertEquals(null, Wire.channelOf("bad=2"));
    assertEquals(null, Wire.channelOf("a=2Fb"), "'/' is not in channel names");
    assertEquals(null, Wire.channelOf("a=2eb"), "only the canonical spelling");
  }

  @Property(tries = 300)
  void tokensRoundTripForEveryValidName(@ForAll("names") String name) {
    assertEquals(name, Wire.channelOf(Wire.token(name)));
  }

  @Property(tries = 300)
  void randomTokensDecodeToAValidNameOrNull(@ForAll String token) {
    String name = Wire.channelOf(token);
    if (name != null) {
      assertEquals(token, Wire.token(name));
    }
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withChars("abcXYZ019._-").ofMinLength(1).ofMaxLength(64);
  }

  @Test
  void frameMetadataRoundTrips() throws Exception {
    Frame f = Frame.builder(new byte[] {1, 2, 3}).contentType("video/mp4").kind(FrameKind.DELTA)
        .dimensions(640, 360).codec("avc1.42E01E").captureTime(Instant.parse("2026-11-21T10:00:00.123456Z"))
        .build();
    f = published(f);
    Wire.Meta m = Wire.parse(Wire.frameFields("a/1f", f));
    assertEquals(1, m.seq());
    assertEquals("a", m.node());
    assertEquals(FrameKind.DELTA, m.kind());
    Frame back = m.toFrame(new byte[] {1, 2, 3}, "nats:a/1f");
    assertEquals(f.captureTime(), back.captureTime());
    assertEquals(f.codec(), back.codec());
    assertEquals(f.width(), back.width());
    assertEquals("nats:a/1f", back.origin().orElseThrow());
  }

  @Test
  void envelopeRoundTripsAndRejectsForeignValues() throws Exception {
    Map<String, String> fields = Wire.statusFields("a/1", Wire.ONLINE);
    byte[] payload = "payload".getBytes(StandardCharsets.UTF_8);
    Wire.Entry e = Wire.unwrap(Wire.envelope(fields, payload, 0, payload.length));
    assertEquals(fields, e.fields());
    assertArrayEquals(payload, e.payload());
    assertThrows(Wire.WireException.class, () -> Wire.unwrap("hello".getBytes(StandardCharsets.UTF_8)));
    assertThrows(Wire.WireException.class, () -> Wire.unwrap(new byte[0]));
  }

  @Test
  void badHeadersAreRefusedWithAReason() {
    Map<String, String> h = new LinkedHashMap<>(Wire.frameFields("a/1", published(Frame.of("image/jpeg", new byte[1]))));
    h.put(Wire.CHUNK, "3/2");
    assertEquals("bad Fs-Chunk '3/2'", assertThrows(Wire.WireException.class, () -> Wire.parse(h)).getMessage());
    h.remove(Wire.CHUNK);
    h.put(Wire.KIND, "BOGUS");
    assertThrows(Wire.WireException.class, () -> Wire.parse(h));
    h.put(Wire.KIND, "KEY");
    h.put(Wire.WIDTH, "70000");
    assertThrows(Wire.WireException.class, () -> Wire.parse(h));
    assertThrows(Wire.WireException.class, () -> Wire.parse(Map.of()));
    h.put(Wire.WIDTH, "640");
    h.put(Wire.STREAM, "a\"b/1");
    assertThrows(Wire.WireException.class, () -> Wire.parse(h), "a stream id must be usable as an origin");
  }

  /** The frame as a channel publishes it, with sequence 1. */
  private static Frame published(Frame f) {
    io.framestream.core.Channel ch = io.framestream.core.Channel.create("wire");
    try {
      return ch.publish(f);
    } finally {
      ch.close();
    }
  }

  @Property(tries = 500)
  void randomHeadersNeverThrowAnythingElse(@ForAll("headers") Map<String, String> h) {
    try {
      Wire.Meta m = Wire.parse(h);
      if (!m.isStatus()) {
        m.toFrame(new byte[0], "nats:" + m.stream());
      }
    } catch (Wire.WireException expected) {
      // the documented refusal
    }
  }

  @Property(tries = 500)
  void randomEntriesNeverThrowAnythingElse(@ForAll byte[] value, @ForAll boolean withMagic) {
    byte[] v = value;
    if (withMagic) {
      v = new byte[value.length + 4];
      System.arraycopy("FS1\n".getBytes(StandardCharsets.US_ASCII), 0, v, 0, 4);
      System.arraycopy(value, 0, v, 4, value.length);
    }
    try {
      Wire.unwrap(v);
    } catch (Wire.WireException expected) {
      // the documented refusal
    }
  }

  @Provide
  Arbitrary<Map<String, String>> headers() {
    Arbitrary<String> names = Arbitraries.of(Wire.STREAM, Wire.SEQ, Wire.KIND, Wire.TYPE, Wire.CAPTURE, Wire.SENT,
        Wire.WIDTH, Wire.HEIGHT, Wire.CODEC, Wire.CHUNK, Wire.STATUS);
    Arbitrary<String> values = Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(40),
        Arbitraries.of("a/1", "1", "-1", "0", "KEY", "INIT", "DELTA", "image/jpeg", "online", "offline", "0/1",
            "1/1", "2026-11-21T10:00:00Z", "99999999999999999999", "avc1.42E01E", "x\"y"));
    return Arbitraries.maps(names, values).ofMaxSize(11);
  }
}
