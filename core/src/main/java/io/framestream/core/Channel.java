package io.framestream.core;

import java.util.Optional;

/**
 * A named fan-out point: frames published into it are handed to every subscriber, each through its own
 * small bounded mailbox, so that every subscriber gets the newest frame with low latency and no subscriber
 * can slow down, starve or grow the memory of another.
 *
 * <h2>Delivery rules</h2>
 *
 * (Numbered in {@code docs/contract.md}, section "Channel".)
 *
 * <ol>
 *   <li>{@link #publish(Frame)} never blocks on subscribers and costs O(1) per subscriber: the same
 *       immutable frame goes to every mailbox; the payload is never copied per subscriber.
 *   <li>Each subscriber has at most {@link ChannelConfig#maxInFlight()} frames in flight and a bounded
 *       queue. Independent frames (every {@link FrameKind#KEY}, such as images): the newest wins; a waiting
 *       frame replaced by a newer one is counted as a drop ({@link DropReason#SUPERSEDED}).
 *   <li>Codec streams: a {@link FrameKind#DELTA} that does not fit makes that subscriber skip to the next
 *       {@link FrameKind#KEY} ({@link DropReason#SKIPPED_TO_KEY}); no delta whose reference was dropped is
 *       ever delivered. At most one {@link FrameKind#INIT} waits per subscriber: a newer one replaces it and the
 *       frames of its stream ({@link DropReason#SUPERSEDED}); the newest is never dropped.
 *   <li>A late joiner first receives the current {@code INIT} (if any), then the newest {@code KEY} and the
 *       deltas published after it, then live frames, in sequence order.
 *   <li>A subscriber with a frame in flight and no progress for {@link ChannelConfig#stallTimeout()} is
 *       evicted ({@link CloseReason.Code#STALLED}); its queue is released at once.
 *   <li>Optional per-subscriber caps: {@link SubscriberOptions#maxFps()} (limited further by {@link
 *       ChannelConfig#maxFpsPerSubscriber()}) and {@link SubscriberOptions#maxFrameAge()}.
 *   <li>A sink that throws or fails closes only its own subscription ({@link CloseReason.Code#SINK_FAILED}).
 *   <li>Every subscription ends exactly once, with {@link FrameSink#closed(CloseReason)}; {@link #close()}
 *       ends all of them with {@link CloseReason.Code#CHANNEL_CLOSED}.
 * </ol>
 *
 * <p>A channel is itself a {@link FrameSink}: {@code send} publishes and completes at once.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. Any thread may publish, subscribe, read stats or close, including from inside a sink
 * callback. Frames are delivered to sinks on a small shared delivery pool (never on the publishing thread),
 * serially per subscriber; no thread is created per subscriber.
 *
 * @since 0.1.0
 */
public interface Channel extends FrameSink, AutoCloseable {

  /**
   * Creates a stand-alone channel (not part of a {@link ChannelRegistry}) with the default configuration.
   * Stand-alone channels deliver on a JVM-wide pool of daemon threads, one per available processor.
   *
   * @param name the channel name; see {@link ChannelNames}
   * @return a new open channel
   * @throws NullPointerException if {@code name} is {@code null}
   * @throws IllegalArgumentException if the name is invalid
   */
  static Channel create(String name) {
    return create(name, ChannelConfig.DEFAULTS);
  }

  /**
   * Creates a stand-alone channel with the given configuration; see {@link #create(String)}.
   *
   * @param name the channel name; see {@link ChannelNames}
   * @param config the configuration
   * @return a new open channel
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException if the name is invalid
   */
  static Channel create(String name, ChannelConfig config) {
    return new DefaultChannel(ChannelNames.requireValid(name), config, Dispatcher.shared(), null);
  }

  /**
   * Returns the channel name.
   *
   * @return the name
   */
  String name();

  /**
   * Publishes a frame to every subscriber. The channel stamps a copy of the frame (sharing its payload)
   * with the next sequence number and the publication time.
   *
   * @param frame the frame
   * @return the published frame, carrying its sequence number
   * @throws NullPointerException if {@code frame} is {@code null}
   * @throws ChannelClosedException if the channel is closed
   */
  Frame publish(Frame frame);

  /**
   * Subscribes a sink with default options. The sink first receives the late-joiner frames (rule 4).
   *
   * @param sink receives frames
   * @return the subscription
   * @throws NullPointerException if {@code sink} is {@code null}
   * @throws ChannelClosedException if the channel is closed
   * @throws LimitExceededException if the channel has its maximum number of subscribers
   */
  default Subscription subscribe(FrameSink sink) {
    return subscribe(sink, SubscriberOptions.DEFAULTS);
  }

  /**
   * Subscribes a sink.
   *
   * @param sink receives frames
   * @param options per-subscriber options
   * @return the subscription
   * @throws NullPointerException if an argument is {@code null}
   * @throws ChannelClosedException if the channel is closed
   * @throws LimitExceededException if the channel has its maximum number of subscribers
   */
  Subscription subscribe(FrameSink sink, SubscriberOptions options);

  /**
   * Opens a publisher on the channel: counted against {@link ChannelConfig#maxPublishers()}, rate-limited,
   * and making the channel {@link ChannelState#ONLINE} until closed.
   *
   * @param description who publishes, for logs and messages (for example a remote address)
   * @return the publisher handle
   * @throws NullPointerException if {@code description} is {@code null}
   * @throws LimitExceededException if the channel has its maximum number of publishers
   * @throws ChannelClosedException if the channel is closed
   */
  Publisher openPublisher(String description);

  /**
   * Returns the number of open publishers.
   *
   * @return the publisher count
   */
  int publisherCount();

  /**
   * Returns whether the channel is online, once it ever had a publisher.
   *
   * @return the state, or empty for a channel that never had a {@link Publisher}
   */
  Optional<ChannelState> state();

  /**
   * Returns the current init frame of a codec stream.
   *
   * @return the newest {@link FrameKind#INIT} frame, or empty
   */
  Optional<Frame> initFrame();

  /**
   * Returns the newest key frame (for image streams, the newest image).
   *
   * @return the newest {@link FrameKind#KEY} frame since the current init frame, or empty
   */
  Optional<Frame> latestKeyFrame();

  /**
   * Returns the newest frame of any kind.
   *
   * @return the newest published frame, or empty
   */
  Optional<Frame> latestFrame();

  /**
   * Returns the number of open subscriptions.
   *
   * @return the subscriber count
   */
  int subscriberCount();

  /**
   * Returns a snapshot of the channel's statistics.
   *
   * @return the statistics
   */
  ChannelStats stats();

  /**
   * Returns the configuration the channel was built with.
   *
   * @return the configuration
   */
  ChannelConfig config();

  /**
   * Tells whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  boolean isClosed();

  /** Publishes the frame and completes the callback at once; fails it if the channel is closed. */
  @Override
  default void send(Frame frame, SendCallback callback) {
    try {
      publish(frame);
    } catch (ChannelClosedException e) {
      callback.failed(e);
      return;
    }
    callback.completed();
  }

  /**
   * Closes the channel: no more publishing, and every subscription ends with {@link
   * CloseReason.Code#CHANNEL_CLOSED}. Idempotent; safe from any thread, including a sink callback.
   */
  @Override
  void close();
}
