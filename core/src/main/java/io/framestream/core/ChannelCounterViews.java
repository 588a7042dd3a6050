package io.framestream.core;

import java.util.Objects;

/** The {@link ChannelCounters} of a {@link DefaultChannel}: reads its adders, its histogram and its lock-guarded sums. */
final class ChannelCounterViews {

  private ChannelCounterViews() {}

  /**
   * Checks a quantile argument.
   *
   * @param q the quantile
   * @return {@code q}
   * @throws IllegalArgumentException if outside 0..1 or NaN
   */
  static double checkQuantile(double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("quantile must be within 0..1, got " + q);
    }
    return q;
  }

  /** The counters of a {@link DefaultChannel}: reads its adders, its histogram and its lock-guarded sums. */
  static final class Live implements ChannelCounters {
    private final DefaultChannel channel;
    private final LatencyHistogram latency;

    Live(DefaultChannel channel, LatencyHistogram latency) {
      this.channel = channel;
      this.latency = latency;
    }

    @Override
    public String channel() {
      return channel.name();
    }

    @Override
    public long framesIn() {
      return channel.framesInCount();
    }

    @Override
    public long bytesIn() {
      return channel.bytesInCount();
    }

    @Override
    public long framesOut() {
      return channel.framesOutCount();
    }

    @Override
    public long bytesOut() {
      return channel.bytesOutCount();
    }

    @Override
    public long drops(DropReason reason) {
      return channel.dropCount(Objects.requireNonNull(reason, "reason"));
    }

    @Override
    public long publishRejected() {
      return channel.publishRejectedCount();
    }

    @Override
    public long evictions() {
      return channel.evictionCount();
    }

    @Override
    public long sinkFailures() {
      return channel.sinkFailureCount();
    }

    @Override
    public long subscribersRefused() {
      return channel.subscribersRefusedCount();
    }

    @Override
    public long publishersRefused() {
      return channel.publishersRefusedCount();
    }

    @Override
    public long latencyCount() {
      return latency.count();
    }

    @Override
    public long latencyTotalNanos() {
      return latency.totalNanos();
    }

    @Override
    public long latencyMaxNanos() {
      return latency.maxNanos();
    }

    @Override
    public long latencyQuantileNanos(double q) {
      return latency.quantileNanos(checkQuantile(q));
    }

    @Override
    public String toString() {
      return "ChannelCounters[" + channel.name() + "]";
    }
  }
}
