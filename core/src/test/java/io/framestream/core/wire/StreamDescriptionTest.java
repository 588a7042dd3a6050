package io.framestream.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.InitMessage;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The one codec of a stream's description: written by servers and publishers, checked by readers (rule L1). */
class StreamDescriptionTest {

  private static StreamDescription parse(String json) {
    return StreamDescription.fromInit(json);
  }

  @Test
  void aServersOwnInitMessageReadsBackWhole() {
    Frame f = Frame.builder(new byte[1]).contentType("video/mp4").dimensions(640, 360).codec("avc1.42E01E").build();
    StreamDescription d = parse(InitMessage.of("cam", f).toJson());
    assertEquals("video/mp4", d.contentType());
    assertEquals(640, d.width());
    assertEquals(360, d.height());
    assertEquals("avc1.42E01E", d.codec());
    assertEquals("init", d.messageType());
    assertEquals(List.of(), d.rejected());
    Frame described = d.describe(Frame.builder(new byte[1])).build();
    assertEquals(640, described.width().orElse(0));
    assertEquals("avc1.42E01E", described.codec().orElse(""));
  }

  @Test
  void writesTheMembersInTheWireOrder() {
    Frame f = Frame.builder(new byte[1]).contentType("image/jpeg").dimensions(640, 360).codec("mjpeg").build();
    assertEquals("{\"type\":\"meta\",\"contentType\":\"image/jpeg\",\"width\":640,\"height\":360,\"codec\":\"mjpeg\"}",
        StreamDescription.of(f).toJson("meta"));
    assertEquals("{\"contentType\":\"text/plain; charset=\\\"a\\\\b\\\"\"}",
        StreamDescription.of(Frame.of("text/plain; charset=\"a\\b\"", new byte[1])).toJson());
    assertEquals("{}", StreamDescription.NONE.toJson());
  }

  @Test
  void l1_hostileValuesAreDroppedAndListed_neverThrown() {
    StreamDescription d = parse("{\"type\":\"init\",\"contentType\":\"image/jpeg\\u0000\\r\\nX-Evil: 1\","
        + "\"width\":-5,\"height\":1e12,\"codec\":\"avc1\\u0007\\n\"}");
    assertEquals("application/octet-stream", d.contentType());
    assertEquals(Optional.empty(), d.declaredContentType());
    assertEquals(0, d.width());
    assertEquals(0, d.height());
    assertEquals("", d.codec());
    assertEquals(4, d.rejected().size(), d.rejected().toString());
    assertTrue(d.rejected().toString().contains("\\u0000"), "control characters are escaped: " + d.rejected());
    assertTrue(d.rejected().stream().noneMatch(r -> r.chars().anyMatch(c -> c < 0x20)), d.rejected().toString());
    Frame plain = d.describe(Frame.builder(new byte[1])).build();
    assertTrue(plain.width().isEmpty() && plain.codec().isEmpty());

    // Wrong JSON types, values past an int, an enormous string.
    StreamDescription e = parse("{\"contentType\":7,\"width\":4294967297,\"height\":\"480\",\"codec\":[\"a\"]}");
    assertEquals(4, e.rejected().size(), e.rejected().toString());
    StreamDescription big = parse("{\"codec\":\"" + "a".repeat(100_000) + "\"}");
    assertEquals(1, big.rejected().size());
    assertTrue(big.rejected().get(0).length() < 80, "quoted values are shortened");
    StreamDescription unicode = parse("{\"contentType\":\"image/j\u00e9pg\"}");
    assertEquals(List.of("contentType \"image/j\\u00e9pg\""), unicode.rejected());
  }

  @Test
  void l1_widthAndHeightGoTogether() {
    StreamDescription half = parse("{\"contentType\":\"image/png\",\"width\":640,\"height\":0}");
    assertEquals("image/png", half.contentType());
    assertEquals(0, half.width(), "dimensions go together");
    assertEquals(List.of("height 0"), half.rejected());
    StreamDescription alone = parse("{\"width\":640}");
    assertEquals(0, alone.width());
    assertEquals(List.of("width 640 without height"), alone.rejected());
    assertEquals(List.of("height 480 without width"), parse("{\"height\":480,\"width\":null}").rejected());
    assertEquals(List.of("width 1.0"), parse("{\"width\":1.0,\"height\":1}").rejected());
    StreamDescription max = parse("{\"width\":65535,\"height\":1}");
    assertEquals(65_535, max.width());
    assertEquals(List.of("width 65536"), parse("{\"width\":65536,\"height\":1}").rejected());
  }

  @Test
  void l1_textThatIsNotAnObjectDescribesNothing_andSaysWhy() {
    assertSame(StreamDescription.NONE, StreamDescription.fromInit(null));
    for (String bad : List.of("[1,2]", "{\"type\":\"init\"", "{\"width\":99999999999999999999}",
        "{\"a\":[[[[[1]]]]]}", "{\"codec\":\"a\",\"codec\":\"b\"}")) {
      StreamDescription d = StreamDescription.fromInit(bad);
      assertEquals("application/octet-stream", d.contentType(), bad);
      assertEquals(1, d.rejected().size(), bad);
      assertTrue(d.rejected().get(0).startsWith("malformed JSON"), d.rejected().get(0));
      assertThrows(FrameCodecException.class, () -> StreamDescription.parse(bad), bad);
    }
    StreamDescription d = parse("{\"type\":\"init\",\"width\":null,\"contentType\":null,\"extra\":{\"x\":[1e400]}}");
    assertEquals("application/octet-stream", d.contentType());
    assertEquals(List.of(), d.rejected(), "null is absent; unknown members are ignored");
  }

  @Test
  void aPublishersMetaMessageKeepsItsType() {
    StreamDescription d = StreamDescription.parse("{\"type\":\"meta\",\"contentType\":\"Image/JPEG\"}");
    assertEquals("meta", d.messageType());
    assertEquals(Optional.of("image/jpeg"), d.declaredContentType(), "normalised");
    assertEquals("", StreamDescription.parse("{\"type\":5}").messageType());
  }

  @Provide
  Arbitrary<Frame> frames() {
    Arbitrary<String> types = Arbitraries.of("image/jpeg", "video/mp4", "application/octet-stream",
        "text/plain; charset=\"utf-8\"", "image/x-a+b");
    Arbitrary<Integer> dims = Arbitraries.integers().between(0, 65_535);
    Arbitrary<String> codecs = Arbitraries.strings().withCharRange('!', '~').ofMinLength(0).ofMaxLength(128)
        .filter(c -> c.indexOf('"') < 0 && c.indexOf('\'') < 0 && c.indexOf(';') < 0);
    return Combinators.combine(types, dims, dims, codecs).as((t, w, h, c) -> {
      Frame.Builder b = Frame.builder(new byte[1]).contentType(t);
      if (w > 0 && h > 0) {
        b.dimensions(w, h);
      }
      if (!c.isEmpty()) {
        b.codec(c);
      }
      return b.build();
    });
  }

  @Property(tries = 500)
  void everyValidDescriptionRoundTrips(@ForAll("frames") Frame f) {
    StreamDescription d = StreamDescription.parse(StreamDescription.of(f).toJson("meta"));
    assertEquals(List.of(), d.rejected());
    assertEquals(f.contentType(), d.contentType());
    assertEquals(f.width().orElse(0), d.width());
    assertEquals(f.height().orElse(0), d.height());
    assertEquals(f.codec().orElse(""), d.codec());
  }
}
