package io.framestream.core;

import java.time.Duration;
import java.util.Objects;

/**
 * The delivery settings of a {@link Channel}. Defaults are public constants; build a changed copy with
 * {@link #builder()} or {@link #toBuilder()}.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe; the {@link Builder} is not.
 *
 * @since 0.1.0
 */
public final class ChannelConfig {

  /** Default {@link #stallTimeout()}: 5 seconds. */
  public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(5);
  /** Default {@link #maxInFlight()}: one frame in flight per subscriber. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 1;
  /** Default {@link #maxQueuedFrames()}: 8 live frames waiting (only codec streams queue more than 1). */
  public static final int DEFAULT_MAX_QUEUED_FRAMES = 8;
  /** Default {@link #maxSubscribers()}: 10,000. */
  public static final int DEFAULT_MAX_SUBSCRIBERS = 10_000;
  /** Default {@link #maxPublishers()}: one publisher per channel. */
  public static final int DEFAULT_MAX_PUBLISHERS = 1;
  /** Default {@link #maxPublishFps()}: 240 frames per second per publisher. */
  public static final double DEFAULT_MAX_PUBLISH_FPS = 240;
  /** Default {@link #maxPublishBytesPerSecond()}: 64 MiB per second per publisher. */
  public static final long DEFAULT_MAX_PUBLISH_BYTES_PER_SECOND = 64L << 20;
  /** Default {@link #keyframeCacheMaxFrames()}: 600 frames (20 s of 30 fps video). */
  public static final int DEFAULT_KEYFRAME_CACHE_MAX_FRAMES = 600;
  /** Default {@link #keyframeCacheMaxBytes()}: 32 MiB. */
  public static final long DEFAULT_KEYFRAME_CACHE_MAX_BYTES = 32L << 20;

  /** The default configuration. */
  public static final ChannelConfig DEFAULTS = new Builder().build();

  private final Duration stallTimeout;
  private final int maxInFlight;
  private final int maxQueuedFrames;
  private final int maxSubscribers;
  private final double maxFpsPerSubscriber;
  private final Duration maxFrameAge;
  private final int keyframeCacheMaxFrames;
  private final long keyframeCacheMaxBytes;
  private final int maxPublishers;
  private final double maxPublishFps;
  private final long maxPublishBytesPerSecond;

  private ChannelConfig(Builder b) {
    this.maxPublishers = b.maxPublishers;
    this.maxPublishFps = b.maxPublishFps;
    this.maxPublishBytesPerSecond = b.maxPublishBytesPerSecond;
    this.stallTimeout = b.stallTimeout;
    this.maxInFlight = b.maxInFlight;
    this.maxQueuedFrames = b.maxQueuedFrames;
    this.maxSubscribers = b.maxSubscribers;
    this.maxFpsPerSubscriber = b.maxFpsPerSubscriber;
    this.maxFrameAge = b.maxFrameAge;
    this.keyframeCacheMaxFrames = b.keyframeCacheMaxFrames;
    this.keyframeCacheMaxBytes = b.keyframeCacheMaxBytes;
  }

  /**
   * Starts a builder with the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a builder with this configuration's values.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.stallTimeout = stallTimeout;
    b.maxInFlight = maxInFlight;
    b.maxQueuedFrames = maxQueuedFrames;
    b.maxSubscribers = maxSubscribers;
    b.maxFpsPerSubscriber = maxFpsPerSubscriber;
    b.maxFrameAge = maxFrameAge;
    b.keyframeCacheMaxFrames = keyframeCacheMaxFrames;
    b.keyframeCacheMaxBytes = keyframeCacheMaxBytes;
    b.maxPublishers = maxPublishers;
    b.maxPublishFps = maxPublishFps;
    b.maxPublishBytesPerSecond = maxPublishBytesPerSecond;
    return b;
  }

  /**
   * How many {@link Publisher}s may be open on the channel at once; one more is refused with {@link
   * LimitExceededException}.
   *
   * @return the publisher limit
   */
  public int maxPublishers() {
    return maxPublishers;
  }

  /**
   * The most frames per second one {@link Publisher} may publish, or {@code 0} for no limit; frames over it
   * are dropped and counted.
   *
   * @return frames per second, or 0
   */
  public double maxPublishFps() {
    return maxPublishFps;
  }

  /**
   * The most payload bytes per second one {@link Publisher} may publish, or {@code 0} for no limit; frames
   * over it are dropped and counted. Must be at least the largest frame size to let any frame through.
   *
   * @return bytes per second, or 0
   */
  public long maxPublishBytesPerSecond() {
    return maxPublishBytesPerSecond;
  }

  /**
   * How long a subscriber may have a frame in flight without completing any before it is evicted.
   *
   * @return the stall timeout
   */
  public Duration stallTimeout() {
    return stallTimeout;
  }

  /**
   * How many frames a subscriber may have handed to its sink and not yet completed.
   *
   * @return the in-flight limit, at least 1
   */
  public int maxInFlight() {
    return maxInFlight;
  }

  /**
   * How many live frames may wait in a subscriber's queue. Key frames replace everything waiting before
   * them but the stream's {@code INIT}, and an {@code INIT} replaces everything waiting before it, so image
   * streams never have more than one frame waiting and at most one {@code INIT} ever waits; the limit
   * matters for codec streams, where a delta that does not fit makes the subscriber skip to the next key
   * frame. Every waiting entry counts against it, the {@code INIT} and status notices included, except the
   * late-joiner frames right after subscribing; below 5, the newest {@code INIT}, a {@code KEY} and the
   * status notices around them may still take up to 5 places, as none of them may be dropped.
   *
   * @return the queue limit, at least 1
   */
  public int maxQueuedFrames() {
    return maxQueuedFrames;
  }

  /**
   * How many subscribers the channel accepts at once.
   *
   * @return the subscriber limit
   */
  public int maxSubscribers() {
    return maxSubscribers;
  }

  /**
   * The highest frame rate any subscriber gets, or {@code 0} for no cap. A subscriber asking for more (or
   * for no cap) is held to this rate.
   *
   * @return frames per second, or 0
   */
  public double maxFpsPerSubscriber() {
    return maxFpsPerSubscriber;
  }

  /**
   * The default maximum frame age for subscribers that do not set their own, or {@link Duration#ZERO} for
   * none.
   *
   * @return the default maximum age
   */
  public Duration maxFrameAge() {
    return maxFrameAge;
  }

  /**
   * The most frames kept for late joiners after the newest key frame of a codec stream. When the group of
   * frames since the key frame grows past this (or past {@link #keyframeCacheMaxBytes()}), late joiners
   * get only the key frame and wait for the next one.
   *
   * @return the frame limit of the late-joiner cache
   */
  public int keyframeCacheMaxFrames() {
    return keyframeCacheMaxFrames;
  }

  /**
   * The most payload bytes kept for late joiners (init frame excluded); see {@link
   * #keyframeCacheMaxFrames()}.
   *
   * @return the byte limit of the late-joiner cache
   */
  public long keyframeCacheMaxBytes() {
    return keyframeCacheMaxBytes;
  }

  @Override
  public String toString() {
    return "ChannelConfig[stallTimeout=" + stallTimeout + ", maxInFlight=" + maxInFlight
        + ", maxQueuedFrames=" + maxQueuedFrames + ", maxSubscribers=" + maxSubscribers
        + ", maxFpsPerSubscriber=" + maxFpsPerSubscriber + ", maxFrameAge=" + maxFrameAge
        + ", keyframeCacheMaxFrames=" + keyframeCacheMaxFrames
        + ", keyframeCacheMaxBytes=" + keyframeCacheMaxBytes + ", maxPublishers=" + maxPublishers
        + ", maxPublishFps=" + maxPublishFps + ", maxPublishBytesPerSecond=" + maxPublishBytesPerSecond + "]";
  }

  /**
   * Builds a {@link ChannelConfig}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private int maxQueuedFrames = DEFAULT_MAX_QUEUED_FRAMES;
    private int maxSubscribers = DEFAULT_MAX_SUBSCRIBERS;
    private double maxFpsPerSubscriber;
    private Duration maxFrameAge = Duration.ZERO;
    private int keyframeCacheMaxFrames = DEFAULT_KEYFRAME_CACHE_MAX_FRAMES;
    private long keyframeCacheMaxBytes = DEFAULT_KEYFRAME_CACHE_MAX_BYTES;
    private int maxPublishers = DEFAULT_MAX_PUBLISHERS;
    private double maxPublishFps = DEFAULT_MAX_PUBLISH_FPS;
    private long maxPublishBytesPerSecond = DEFAULT_MAX_PUBLISH_BYTES_PER_SECOND;

    private Builder() {}

    /**
     * Sets the publisher limit; see {@link ChannelConfig#maxPublishers()}.
     *
     * @param n 1 to 10,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxPublishers(int n) {
      this.maxPublishers = range(n, 1, 10_000, "maxPublishers");
      return this;
    }

    /**
     * Sets the per-publisher frame rate limit; see {@link ChannelConfig#maxPublishFps()}.
     *
     * @param fps 0 (no limit) to 100,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxPublishFps(double fps) {
      if (!(fps >= 0 && fps <= 100_000)) {
        throw new IllegalArgumentException("maxPublishFps must be 0..100000, got " + fps);
      }
      this.maxPublishFps = fps;
      return this;
    }

    /**
     * Sets the per-publisher byte rate limit; see {@link ChannelConfig#maxPublishBytesPerSecond()}.
     *
     * @param bytes zero (no limit) or more
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder maxPublishBytesPerSecond(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maxPublishBytesPerSecond must be >= 0, got " + bytes);
      }
      this.maxPublishBytesPerSecond = bytes;
      return this;
    }

    /**
     * Sets the stall timeout; see {@link ChannelConfig#stallTimeout()}.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder stallTimeout(Duration timeout) {
      this.stallTimeout = positive(timeout, "stallTimeout");
      return this;
    }

    /**
     * Sets the in-flight limit; see {@link ChannelConfig#maxInFlight()}.
     *
     * @param n 1 to 1024
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxInFlight(int n) {
      this.maxInFlight = range(n, 1, 1024, "maxInFlight");
      return this;
    }

    /**
     * Sets the queue limit; see {@link ChannelConfig#maxQueuedFrames()}.
     *
     * @param n 1 to 100,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxQueuedFrames(int n) {
      this.maxQueuedFrames = range(n, 1, 100_000, "maxQueuedFrames");
      return this;
    }

    /**
     * Sets the subscriber limit; see {@link ChannelConfig#maxSubscribers()}.
     *
     * @param n at least 1
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxSubscribers(int n) {
      this.maxSubscribers = range(n, 1, Integer.MAX_VALUE, "maxSubscribers");
      return this;
    }

    /**
     * Sets the frame-rate cap; see {@link ChannelConfig#maxFpsPerSubscriber()}.
     *
     * @param fps 0 (no cap) to 1000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxFpsPerSubscriber(double fps) {
      this.maxFpsPerSubscriber = SubscriberOptions.checkFps(fps);
      return this;
    }

    /**
     * Sets the default maximum frame age; see {@link ChannelConfig#maxFrameAge()}.
     *
     * @param age zero (none) or positive
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder maxFrameAge(Duration age) {
      this.maxFrameAge = SubscriberOptions.checkAge(age);
      return this;
    }

    /**
     * Sets the frame limit of the late-joiner cache; see {@link ChannelConfig#keyframeCacheMaxFrames()}.
     *
     * @param n 0 to 100,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder keyframeCacheMaxFrames(int n) {
      this.keyframeCacheMaxFrames = range(n, 0, 100_000, "keyframeCacheMaxFrames");
      return this;
    }

    /**
     * Sets the byte limit of the late-joiner cache; see {@link ChannelConfig#keyframeCacheMaxBytes()}.
     *
     * @param n zero or more
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder keyframeCacheMaxBytes(long n) {
      if (n < 0) {
        throw new IllegalArgumentException("keyframeCacheMaxBytes must be >= 0, got " + n);
      }
      this.keyframeCacheMaxBytes = n;
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @return the configuration
     */
    public ChannelConfig build() {
      return new ChannelConfig(this);
    }

    private static int range(int n, int min, int max, String what) {
      if (n < min || n > max) {
        throw new IllegalArgumentException(what + " must be " + min + ".." + max + ", got " + n);
      }
      return n;
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
