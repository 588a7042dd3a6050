package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class DataUrisTest {

  @Test
  void decodesWhatACanvasProduces() {
    byte[] jpeg = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3, 4};
    String uri = "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(jpeg);
    Frame f = DataUris.decode(uri, 100).build();
    assertEquals("image/jpeg", f.contentType());
    assertArrayEquals(jpeg, f.copyPayload());
    assertEquals(uri, f.dataUri(), "a frame's data URI round-trips");
    assertTrue(DataUris.isDataUri("DATA:image/png;base64,"));
    assertFalse(DataUris.isDataUri("{\"type\":\"meta\"}"));
  }

  @Test
  void base64LengthIsWhatTheJdkEncoderWrites() {
    for (int n = 0; n <= 10; n++) {
      assertEquals(Base64.getEncoder().encode(new byte[n]).length, DataUris.base64Length(n), n + " bytes");
    }
    assertEquals(4L * 715_827_883, DataUris.base64Length(Integer.MAX_VALUE));
    assertThrows(IllegalArgumentException.class, () -> DataUris.base64Length(-1));
    assertThrows(IllegalArgumentException.class, () -> DataUris.base64Length(Long.MAX_VALUE));
  }

  @Test
  void malformedUrisGiveAPreciseError() {
    assertMalformed("image/jpeg;base64,AAAA", "does not start");
    assertMalformed("data:image/jpeg;base64AAAA", "no ','");
    assertMalformed("data:image/jpeg,AAAA", "only ';base64'");
    assertMalformed("data:jpeg;base64,AAAA", "type/subtype");
    assertMalformed("data:image/jpeg;base64,A*==", "invalid base64");
    assertMalformed("data:" + "x".repeat(500) + ";base64,AAAA", "no ','");
  }

  @Test
  void w1_aPayloadOfExactlyTheLimitPassesWhateverItsLengthModulo3() {
    for (int limit = 1000; limit < 1003; limit++) {
      byte[] payload = new byte[limit];
      String uri = "data:image/png;base64," + Base64.getEncoder().encodeToString(payload);
      assertEquals(limit, DataUris.decode(uri, limit).build().payload().remaining(), "limit " + limit);
      int over = limit;
      assertThrows(LimitExceededException.class, () -> DataUris.decode(
          "data:image/png;base64," + Base64.getEncoder().encodeToString(new byte[over + 1]), over));
    }
  }

  @Test
  void oversizePayloadIsRejectedBeforeDecoding() {
    String uri = "data:image/png;base64," + "A".repeat(4000);
    LimitExceededException e = assertThrows(LimitExceededException.class, () -> DataUris.decode(uri, 1000));
    assertTrue(e.getMessage().contains("maxFrameBytes"), e.getMessage());
    assertEquals(3000, DataUris.decode(uri, 3000).build().size());
    assertTrue(DataUris.maxTextLength(3000) >= uri.length());
  }

  private static void assertMalformed(String uri, String expected) {
    FrameCodecException e = assertThrows(FrameCodecException.class, () -> DataUris.decode(uri, 1 << 20));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
