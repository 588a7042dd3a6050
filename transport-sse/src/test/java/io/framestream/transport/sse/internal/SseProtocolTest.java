package io.framestream.transport.sse.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameEncoding;
import io.framestream.core.FrameKind;
import io.framestream.core.InitMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Event encoding, request validation and client-side decoding: the host-agnostic protocol pieces. */
class SseProtocolTest {

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void dataEvents_haveIdTypeAndOneDataLine_andAreCachedOnTheFrame() {
    try (Channel c = Channel.create("enc")) {
      byte[] p = {(byte) 0xFF, (byte) 0xD8, 1, 2, 3};
      Frame f = c.publish(Frame.of("image/jpeg", p));
      String b64 = Base64.getEncoder().encodeToString(p);
      assertEquals("id: 1\nevent: data\ndata: data:image/jpeg;base64," + b64 + "\n\n",
          text(SseEvents.eventOf(f, "enc", SseFormat.DATA_URI)));
      assertEquals("id: 1\nevent: data\ndata: " + b64 + "\n\n", text(SseEvents.eventOf(f, "enc", SseFormat.BASE64)));
      assertSame(SseEvents.eventOf(f, "enc", SseFormat.DATA_URI), SseEvents.eventOf(f, "enc", SseFormat.DATA_URI));
      assertFalse(f.isEncoded(FrameEncoding.BASE64) || f.isEncoded(FrameEncoding.DATA_URI),
          "the events encode the base64 straight into their own arrays, with no text in between");
    }
  }

  @Test
  void dataEvents_ofBothFormats_encodeTheBase64Once_andTheSecondCopiesItFromTheFirst() {
    for (int size : new int[] {0, 1, 2, 3, 50_000, 50_001}) {
      byte[] p = new byte[size];
      new java.util.Random(size).nextBytes(p);
      String b64 = Base64.getEncoder().encodeToString(p);
      for (boolean dataUriFirst : new boolean[] {true, false}) {
        try (Channel c = Channel.create("both")) {
          Frame f = c.publish(Frame.of("image/jpeg; q=0.8", p));
          SseFormat first = dataUriFirst ? SseFormat.DATA_URI : SseFormat.BASE64;
          SseFormat second = dataUriFirst ? SseFormat.BASE64 : SseFormat.DATA_URI;
          SseEvents.eventOf(f, "both", first);
          SseEvents.eventOf(f, "both", second);
          assertEquals("id: 1\nevent: data\ndata: data:image/jpeg; q=0.8;base64," + b64 + "\n\n",
              text(SseEvents.eventOf(f, "both", SseFormat.DATA_URI)), "size " + size);
          assertEquals("id: 1\nevent: data\ndata: " + b64 + "\n\n", text(SseEvents.eventOf(f, "both", SseFormat.BASE64)),
              "size " + size);
        }
      }
    }
  }

  @Test
  void initFrames_becomeInitEventsWithTheSegment() throws Exception {
    try (Channel c = Channel.create("v")) {
      Frame init = c.publish(Frame.builder(new byte[] {9, 8}).contentType("video/mp4").kind(FrameKind.INIT)
          .codec("avc1.64001F").build());
      String ev = text(SseEvents.eventOf(init, "v", SseFormat.BASE64));
      assertTrue(ev.startsWith("id: 1\nevent: init\ndata: {"), ev);
      assertTrue(ev.endsWith("}\n\n"), ev);
      assertTrue(ev.contains("\"initSegment\":\"CQg=\""), ev);
      assertTrue(ev.contains("\"codec\":\"avc1.64001F\""), ev);
    }
  }

  @Test
  void event_splitsMultiLineDataIntoSeveralDataLines_andTheParserJoinsThemBack() {
    byte[] ev = SseEvents.event("7", "x", "a\nb\r\nc\rd");
    assertEquals("id: 7\nevent: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n", text(ev));
    List<String> seen = new ArrayList<>();
    new EventStreamParser((t, d, id) -> seen.add(d), 100, 100).feed(ev, 0, ev.length);
    assertEquals(List.of("a\nb\nc\nd"), seen);
  }

  @Test
  void retryAndHeartbeat() {
    assertEquals("retry: 2500\n\n", text(SseEvents.retry(Duration.ofMillis(2500))));
    assertEquals(": hb\n\n", text(SseEvents.HEARTBEAT));
  }

  @Test
  void lastEventId_parsesNonNegativeDecimalsOnly() {
    assertEquals(OptionalLong.of(42), SseEvents.parseLastEventId(" 42 "));
    assertEquals(OptionalLong.of(0), SseEvents.parseLastEventId("0"));
    for (String bad : new String[] {null, "", " ", "-1", "4x", "1e3", "99999999999999999999", "０"}) {
      assertEquals(OptionalLong.empty(), SseEvents.parseLastEventId(bad), String.valueOf(bad));
    }
  }

  @Test
  void skipped_countsTheFramesBetweenTheLastSeenAndTheNewest() {
    assertEquals(5, SseEvents.skipped(4, 10));
    assertEquals(0, SseEvents.skipped(9, 10));
    assertEquals(0, SseEvents.skipped(10, 10));
    assertEquals(0, SseEvents.skipped(50, 10)); // channel recreated: counts again from 1
    assertEquals(0, SseEvents.skipped(0, 0));
  }

  @Test
  void request_validation() {
    Map<String, String> q = Map.of("format", "BASE64", "lastEventId", "12");
    SseRequest r = SseRequest.parse("GET", "/cam-1.a_b", q::get, null);
    assertEquals("cam-1.a_b", r.channel());
    assertEquals(SseFormat.BASE64, r.format());
    assertEquals(OptionalLong.of(12), r.lastEventId());
    assertEquals(OptionalLong.of(3), SseRequest.parse("GET", "/c", q::get, "3").lastEventId(), "header wins");
    assertEquals(SseFormat.DATA_URI, SseRequest.parse("GET", "/c", n -> null, null).format());

    assertEquals(405, assertThrows(SseRequest.Rejection.class,
        () -> SseRequest.parse("POST", "/c", n -> null, null)).status());
    assertEquals(404, assertThrows(SseRequest.Rejection.class,
        () -> SseRequest.parse("GET", null, n -> null, null)).status());
    assertEquals(404, assertThrows(SseRequest.Rejection.class,
        () -> SseRequest.parse("GET", "/", n -> null, null)).status());
    SseRequest.Rejection bad = assertThrows(SseRequest.Rejection.class,
        () -> SseRequest.parse("GET", "/a b\u0000", n -> null, null));
    assertEquals(400, bad.status());
    assertTrue(text(bad.body()).startsWith("{\"error\":\"invalid channel name 'a b\\\\u0000'"), text(bad.body()));
    assertEquals(400, assertThrows(SseRequest.Rejection.class,
        () -> SseRequest.parse("GET", "/c", n -> n.equals("format") ? "gif" : null, null)).status());
  }

  @Test
  void decoder_dataUriGivesTypeAndBytes_base64TakesTheTypeFromInit() {
    SseFrameDecoder d = new SseFrameDecoder();
    Frame a = d.decode("data", "data:image/png;base64,AQID").orElseThrow();
    assertEquals("image/png", a.contentType());
    assertArrayEquals(new byte[] {1, 2, 3}, a.copyPayload());
    Frame raw = d.decode("data", "AQID").orElseThrow();
    assertEquals("application/octet-stream", raw.contentType());

    assertTrue(d.decode("init", InitMessage.of("c", Frame.builder(new byte[1]).contentType("image/webp")
        .dimensions(10, 20).build()).toJson()).isEmpty());
    Frame b = d.decode("data", "BAU=").orElseThrow();
    assertEquals("image/webp", b.contentType());
    assertEquals(10, b.width().orElse(0));
    assertEquals(FrameKind.KEY, b.kind());
    assertTrue(d.decode("message", "whatever").isEmpty());
  }

  @Test
  void decoder_initWithSegmentGivesAnInitFrame() {
    SseFrameDecoder d = new SseFrameDecoder();
    Frame init = d.decode("init", "{\"contentType\":\"video/mp4\",\"codec\":\"avc1.42E01E\",\"initSegment\":\"AAE=\"}")
        .orElseThrow();
    assertEquals(FrameKind.INIT, init.kind());
    assertArrayEquals(new byte[] {0, 1}, init.copyPayload());
    assertEquals("avc1.42E01E", init.codec().orElse(""));
  }

  @Test
  void decoder_malformedInputIsAFrameCodecException() {
    SseFrameDecoder d = new SseFrameDecoder();
    for (String[] ev : new String[][] {
        {"init", "{not json"}, {"init", "[1,2]"}, {"data", "data:image/png,AQID"}, {"data", "data:image/png;base64"},
        {"data", "data:im age/png;base64,AQID"}, {"data", "!!!"}, {"init", "{\"initSegment\":\"%%\"}"}}) {
      assertThrows(FrameCodecException.class, () -> d.decode(ev[0], ev[1]), String.join(" ", ev));
    }
    // Out-of-range metadata is ignored, not fatal.
    d.decode("init", "{\"contentType\":\"image/jpeg\",\"width\":-5,\"height\":99999999,\"codec\":\"bad codec\"}");
    Frame f = d.decode("data", "AQ==").orElseThrow();
    assertTrue(f.width().isEmpty());
    assertTrue(f.codec().isEmpty());
  }
}
