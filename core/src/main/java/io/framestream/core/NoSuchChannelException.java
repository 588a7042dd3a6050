package io.framestream.core;

/**
 * Thrown when a channel is looked up that does not exist and may not be created on demand.
 *
 * <h2>Thread safety</h2>
 *
 * Effectively immutable once thrown.
 *
 * @since 0.1.0
 */
public final class NoSuchChannelException extends FrameStreamException {

  /**
   * Creates the exception.
   *
   * @param message what happened
   */
  public NoSuchChannelException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what happened
   * @param cause the underlying exception
   */
  public NoSuchChannelException(String message, Throwable cause) {
    super(message, cause);
  }
}
