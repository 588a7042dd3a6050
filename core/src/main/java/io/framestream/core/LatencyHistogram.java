package io.framestream.core;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * A lock-free log-scale histogram of durations in nanoseconds: 8 sub-buckets per power of two (about 9 %
 * resolution) from 1 µs to about 18 minutes.
 */
final class LatencyHistogram {

  private static final int SUB_BITS = 3;
  private static final int SUB = 1 << SUB_BITS;
  private static final int MIN_SHIFT = 10; // values below 1024 ns share the first bucket
  private static final int OCTAVES = 31;
  private static final int BUCKETS = OCTAVES * SUB;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final LongAdder total = new LongAdder();
  private final LongAdder sumNanos = new LongAdder();
  private final LongAccumulator max = new LongAccumulator(Math::max, 0);

  void record(long nanos) {
    long v = Math.max(0, nanos);
    counts.incrementAndGet(bucket(v));
    total.increment();
    sumNanos.add(v);
    max.accumulate(v);
  }

  /** How many values were recorded. */
  long count() {
    return total.sum();
  }

  /** The sum of the recorded values, in nanoseconds (for a timer's total). */
  long totalNanos() {
    return sumNanos.sum();
  }

  /** The largest recorded value, 0 if none. */
  long maxNanos() {
    return max.get();
  }

  /**
   * The upper edge of the bucket holding quantile {@code q} (capped at the maximum), 0 if empty. Reads the
   * buckets twice and allocates nothing; concurrent recording may shift the answer by a bucket.
   */
  long quantileNanos(double q) {
    long n = 0;
    for (int i = 0; i < BUCKETS; i++) {
      n += counts.get(i);
    }
    if (n == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(q * n));
    long seen = 0;
    int i = 0;
    for (; i < BUCKETS - 1; i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        break;
      }
    }
    return Math.min(upperBound(i), max.get());
  }

  static int bucket(long v) {
    if (v < (1L << MIN_SHIFT)) {
      return 0;
    }
    int msb = 63 - Long.numberOfLeadingZeros(v);
    int octave = msb - MIN_SHIFT + 1;
    if (octave >= OCTAVES) {
      return BUCKETS - 1;
    }
    int sub = (int) ((v >>> (msb - SUB_BITS)) & (SUB - 1));
    return octave * SUB + sub;
  }

  /** The upper edge of a bucket, in nanoseconds. */
  static long upperBound(int bucket) {
    if (bucket < SUB) {
      return 1L << MIN_SHIFT;
    }
    int octave = bucket / SUB;
    int sub = bucket % SUB;
    int msb = octave + MIN_SHIFT - 1;
    return (1L << msb) + ((long) (sub + 1) << (msb - SUB_BITS));
  }

  LatencyStats snapshot() {
    long[] c = new long[BUCKETS];
    long n = 0;
    for (int i = 0; i < BUCKETS; i++) {
      c[i] = counts.get(i);
      n += c[i];
    }
    if (n == 0) {
      return LatencyStats.EMPTY;
    }
    long maxNanos = max.get();
    return new LatencyStats(n, millis(percentile(c, n, 0.50), maxNanos), millis(percentile(c, n, 0.95), maxNanos),
        millis(percentile(c, n, 0.99), maxNanos), maxNanos / 1e6);
  }

  private static long percentile(long[] c, long n, double q) {
    long rank = (long) Math.ceil(q * n);
    long seen = 0;
    for (int i = 0; i < c.length; i++) {
      seen += c[i];
      if (seen >= rank) {
        return upperBound(i);
      }
    }
    return upperBound(c.length - 1);
  }

  private static double millis(long bucketUpper, long maxNanos) {
    return Math.min(bucketUpper, maxNanos) / 1e6;
  }
}
