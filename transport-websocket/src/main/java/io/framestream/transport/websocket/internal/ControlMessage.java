package io.framestream.transport.websocket.internal;

import io.framestream.core.FrameCodecException;
import io.framestream.core.wire.StreamDescription;
import jakarta.websocket.CloseReason;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A publisher's JSON control message: <code>{"type":"meta","contentType":"...","width":W,"height":H,
 * "codec":"..."}</code>, every field but {@code type} optional. {@link #parse(String)} accepts exactly
 * that, or throws {@link Refused} carrying the close code: 1009 (too long), 1003 (not a control message,
 * or an unsupported type), 1007 (malformed JSON or an invalid value). The fields are read and checked by
 * {@link StreamDescription}, the codec the server's {@code init} message and the clients use too: width and
 * height only as a pair of integral numbers, {@code null} for absent.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable; {@link #parse(String)} is thread-safe.
 *
 * @param contentType the announced content type
 * @param width the announced width
 * @param height the announced height
 * @param codec the announced codec
 */
public record ControlMessage(Optional<String> contentType, OptionalInt width, OptionalInt height,
    Optional<String> codec) {

  /** Control messages are small; anything longer that is not a data URI is refused. */
  public static final int MAX_LENGTH = 16 * 1024;

  /**
   * Why a control message was refused, with the WebSocket close code to answer with.
   *
   * <h2>Thread safety</h2>
   *
   * Effectively immutable once thrown.
   */
  public static final class Refused extends RuntimeException {
    private final transient CloseReason.CloseCode code;

    Refused(CloseReason.CloseCode code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    /**
     * Returns the close code.
     *
     * @return 1003, 1007 or 1009
     */
    public CloseReason.CloseCode code() {
      return code;
    }
  }

  /**
   * Parses and validates a control message.
   *
   * @param text the text message
   * @return the message
   * @throws Refused if it is too long, not JSON, not a {@code meta} message, or has an invalid value
   */
  public static ControlMessage parse(String text) {
    if (text.length() > MAX_LENGTH) {
      throw new Refused(CloseReason.CloseCodes.TOO_BIG, "control message longer than " + MAX_LENGTH + " characters");
    }
    if (!text.startsWith("{")) {
      throw new Refused(CloseReason.CloseCodes.CANNOT_ACCEPT, "text messages must be data: URIs or JSON control messages");
    }
    StreamDescription d;
    try {
      d = StreamDescription.parse(text);
    } catch (FrameCodecException e) {
      throw new Refused(CloseReason.CloseCodes.NOT_CONSISTENT, e.getMessage() + " in a control message");
    }
    if (!"meta".equals(d.messageType())) {
      throw new Refused(CloseReason.CloseCodes.CANNOT_ACCEPT, "unsupported control message: expected {\"type\":\"meta\",...}");
    }
    if (!d.rejected().isEmpty()) {
      throw new Refused(CloseReason.CloseCodes.NOT_CONSISTENT, "invalid control message: " + d.rejected());
    }
    return new ControlMessage(d.declaredContentType(),
        d.width() > 0 ? OptionalInt.of(d.width()) : OptionalInt.empty(),
        d.height() > 0 ? OptionalInt.of(d.height()) : OptionalInt.empty(),
        d.codec().isEmpty() ? Optional.empty() : Optional.of(d.codec()));
  }
}
