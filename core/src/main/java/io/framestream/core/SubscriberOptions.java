package io.framestream.core;

import java.time.Duration;
import java.util.Objects;

/**
 * What one subscriber asks of its {@link Channel}: a maximum frame rate and a maximum frame age. The
 * channel may cap the rate further ({@link ChannelConfig#maxFpsPerSubscriber()}).
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe.
 *
 * @param maxFps the most frames per second to deliver, or {@code 0} for as many as the subscriber takes
 * @param maxFrameAge never deliver a frame (other than an {@link FrameKind#INIT}) that was published
 *     longer ago than this; {@link Duration#ZERO} uses the channel's default ({@link
 *     ChannelConfig#maxFrameAge()})
 * @since 0.1.0
 */
public record SubscriberOptions(double maxFps, Duration maxFrameAge) {

  /** No rate cap and the channel's default frame age. */
  public static final SubscriberOptions DEFAULTS = new SubscriberOptions(0, Duration.ZERO);

  /**
   * Validates the options.
   *
   * @param maxFps 0 (no cap) to 1000
   * @param maxFrameAge zero or positive
   * @throws NullPointerException if {@code maxFrameAge} is {@code null}
   * @throws IllegalArgumentException if a value is out of range
   */
  public SubscriberOptions {
    checkFps(maxFps);
    checkAge(maxFrameAge);
  }

  /**
   * Returns a copy with the given rate cap.
   *
   * @param fps 0 (no cap) to 1000
   * @return the new options
   * @throws IllegalArgumentException if out of range
   */
  public SubscriberOptions withMaxFps(double fps) {
    return new SubscriberOptions(fps, maxFrameAge);
  }

  /**
   * Returns a copy with the given maximum frame age.
   *
   * @param age zero or positive
   * @return the new options
   * @throws IllegalArgumentException if negative
   */
  public SubscriberOptions withMaxFrameAge(Duration age) {
    return new SubscriberOptions(maxFps, age);
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
