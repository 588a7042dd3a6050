package io.framestream.core;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Names to {@link Channel}s: validates names, creates channels on demand or accepts only declared ones,
 * enforces limits, closes idle channels, and runs {@link FrameSource}s while a channel has viewers.
 *
 * <p>A registry owns the delivery threads of its channels ({@link Builder#deliveryThreads(int)} of them,
 * plus one timer thread), whatever the number of channels or subscribers. {@link #close()} closes every
 * channel, stops every source, and ends those threads within {@link Builder#shutdownTimeout(Duration)}.
 *
 * <p>Channels created on demand are closed and forgotten after {@link Builder#idleTimeout(Duration)} with
 * no subscriber and no frame; declared channels live until the registry closes (or someone closes them).
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe; every method may be called from any thread, including from sink callbacks.
 *
 * @since 0.1.0
 */
public interface ChannelRegistry extends AutoCloseable {

  /** Default for {@link Builder#maxChannels(int)}: 1,000. */
  int DEFAULT_MAX_CHANNELS = 1_000;
  /** Default for {@link Builder#idleTimeout(Duration)}: 60 s. */
  Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  /** Default for {@link Builder#sourceGracePeriod(Duration)}: 5 s. */
  Duration DEFAULT_SOURCE_GRACE_PERIOD = Duration.ofSeconds(5);
  /** Default for {@link Builder#shutdownTimeout(Duration)}: 5 s. */
  Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Starts a builder with the defaults: channels created on demand, at most {@value #DEFAULT_MAX_CHANNELS}
   * of them.
   *
   * @return a new builder
   */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the named channel, creating it if channels are created on demand.
   *
   * @param name the channel name
   * @return the open channel
   * @throws NullPointerException if {@code name} is {@code null}
   * @throws IllegalArgumentException if the name is invalid (see {@link ChannelNames})
   * @throws NoSuchChannelException if it does not exist and channels are not created on demand
   * @throws LimitExceededException if creating it would exceed the channel limit
   * @throws ChannelClosedException if the registry is closed
   */
  Channel channel(String name);

  /**
   * Returns the named channel if it exists and is open; never creates one.
   *
   * @param name the channel name; an invalid name gives empty
   * @return the channel, or empty
   */
  Optional<Channel> find(String name);

  /**
   * Declares a channel with the registry's default configuration (see {@link #declare(String,
   * ChannelConfig)}).
   *
   * @param name the channel name
   * @return the channel
   * @throws IllegalArgumentException if the name is invalid
   * @throws LimitExceededException if it would exceed the channel limit
   * @throws ChannelClosedException if the registry is closed
   */
  Channel declare(String name);

  /**
   * Declares a channel: it exists even with channels not created on demand, and is never closed for being
   * idle. Declaring an existing channel marks it declared and returns it (its configuration is kept).
   *
   * @param name the channel name
   * @param config the channel's configuration
   * @return the channel
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException if the name is invalid
   * @throws LimitExceededException if it would exceed the channel limit
   * @throws ChannelClosedException if the registry is closed
   */
  Channel declare(String name, ChannelConfig config);

  /**
   * Attaches a source to a channel (declaring the channel if needed): it is started, through a {@link
   * SourceRunner} at the given rate, when the channel gets its first subscriber, and stopped the grace
   * period after the last one leaves. The source is reopened on each start (rule 1 of {@link FrameSource}).
   *
   * @param name the channel name
   * @param source the source
   * @param fps the target rate; 0 runs the source as fast as it returns frames
   * @return the channel
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException if the name or rate is invalid
   * @throws IllegalStateException if the channel already has a source
   * @throws LimitExceededException if it would exceed the channel limit
   * @throws ChannelClosedException if the registry is closed
   */
  Channel attachSource(String name, FrameSource source, double fps);

  /**
   * What a channel's attached source (see {@link #attachSource(String, FrameSource, double)}) is doing.
   *
   * @since 0.4.0
   */
  enum SourceState {
    /** The channel has no attached source (or does not exist). */
    NONE,
    /** A source is attached and waits for the channel's first viewer. */
    IDLE,
    /** A source is attached and its runner runs, from a viewer's arrival until the grace period ends. */
    RUNNING
  }

  /**
   * Tells whether a channel has an attached source and whether it runs now, for dashboards such as {@code
   * /api/channels}. The default answers {@link SourceState#NONE}; the registry of {@link #builder()} knows.
   *
   * @param name the channel name
   * @return the source's state, {@link SourceState#NONE} for an unknown name
   * @since 0.4.0
   */
  default SourceState sourceState(String name) {
    return SourceState.NONE;
  }

  /**
   * Adds a listener that hears about channels opening and closing and their viewers and publishers. It
   * is not told about channels that exist already: call {@link #channels()} after adding it.
   *
   * @param listener the listener; adding the same one twice has no effect
   * @throws NullPointerException if {@code listener} is {@code null}
   */
  void addListener(RegistryListener listener);

  /**
   * Removes a listener added with {@link #addListener(RegistryListener)}; no effect if absent.
   *
   * @param listener the listener
   */
  void removeListener(RegistryListener listener);

  /**
   * Returns a snapshot of the open channels, sorted by name.
   *
   * @return the channels
   */
  List<Channel> channels();

  /**
   * Tells whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  boolean isClosed();

  /**
   * Closes every channel and source and stops the delivery threads, waiting at most the shutdown timeout.
   * Idempotent; safe from any thread (from a delivery thread it does not wait for the pool).
   */
  @Override
  void close();

  /**
   * Builds a {@link ChannelRegistry}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.1.0
   */
  final class Builder {
    boolean createOnDemand = true;
    int maxChannels = DEFAULT_MAX_CHANNELS;
    ChannelConfig channelDefaults = ChannelConfig.DEFAULTS;
    Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    Duration sourceGracePeriod = DEFAULT_SOURCE_GRACE_PERIOD;
    Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    int deliveryThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
    Ticker ticker = Ticker.system();

    Builder() {}

    /**
     * Whether {@link ChannelRegistry#channel(String)} creates unknown channels (default {@code true}).
     * With {@code false}, only declared channels exist.
     *
     * @param onDemand whether to create channels on first use
     * @return this builder
     */
    public Builder createOnDemand(boolean onDemand) {
      this.createOnDemand = onDemand;
      return this;
    }

    /**
     * Sets the most channels open at once.
     *
     * @param n at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxChannels(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxChannels must be >= 1, got " + n);
      }
      this.maxChannels = n;
      return this;
    }

    /**
     * Sets the configuration of channels created on demand or declared without one.
     *
     * @param config the configuration
     * @return this builder
     * @throws NullPointerException if {@code config} is {@code null}
     */
    public Builder channelDefaults(ChannelConfig config) {
      this.channelDefaults = Objects.requireNonNull(config, "config");
      return this;
    }

    /**
     * Sets how long a channel created on demand may have no subscriber and no frame before it is closed
     * and forgotten; {@link Duration#ZERO} keeps idle channels forever.
     *
     * @param timeout zero or positive
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = nonNegative(timeout, "idleTimeout");
      return this;
    }

    /**
     * Sets how long an attached source keeps running after the last subscriber left.
     *
     * @param grace zero or positive
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder sourceGracePeriod(Duration grace) {
      this.sourceGracePeriod = nonNegative(grace, "sourceGracePeriod");
      return this;
    }

    /**
     * Sets how long {@link ChannelRegistry#close()} waits for deliveries and sources to finish.
     *
     * @param timeout zero or positive
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = nonNegative(timeout, "shutdownTimeout");
      return this;
    }

    /**
     * Sets the number of delivery threads shared by all channels (default: the number of processors, at
     * least 2). Sinks never block, so a few threads serve thousands of subscribers.
     *
     * @param n 1 to 256
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder deliveryThreads(int n) {
      if (n < 1 || n > 256) {
        throw new IllegalArgumentException("deliveryThreads must be 1..256, got " + n);
      }
      this.deliveryThreads = n;
      return this;
    }

    /**
     * Sets the time source (default {@link Ticker#system()}). Every delay, timeout, rate and age of the
     * registry, its channels and its sources' runners is measured with it: idle expiry, the source grace
     * period, stall eviction, frame rates and ages, publish limits, statistics, restart delays, stop and
     * shutdown timeouts. Tests pass a manual clock and advance it instead of waiting.
     *
     * @param time the ticker
     * @return this builder
     * @throws NullPointerException if {@code time} is {@code null}
     * @since 0.2.0
     */
    public Builder ticker(Ticker time) {
      this.ticker = Objects.requireNonNull(time, "ticker");
      return this;
    }

    /**
     * Builds the registry and starts its threads.
     *
     * @return a new open registry
     */
    public ChannelRegistry build() {
      return new DefaultChannelRegistry(this);
    }

    private static Duration nonNegative(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative, got " + d);
      }
      return d;
    }
  }
}
