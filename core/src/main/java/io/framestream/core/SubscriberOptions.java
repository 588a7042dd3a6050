package io.framestream.core;

import java.time.Duration;
import java.util.Objects;

/**
 * What one subscriber asks of its {@link Channel}: a maximum frame rate, a maximum frame age, and whether it
 * is a relay rather than a viewer. The channel may cap the rate further ({@link
 * ChannelConfig#maxFpsPerSubscriber()}).
 *
 * <p>A <em>relay</em> subscription forwards the channel's frames elsewhere (for example to other cluster
 * nodes) and gets the same mailbox rules as a viewer, but it is not a viewer: it is left out of {@link
 * Channel#subscriberCount()} and {@link ChannelStats#subscribers()}, does not count against {@link
 * ChannelConfig#maxSubscribers()}, and does not keep an on-demand source running or the channel from
 * closing when idle.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe.
 *
 * @param maxFps the most frames per second to deliver, or {@code 0} for as many as the subscriber takes
 * @param maxFrameAge never deliver a frame (other than an {@link FrameKind#INIT}) that was published
 *     longer ago than this; {@link Duration#ZERO} uses the channel's default ({@link
 *     ChannelConfig#maxFrameAge()})
 * @param relay {@code true} for a relay subscription (see above), {@code false} for a viewer
 * @since 0.1.0
 */
public record SubscriberOptions(double maxFps, Duration maxFrameAge, boolean relay) {

  /** A viewer with no rate cap and the channel's default frame age. */
  public static final SubscriberOptions DEFAULTS = new SubscriberOptions(0, Duration.ZERO, false);

  /** A relay with no rate cap and the channel's default frame age. */
  public static final SubscriberOptions RELAY = new SubscriberOptions(0, Duration.ZERO, true);

  /**
   * Validates the options.
   *
   * @param maxFps 0 (no cap) to 1000
   * @param maxFrameAge zero or positive
   * @param relay {@code true} for a relay subscription
   * @throws NullPointerException if {@code maxFrameAge} is {@code null}
   * @throws IllegalArgumentException if a value is out of range
   */
  public SubscriberOptions {
    checkFps(maxFps);
    checkAge(maxFrameAge);
  }

  /**
   * Creates viewer options.
   *
   * @param maxFps 0 (no cap) to 1000
   * @param maxFrameAge zero or positive
   * @throws NullPointerException if {@code maxFrameAge} is {@code null}
   * @throws IllegalArgumentException if a value is out of range
   */
  public SubscriberOptions(double maxFps, Duration maxFrameAge) {
    this(maxFps, maxFrameAge, false);
  }

  /**
   * Returns a copy with the given rate cap.
   *
   * @param fps 0 (no cap) to 1000
   * @return the new options
   * @throws IllegalArgumentException if out of range
   */
  public SubscriberOptions withMaxFps(double fps) {
    return new SubscriberOptions(fps, maxFrameAge, relay);
  }

  /**
   * Returns a copy with the given maximum frame age.
   *
   * @param age zero or positive
   * @return the new options
   * @throws IllegalArgumentException if negative
   */
  public SubscriberOptions withMaxFrameAge(Duration age) {
    return new SubscriberOptions(maxFps, age, relay);
  }

  /**
   * Returns a copy that is, or is not, a relay subscription.
   *
   * @param isRelay {@code true} for a relay
   * @return the new options
   */
  public SubscriberOptions withRelay(boolean isRelay) {
    return new SubscriberOptions(maxFps, maxFrameAge, isRelay);
  }

  static double checkFps(double fps) {
    if (!(fps >= 0 && fps <= 1000)) {
      throw new IllegalArgumentException("maxFps must be 0..1000, got " + fps);
    }
    return fps;
  }

  static Duration checkAge(Duration age) {
    Objects.requireNonNull(age, "maxFrameAge");
    if (age.isNegative()) {
      throw new IllegalArgumentException("maxFrameAge must not be negative, got " + age);
    }
    return age;
  }
}
