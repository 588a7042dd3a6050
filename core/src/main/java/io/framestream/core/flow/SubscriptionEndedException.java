package io.framestream.core.flow;

import io.framestream.core.CloseReason;
import io.framestream.core.FrameStreamException;
import java.util.Objects;

/**
 * The error a {@link ChannelPublisher} signals with {@code onError} when the channel ended a subscription
 * for a reason other than closing: the subscriber was evicted as stalled ({@link CloseReason.Code#STALLED}),
 * or its delivery failed ({@link CloseReason.Code#SINK_FAILED}).
 *
 * <h2>Thread safety</h2>
 *
 * Immutable once thrown.
 *
 * @since 0.4.0
 */
public final class SubscriptionEndedException extends FrameStreamException {

  private static final long serialVersionUID = 1L;

  /** Why the channel ended the subscription. */
  private final transient CloseReason reason;

  /**
   * Creates the exception.
   *
   * @param reason why the channel ended the subscription
   * @throws NullPointerException if {@code reason} is {@code null}
   */
  public SubscriptionEndedException(CloseReason reason) {
    super("subscription ended: " + Objects.requireNonNull(reason, "reason").code() + " (" + reason.message() + ")");
    this.reason = reason;
  }

  /**
   * Returns why the channel ended the subscription.
   *
   * @return the reason; {@code null} after Java serialisation
   */
  public CloseReason reason() {
    return reason;
  }
}
