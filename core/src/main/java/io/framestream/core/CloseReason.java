package io.framestream.core;

import java.util.Objects;

/**
 * Why a subscription ended: a code a transport can map to its own close codes, and a short message for
 * people.
 *
 * <h2>Thread safety</h2>
 *
 * An immutable record; safe to share.
 *
 * @param code the category
 * @param message a short human-readable explanation, never {@code null}
 * @since 0.1.0
 */
public record CloseReason(Code code, String message) {

  /**
   * Categories of subscription end.
   *
   * <h2>Thread safety</h2>
   *
   * An enum: immutable.
   *
   * @since 0.1.0
   */
  public enum Code {
    /** The subscriber or the application closed the subscription. */
    NORMAL,
    /** The channel was closed (or its registry shut down). */
    CHANNEL_CLOSED,
    /** The subscriber made no progress for longer than the stall timeout and was evicted. */
    STALLED,
    /** The sink threw from {@code send} or reported {@link SendCallback#failed(Throwable)}. */
    SINK_FAILED
  }

  /**
   * Creates a reason.
   *
   * @param code the category
   * @param message a short explanation
   * @throws NullPointerException if an argument is {@code null}
   */
  public CloseReason {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }

  /** The reason for a subscription closed by its owner. */
  public static final CloseReason NORMAL = new CloseReason(Code.NORMAL, "closed");
}
