package io.framestream.core;

/**
 * Thrown when a closed {@link Channel} or registry is used: publishing to it, subscribing to it.
 *
 * <h2>Thread safety</h2>
 *
 * Effectively immutable once thrown.
 *
 * @since 0.1.0
 */
public final class ChannelClosedException extends FrameStreamException {

  /**
   * Creates the exception.
   *
   * @param message what happened
   */
  public ChannelClosedException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what happened
   * @param cause the underlying exception
   */
  public ChannelClosedException(String message, Throwable cause) {
    super(message, cause);
  }
}
