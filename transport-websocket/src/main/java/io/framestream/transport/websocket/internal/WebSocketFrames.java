package io.framestream.transport.websocket.internal;

import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import java.nio.ByteBuffer;

/**
 * Server-to-client WebSocket frames built once per {@link Frame} and shared by every viewer (RFC 6455
 * §5.2: a server never masks, so the bytes do not depend on the connection).
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; the encoding is cached on each frame under the frame's own lock.
 */
public final class WebSocketFrames {

  /**
   * One final, unmasked binary frame carrying the payload, as a read-only buffer over a single array. Built
   * at most once per frame (the payload is copied once, not once per viewer).
   */
  public static final FrameEncoding<ByteBuffer> BINARY = FrameEncoding.of("websocket-binary", WebSocketFrames::binary);

  private static final int OPCODE_BINARY = 0x2;
  private static final int FIN = 0x80;

  private WebSocketFrames() {}

  /**
   * Frames a payload as one binary message.
   *
   * @param frame the frame
   * @return header and payload in one read-only buffer
   */
  static ByteBuffer binary(Frame frame) {
    ByteBuffer payload = frame.payload();
    int length = payload.remaining();
    int headerLength = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
    ByteBuffer out = ByteBuffer.allocate(headerLength + length);
    out.put((byte) (FIN | OPCODE_BINARY));
    if (length <= 125) {
      out.put((byte) length);
    } else if (length <= 0xFFFF) {
      out.put((byte) 126).putShort((short) length);
    } else {
      out.put((byte) 127).putLong(length);
    }
    out.put(payload);
    out.flip();
    return out.asReadOnlyBuffer();
  }
}
