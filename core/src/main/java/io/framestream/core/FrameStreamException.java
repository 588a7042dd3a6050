package io.framestream.core;

/**
 * The base of every exception framestream raises for a condition outside the caller's control: a closed
 * channel, a broken transport, malformed data, a slow consumer, a limit.
 *
 * <p>Programming errors are reported with the standard {@link NullPointerException}, {@link
 * IllegalArgumentException} and {@link IllegalStateException} instead.
 *
 * <h2>Thread safety</h2>
 *
 * Exceptions are not meant to be shared while being modified; once thrown they are effectively immutable.
 *
 * @since 0.1.0
 */
public class FrameStreamException extends RuntimeException {

  /**
   * Creates an exception with a message.
   *
   * @param message what happened
   */
  public FrameStreamException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and a cause.
   *
   * @param message what happened
   * @param cause the underlying exception
   */
  public FrameStreamException(String message, Throwable cause) {
    super(message, cause);
  }
}
