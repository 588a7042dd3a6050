package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

  @Test
  void bucketsAreMonotonicAndTight() {
    long prevUpper = 0;
    for (int b = 0; b < 31 * 8; b++) {
      long upper = LatencyHistogram.upperBound(b);
      assertTrue(upper >= prevUpper, "bucket " + b);
      prevUpper = upper;
    }
    for (long v = 1; v < (1L << 40); v = v * 3 + 7) {
      int b = LatencyHistogram.bucket(v);
      assertTrue(LatencyHistogram.upperBound(b) >= v, "value " + v + " above its bucket");
      if (v >= 1024) {
        assertTrue(LatencyHistogram.upperBound(b) <= v * 1.13, "bucket of " + v + " too wide");
      }
    }
  }

  @Test
  void percentilesAreWithinTheBucketResolution() {
    LatencyHistogram h = new LatencyHistogram();
    for (int ms = 1; ms <= 100; ms++) {
      h.record(ms * 1_000_000L);
    }
    LatencyStats s = h.snapshot();
    assertEquals(100, s.count());
    assertEquals(50, s.p50Millis(), 50 * 0.13);
    assertEquals(95, s.p95Millis(), 95 * 0.13);
    assertEquals(99, s.p99Millis(), 99 * 0.13);
    assertEquals(100, s.maxMillis(), 1e-9);
    assertEquals(LatencyStats.EMPTY, new LatencyHistogram().snapshot());
  }
}
