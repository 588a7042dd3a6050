package io.framestream.core;

import java.util.Objects;

/** The two {@link ChannelCounters} views: live over a {@link DefaultChannel}, or read from a snapshot. */
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

  /** The counters of a foreign {@link Channel}, read from its statistics snapshot. */
  static final class FromStats implements ChannelCounters {
    private final Channel channel;

    FromStats(Channel channel) {
      this.channel = channel;
    }

    @Override
    public String channel() {
      return channel.name();
    }

    @Override
    public long framesIn() {
      return channel.stats().framesIn();
    }

    @Override
    public long bytesIn() {
      return channel.stats().bytesIn();
    }

    @Override
    public long framesOut() {
      return channel.stats().framesOut();
    }

    @Override
    public long bytesOut() {
      return channel.stats().bytesOut();
    }

    @Override
    public long drops(DropReason reason) {
      return channel.stats().drops().getOrDefault(Objects.requireNonNull(reason, "reason"), 0L);
    }

    @Override
    public long publishRejected() {
      return channel.stats().publishRejected();
    }

    @Override
    public long evictions() {
      return channel.stats().evictions();
    }

    @Override
    public long sinkFailures() {
      return channel.stats().sinkFailures();
    }

    @Override
    public long subscribersRefused() {
      return 0;
    }

    @Override
    public long publishersRefused() {
      return 0;
    }

    @Override
    public long latencyCount() {
      return channel.stats().latency().count();
    }

    @Override
    public long latencyTotalNanos() {
      return 0;
    }

    @Override
    public long latencyMaxNanos() {
      return Math.round(channel.stats().latency().maxMillis() * 1e6);
    }

    @Override
    public long latencyQuantileNanos(double q) {
      checkQuantile(q);
      LatencyStats l = channel.stats().latency();
      double millis = q <= 0.5 ? l.p50Millis() : q <= 0.95 ? l.p95Millis() : q <= 0.99 ? l.p99Millis() : l.maxMillis();
      return Math.round(millis * 1e6);
    }

    @Override
    public String toString() {
      return "ChannelCounters[" + channel.name() + " (from stats)]";
    }
  }
}
