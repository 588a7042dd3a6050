package io.framestream.transport.websocket.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Frame;
import java.nio.ByteBuffer;
import java.util.Arrays;
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
    ByteBuffer first = f.encoded(WebSocketFrames.BINARY);
    assertSame(first, f.encoded(WebSocketFrames.BINARY), "cached on the frame, shared by every viewer");
    assertTrue(first.isReadOnly());
  }
}
