package io.framestream.core;

/**
 * Thrown when an operation would exceed a configured limit (channels, subscribers per channel, frame
 * size); the message names the limit and its value.
 *
 * <h2>Thread safety</h2>
 *
 * Effectively immutable once thrown.
 *
 * @since 0.1.0
 */
public final class LimitExceededException extends FrameStreamException {

  /**
   * Creates the exception.
   *
   * @param message what happened
   */
  public LimitExceededException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what happened
   * @param cause the underlying exception
   */
  public LimitExceededException(String message, Throwable cause) {
    super(message, cause);
  }
}
