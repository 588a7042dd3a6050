package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.framestream.core.internal.FlatJson;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The init and status messages, character for character as they went on the wire when Jackson wrote them. */
class InitMessageTest {

  @Test
  void describesAnImageChannel() {
    try (Channel ch = Channel.create("cam1")) {
      assertEquals("{\"type\":\"init\",\"channel\":\"cam1\",\"lastSequence\":0}", InitMessage.of(ch).toJson(),
          "unknown fields are left out");

      ch.publish(Frame.builder(new byte[3]).contentType("image/jpeg").dimensions(640, 360).build());
      assertEquals("{\"type\":\"init\",\"channel\":\"cam1\",\"contentType\":\"image/jpeg\",\"width\":640,"
          + "\"height\":360,\"lastSequence\":1,\"skipped\":4}", InitMessage.of(ch).withSkipped(4).toJson());
    }
  }

  @Test
  void embedsAVideoInitSegment() {
    byte[] moov = {0, 0, 0, 8, 'm', 'o', 'o', 'v'};
    Frame init = Frame.builder(moov).contentType("video/mp4").kind(FrameKind.INIT).codec("avc1.42E01E").build();
    String json = InitMessage.of("v", init).withInitSegment(init).withSkipped(0).toJson();
    assertEquals("{\"type\":\"init\",\"channel\":\"v\",\"contentType\":\"video/mp4\",\"codec\":\"avc1.42E01E\","
        + "\"lastSequence\":0,\"skipped\":0,\"initSegment\":\"AAAACG1vb3Y=\"}", json);
    assertEquals(Base64.getEncoder().encodeToString(moov), FlatJson.read(json, "initSegment")[0].asString());
    assertThrows(IllegalArgumentException.class,
        () -> InitMessage.of("v", init).withInitSegment(Frame.of("video/mp4", moov)));
  }

  @Test
  void statusMessages() {
    assertEquals("{\"type\":\"status\",\"channel\":\"cam1\",\"status\":\"offline\"}",
        InitMessage.statusJson("cam1", ChannelState.OFFLINE));
    assertEquals("{\"type\":\"status\",\"channel\":\"c\",\"status\":\"online\"}",
        InitMessage.statusJson("c", ChannelState.ONLINE));
  }
}
