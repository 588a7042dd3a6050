package io.framestream.transport.websocket.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebSocketFramesTest {

  private static Frame frameOf(int size) {
    byte[] p = new byte[size];
    Arrays.fill(p, (byte) 7);
    return Frame.of("application/octet-stream", p);
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Test
  void smallPayloadHasTheSevenBitLength() {
    byte[] framed = bytes(frameOf(125).encoded(WebSocketFrames.BINARY));
    assertEquals(2 + 125, framed.length);
    assertEquals((byte) 0x82, framed[0], "FIN + binary");
    assertEquals(125, framed[1], "unmasked, 7-bit length");
    assertEquals(7, framed[2]);
  }

  @Test
  void mediumPayloadHasTheSixteenBitLength() {
    byte[] framed = bytes(frameOf(50_000).encoded(WebSocketFrames.BINARY));
    assertEquals(4 + 50_000, framed.length);
    assertArrayEquals(new byte[] {(byte) 0x82, 126, (byte) (50_000 >> 8), (byte) 50_000}, Arrays.copyOf(framed, 4));
  }

  @Test
  void largePayloadHasTheSixtyFourBitLength() {
    byte[] framed = bytes(frameOf(70_000).encoded(WebSocketFrames.BINARY));
    assertEquals(10 + 70_000, framed.length);
    assertEquals(127, framed[1]);
    assertEquals(70_000, ByteBuffer.wrap(framed, 2, 8).getLong());
    assertEquals(7, framed[framed.length - 1]);
  }

  @Test
  void builtOncePerFrameAndReadOnly() {
    Frame f = frameOf(1000);
    for (FrameEncoding<ByteBuffer> encoding : List.of(WebSocketFrames.BINARY, WebSocketFrames.DATA_URI_TEXT)) {
      ByteBuffer first = f.encoded(encoding);
      assertSame(first, f.encoded(encoding), encoding + " cached on the frame, shared by every viewer");
      assertTrue(first.isReadOnly(), encoding + " read-only");
    }
  }

  @Test
  void w11_theDataUriTextFrameCarriesExactlyTheFramesDataUri() {
    Random random = new Random(11);
    for (int size : new int[] {1, 2, 3, 4, 5, 86, 87, 88, 3071, 3072, 3073, 6144, 49_151, 70_001}) {
      byte[] p = new byte[size];
      random.nextBytes(p);
      Frame f = Frame.of("image/png", p);
      byte[] framed = bytes(f.encoded(WebSocketFrames.DATA_URI_TEXT));
      byte[] uri = f.dataUri().getBytes(StandardCharsets.US_ASCII);
      int header = uri.length <= 125 ? 2 : uri.length <= 0xFFFF ? 4 : 10;
      assertEquals((byte) 0x81, framed[0], "FIN + text, size " + size);
      ByteBuffer h = ByteBuffer.wrap(framed);
      long length = header == 2 ? h.get(1) : header == 4 ? Short.toUnsignedInt(h.getShort(2)) : h.getLong(2);
      assertEquals(uri.length, length, "unmasked length, size " + size);
      assertArrayEquals(uri, Arrays.copyOfRange(framed, header, framed.length), "the data URI, size " + size);
    }
  }
}
