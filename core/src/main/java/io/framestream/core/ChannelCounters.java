package io.framestream.core;

import java.util.Objects;

/**
 * A live, read-only view of one channel's cumulative counters, for metrics systems that read single values
 * often (a Prometheus scrape, a Micrometer {@code FunctionCounter}). Unlike {@link Channel#stats()}, which
 * builds a snapshot, each method reads one counter: O(1) and allocation-free (the latency quantiles scan a
 * fixed array of a few hundred buckets). Values only grow while the channel is open (the counters are never
 * reset) and stay readable after it closes.
 *
 * <p>The counters are the ones behind {@link ChannelStats}: frames and bytes published ({@code In}) and
 * completed by sinks ({@code Out}), drops by {@link DropReason}, frames refused by publishers' rate limits,
 * stalled subscribers evicted, failed sinks, subscribers and publishers refused by the channel's limits,
 * and the publish-to-delivery latency (the time from {@link Channel#publish(Frame)} to the sink's {@link
 * SendCallback#completed()}), recorded at send completion into a fixed log-scale histogram (8 buckets per
 * power of two from 1 µs, about 9 % resolution).
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe; any thread may read at any time. Each value is read on its own (two values read one after
 * the other may straddle a delivery).
 *
 * @since 0.4.0
 */
public interface ChannelCounters {

  /**
   * Returns the live counters of a channel (one view per channel; calling again returns the same).
   *
   * @param channel a channel made by {@link Channel#create(String)} or a {@link ChannelRegistry}
   * @return its counters
   * @throws NullPointerException if {@code channel} is {@code null}
   * @throws IllegalArgumentException if the channel is another implementation of {@link Channel}
   */
  static ChannelCounters of(Channel channel) {
    Objects.requireNonNull(channel, "channel");
    if (channel instanceof DefaultChannel) {
      return ((DefaultChannel) channel).counters();
    }
    throw new IllegalArgumentException("not a channel of framestream-core: " + channel.getClass().getName());
  }

  /**
   * Returns the channel's name.
   *
   * @return the name
   */
  String channel();

  /**
   * Returns the frames published.
   *
   * @return the count
   */
  long framesIn();

  /**
   * Returns the payload bytes published.
   *
   * @return the count
   */
  long bytesIn();

  /**
   * Returns the frames completed by all sinks.
   *
   * @return the count
   */
  long framesOut();

  /**
   * Returns the payload bytes completed by all sinks.
   *
   * @return the count
   */
  long bytesOut();

  /**
   * Returns the frames not delivered to some subscriber for one reason.
   *
   * @param reason the reason
   * @return the count
   */
  long drops(DropReason reason);

  /**
   * Returns the frames publishers dropped by their rate limits ({@link ChannelConfig#maxPublishFps()} and
   * the byte rate).
   *
   * @return the count
   */
  long publishRejected();

  /**
   * Returns the subscribers evicted as stalled ({@link CloseReason.Code#STALLED}).
   *
   * @return the count
   */
  long evictions();

  /**
   * Returns the subscriptions closed because their sink failed ({@link CloseReason.Code#SINK_FAILED}).
   *
   * @return the count
   */
  long sinkFailures();

  /**
   * Returns the subscribers refused because the channel had {@link ChannelConfig#maxSubscribers()} viewers.
   *
   * @return the count
   */
  long subscribersRefused();

  /**
   * Returns the publishers refused because the channel had {@link ChannelConfig#maxPublishers()}.
   *
   * @return the count
   */
  long publishersRefused();

  /**
   * Returns how many deliveries had their publish-to-delivery latency measured (one per completed frame).
   *
   * @return the count
   */
  long latencyCount();

  /**
   * Returns the sum of all measured publish-to-delivery latencies.
   *
   * @return nanoseconds
   */
  long latencyTotalNanos();

  /**
   * Returns the largest measured publish-to-delivery latency.
   *
   * @return nanoseconds, 0 if none
   */
  long latencyMaxNanos();

  /**
   * Returns a quantile of the publish-to-delivery latency: the upper edge of the histogram bucket that
   * holds it (about 9 % above the true value at most), capped at the maximum.
   *
   * @param q the quantile, from 0 to 1 (0.99 for the 99th percentile)
   * @return nanoseconds, 0 if nothing was measured
   * @throws IllegalArgumentException if {@code q} is outside 0..1
   */
  long latencyQuantileNanos(double q);
}
