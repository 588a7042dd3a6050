package io.framestream.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.Frame;
import io.framestream.core.InitMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A server's description, checked as a server checks a publisher's (rule L1). */
class StreamDescriptionTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static StreamDescription parse(String json) throws Exception {
    return StreamDescription.fromInit(JSON.readTree(json));
  }

  @Test
  void aServersOwnInitMessageReadsBackWhole() throws Exception {
    Frame f = Frame.builder(new byte[1]).contentType("video/mp4").dimensions(640, 360).codec("avc1.42E01E").build();
    StreamDescription d = parse(InitMessage.of("cam", f).toJson());
    assertEquals("video/mp4", d.contentType());
    assertEquals(640, d.width());
    assertEquals(360, d.height());
    assertEquals("avc1.42E01E", d.codec());
    assertEquals(List.of(), d.rejected());
    Frame described = d.describe(Frame.builder(new byte[1])).build();
    assertEquals(640, described.width().orElse(0));
    assertEquals("avc1.42E01E", described.codec().orElse(""));
  }

  @Test
  void l1_hostileValuesAreDroppedAndListed_neverThrown() throws Exception {
    StreamDescription d = parse("{\"type\":\"init\",\"contentType\":\"image/jpeg\\u0000\\r\\nX-Evil: 1\","
        + "\"width\":-5,\"height\":1e12,\"codec\":\"avc1\\u0007\\n\"}");
    assertEquals("application/octet-stream", d.contentType());
    assertEquals(0, d.width());
    assertEquals(0, d.height());
    assertEquals("", d.codec());
    assertEquals(4, d.rejected().size(), d.rejected().toString());
    assertTrue(d.rejected().toString().contains("\\u0000"), "control characters are escaped: " + d.rejected());
    assertTrue(d.rejected().stream().noneMatch(r -> r.chars().anyMatch(c -> c < 0x20)), d.rejected().toString());
    Frame plain = d.describe(Frame.builder(new byte[1])).build();
    assertTrue(plain.width().isEmpty() && plain.codec().isEmpty());

    // Wrong JSON types, values past an int, one valid dimension alone, an enormous string.
    StreamDescription e = parse("{\"contentType\":7,\"width\":4294967297,\"height\":\"480\",\"codec\":[\"a\"]}");
    assertEquals(4, e.rejected().size(), e.rejected().toString());
    StreamDescription half = parse("{\"contentType\":\"image/png\",\"width\":640,\"height\":0}");
    assertEquals("image/png", half.contentType());
    assertEquals(0, half.width(), "dimensions go together");
    assertEquals(1, half.rejected().size());
    StreamDescription big = parse("{\"codec\":\"" + "a".repeat(100_000) + "\"}");
    assertEquals(1, big.rejected().size());
    assertTrue(big.rejected().get(0).length() < 80, "quoted values are shortened");
  }

  @Test
  void absentFieldsAndNonObjectsDescribeNothing() throws Exception {
    assertSame(StreamDescription.NONE, StreamDescription.fromInit(JSON.readTree("[1,2]")));
    assertSame(StreamDescription.NONE, StreamDescription.fromInit(null));
    StreamDescription d = parse("{\"type\":\"init\",\"width\":null}");
    assertEquals("application/octet-stream", d.contentType());
    assertEquals(List.of(), d.rejected());
  }
}
