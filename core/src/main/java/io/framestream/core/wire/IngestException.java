package io.framestream.core.wire;

import io.framestream.core.FrameStreamException;
import java.util.Objects;

/**
 * Why {@link FrameIngest} refused an incoming message, with a precise {@link Reason} that each entry point
 * maps to its own answer (an HTTP status, a WebSocket close code, a client's dropped-and-counted frame).
 *
 * <h2>Thread safety</h2>
 *
 * Immutable once thrown.
 *
 * @since 0.3.0
 */
public final class IngestException extends FrameStreamException {

  /**
   * What was wrong with the message.
   *
   * <h2>Thread safety</h2>
   *
   * An enum: immutable.
   *
   * @since 0.3.0
   */
  public enum Reason {
    /** The payload is larger than {@code maxFrameBytes} (HTTP 413, WebSocket 1009). */
    TOO_LARGE,
    /** No content type was declared and the bytes are not a format framestream recognises (415, 1003). */
    UNKNOWN_TYPE,
    /** The declared content type is not a valid one (415, 1003). */
    INVALID_TYPE,
    /** A data URI that is not {@code data:<type>;base64,<payload>} with valid base64 (400, 1007). */
    MALFORMED_DATA_URI,
    /** Text that should be base64 is not (400, 1007). */
    MALFORMED_BASE64
  }

  private final Reason reason;

  IngestException(Reason reason, String message) {
    this(reason, message, null);
  }

  IngestException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /**
   * Returns why the message was refused.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }
}
