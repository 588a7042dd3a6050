package io.framestream.benchmarks;

/**
 * A latency histogram with 1 µs buckets up to 10 ms and 100 µs buckets up to 10 s (larger values land in
 * the last bucket). Not thread-safe: one per selector thread, merged at the end.
 */
final class Histogram {

  private static final int FINE = 10_000;
  private static final int COARSE = 99_900;
  private final long[] counts = new long[FINE + COARSE + 1];
  private long total;
  private long maxMicros;

  void record(long nanos) {
    long us = Math.max(0, nanos / 1000);
    int bucket = us < FINE ? (int) us : (int) Math.min(FINE + (us - FINE) / 100, FINE + COARSE);
    counts[bucket]++;
    total++;
    maxMicros = Math.max(maxMicros, us);
  }

  void add(Histogram other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
    maxMicros = Math.max(maxMicros, other.maxMicros);
  }

  long count() {
    return total;
  }

  /** The given percentile in milliseconds (NaN when empty). */
  double percentileMillis(double p) {
    return percentileMillis(p, 0);
  }

  /**
   * The given percentile in milliseconds with {@code never} more samples that never arrived counted as later than
   * any other (infinity when the percentile falls among them; NaN when there is no sample at all).
   */
  double percentileMillis(double p, long never) {
    if (total + never == 0) {
      return Double.NaN;
    }
    long rank = (long) Math.ceil(p / 100.0 * (total + never));
    if (rank > total) {
      return Double.POSITIVE_INFINITY;
    }
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        long us = i < FINE ? i : FINE + (long) (i - FINE) * 100;
        return us / 1000.0;
      }
    }
    return maxMillis();
  }

  double maxMillis() {
    return total == 0 ? Double.NaN : maxMicros / 1000.0;
  }
}
