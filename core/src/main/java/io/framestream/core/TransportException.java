package io.framestream.core;

/**
 * Thrown or reported when a transport fails: connect, handshake or I/O.
 *
 * <h2>Thread safety</h2>
 *
 * Effectively immutable once thrown.
 *
 * @since 0.1.0
 */
public final class TransportException extends FrameStreamException {

  /**
   * Creates the exception.
   *
   * @param message what happened
   */
  public TransportException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what happened
   * @param cause the underlying exception
   */
  public TransportException(String message, Throwable cause) {
    super(message, cause);
  }
}
