package io.framestream.core;

/**
 * Thrown when bytes from outside cannot be understood: a malformed image stream, data URI, container
 * box or control message, or one over a size limit. The message says what was wrong and where.
 *
 * <h2>Thread safety</h2>
 *
 * Effectively immutable once thrown.
 *
 * @since 0.1.0
 */
public final class FrameCodecException extends FrameStreamException {

  /**
   * Creates the exception.
   *
   * @param message what happened
   */
  public FrameCodecException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what happened
   * @param cause the underlying exception
   */
  public FrameCodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
