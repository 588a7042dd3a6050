package io.framestream.core;

/**
 * Reports that a subscriber fell behind: it made no progress within the stall timeout and was evicted.
 *
 * <h2>Thread safety</h2>
 *
 * Effectively immutable once thrown.
 *
 * @since 0.1.0
 */
public final class SlowConsumerException extends FrameStreamException {

  /**
   * Creates the exception.
   *
   * @param message what happened
   */
  public SlowConsumerException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what happened
   * @param cause the underlying exception
   */
  public SlowConsumerException(String message, Throwable cause) {
    super(message, cause);
  }
}
