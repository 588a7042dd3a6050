package io.framestream.core;

/**
 * A summary of publish-to-delivery latencies: the time from {@link Channel#publish(Frame)} to the sink's
 * {@link SendCallback#completed()}. Percentiles come from a log-scale histogram and are accurate to
 * about 10 %.
 *
 * <h2>Thread safety</h2>
 *
 * An immutable record.
 *
 * @param count how many deliveries were measured
 * @param p50Millis the median, in milliseconds
 * @param p95Millis the 95th percentile
 * @param p99Millis the 99th percentile
 * @param maxMillis the largest measured value
 * @since 0.1.0
 */
public record LatencyStats(long count, double p50Millis, double p95Millis, double p99Millis, double maxMillis) {

  /** No measurements. */
  public static final LatencyStats EMPTY = new LatencyStats(0, 0, 0, 0, 0);
}
