package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class InitMessageTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void describesAnImageChannel() throws Exception {
    try (Channel ch = Channel.create("cam1")) {
      JsonNode empty = JSON.readTree(InitMessage.of(ch).toJson());
      assertEquals("init", empty.get("type").asText());
      assertEquals("cam1", empty.get("channel").asText());
      assertFalse(empty.has("contentType"), "unknown fields are left out");
      assertEquals(0, empty.get("lastSequence").asLong());

      ch.publish(Frame.builder(new byte[3]).contentType("image/jpeg").dimensions(640, 360).build());
      JsonNode json = JSON.readTree(InitMessage.of(ch).withSkipped(4).toJson());
      assertEquals("image/jpeg", json.get("contentType").asText());
      assertEquals(640, json.get("width").asInt());
      assertEquals(360, json.get("height").asInt());
      assertEquals(1, json.get("lastSequence").asLong());
      assertEquals(4, json.get("skipped").asLong());
      assertFalse(json.has("initSegment"));
    }
  }

  @Test
  void embedsAVideoInitSegment() throws Exception {
    byte[] moov = {0, 0, 0, 8, 'm', 'o', 'o', 'v'};
    Frame init = Frame.builder(moov).contentType("video/mp4").kind(FrameKind.INIT).codec("avc1.42E01E").build();
    JsonNode json = JSON.readTree(InitMessage.of("v", init).withInitSegment(init).toJson());
    assertEquals("avc1.42E01E", json.get("codec").asText());
    assertEquals(Base64.getEncoder().encodeToString(moov), json.get("initSegment").asText());
    assertThrows(IllegalArgumentException.class,
        () -> InitMessage.of("v", init).withInitSegment(Frame.of("video/mp4", moov)));
  }
}
