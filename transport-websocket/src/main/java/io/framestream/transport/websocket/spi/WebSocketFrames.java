package io.framestream.transport.websocket.spi;

import io.framestream.core.DataUris;
import io.framestream.core.DirectMessage;
import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The pre-framed viewer messages a {@link RawFrameSender} is handed: server-to-client WebSocket frames built
 * once per {@link Frame}, cached on the frame ({@link Frame#encoded(FrameEncoding)}) and shared by every
 * viewer (RFC 6455 §5.2: a server never masks, so the bytes do not depend on the connection). A host can
 * read a frame's message through these encodings, to check what its sender writes or to measure the cost of
 * framing.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; the encoding is cached on each frame under the frame's own lock.
 *
 * @since 0.3.0
 */
public final class WebSocketFrames {

  private static final int OPCODE_TEXT = 0x1;
  private static final int OPCODE_BINARY = 0x2;
  private static final int FIN = 0x80;

  /**
   * One final, unmasked binary frame carrying the payload, as a read-only buffer over a single array. Built
   * at most once per frame (the payload is copied once, not once per viewer).
   */
  public static final FrameEncoding<ByteBuffer> BINARY = FrameEncoding.of("websocket-binary", WebSocketFrames::binary);

  /**
   * One final, unmasked text frame carrying the frame as a data URI ({@code data:<type>;base64,<payload>},
   * the same text as {@link Frame#dataUri()}), as a read-only buffer over a single array: what a {@code
   * ?format=datauri} viewer receives. Built at most once per frame, straight from the payload (the data URI
   * is not kept as a {@code String} as well).
   */
  public static final FrameEncoding<ByteBuffer> DATA_URI_TEXT =
      FrameEncoding.of("websocket-datauri-text", WebSocketFrames::dataUriText);

  /**
   * {@link #DATA_URI_TEXT} copied once per frame into pooled native memory (see {@link DirectMessage}).
   *
   * @since 0.4.0
   */
  public static final FrameEncoding<DirectMessage> DATA_URI_TEXT_DIRECT = DirectMessage.copyOf(DATA_URI_TEXT);

  /**
   * {@link #BINARY}'s bytes written once per frame straight into pooled native memory (header, then the
   * payload), for a sender whose socket layer would otherwise copy a heap message once per write; see {@link
   * DirectMessage}. The heap form is not built for it.
   *
   * @since 0.4.0
   */
  public static final FrameEncoding<DirectMessage> BINARY_DIRECT = DirectMessage.encoding("websocket-binary-direct",
      frame -> headerLength(frame.size()) + frame.size(), (frame, out) -> {
        header(out, OPCODE_BINARY, frame.size());
        out.put(frame.payload());
      });

  private static final byte[] NOTHING = new byte[0];

  private WebSocketFrames() {}

  /**
   * Frames a payload as one binary message.
   *
   * @param frame the frame
   * @return header and payload in one read-only buffer
   */
  static ByteBuffer binary(Frame frame) {
    ByteBuffer payload = frame.payload();
    ByteBuffer out = start(OPCODE_BINARY, payload.remaining());
    out.put(payload);
    out.flip();
    return out.asReadOnlyBuffer();
  }

  /**
   * Frames a frame's data URI as one text message: the header and the {@code data:<type>;base64,} prefix, then
   * the payload's base64 encoded straight into the message by {@link Frame#base64Within(byte[], byte[])} (or
   * copied from the frame's base64 text when another viewer has built it already).
   *
   * @param frame the frame
   * @return header and data URI in one read-only buffer
   */
  static ByteBuffer dataUriText(Frame frame) {
    // Content types are ASCII (ContentTypes validates them); UTF-8 is right for a text frame either way.
    byte[] prefix = ("data:" + frame.contentType() + ";base64,").getBytes(StandardCharsets.UTF_8);
    long length = prefix.length + DataUris.base64Length(frame.size());
    if (length > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("data URI of " + length + " bytes does not fit one buffer");
    }
    ByteBuffer head = ByteBuffer.allocate(headerLength((int) length) + prefix.length);
    header(head, OPCODE_TEXT, (int) length);
    head.put(prefix);
    return ByteBuffer.wrap(frame.base64Within(head.array(), NOTHING)).asReadOnlyBuffer();
  }

  /**
   * Allocates one final, unmasked message of {@code length} payload bytes and writes its header: the caller
   * puts exactly {@code length} bytes and flips the buffer. For derived messages built once per frame (the
   * chunk stream's configuration texts and sample messages).
   *
   * @param text a text message (UTF-8 payload) rather than a binary one
   * @param length the payload length in bytes, at least 0
   * @return a heap buffer positioned after the header, with room for exactly the payload
   * @since 0.4.0
   */
  public static ByteBuffer startMessage(boolean text, int length) {
    if (length < 0 || length > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("message length out of range: " + length);
    }
    return start(text ? OPCODE_TEXT : OPCODE_BINARY, length);
  }

  /**
   * Returns the native-memory form of one of this class's messages: {@link #BINARY_DIRECT} for {@link #BINARY},
   * {@link #DATA_URI_TEXT_DIRECT} for {@link #DATA_URI_TEXT}; {@code null} for any other (the chunk stream's
   * messages, made per {@code INIT} frame), whose heap form is written.
   *
   * @param message a message encoding
   * @return the encoding of its direct form, or {@code null}
   * @since 0.4.0
   */
  public static FrameEncoding<DirectMessage> direct(FrameEncoding<ByteBuffer> message) {
    return message == BINARY ? BINARY_DIRECT : message == DATA_URI_TEXT ? DATA_URI_TEXT_DIRECT : null;
  }

  /** Allocates a message of {@code length} payload bytes and writes its header. */
  private static ByteBuffer start(int opcode, int length) {
    ByteBuffer out = ByteBuffer.allocate(headerLength(length) + length);
    header(out, opcode, length);
    return out;
  }

  private static int headerLength(int length) {
    return length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
  }

  /** Writes the header of a final, unmasked message of {@code length} payload bytes. */
  private static void header(ByteBuffer out, int opcode, int length) {
    out.put((byte) (FIN | opcode));
    if (length <= 125) {
      out.put((byte) length);
    } else if (length <= 0xFFFF) {
      out.put((byte) 126).putShort((short) length);
    } else {
      out.put((byte) 127).putLong(length);
    }
  }
}
