package io.framestream.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The load tool's verdict on a ramp step, the percentile that counts misses, and a window's timeline. */
class RampAndTimelineTest {

  private static Result step(double p99CountingMisses, int connected, long published) {
    Result r = new Result();
    r.p99CountingMisses = p99CountingMisses;
    r.connected = connected;
    r.framesPublished = published;
    r.seconds = 4.0;
    return r;
  }

  @Test
  void aStepIsSustainedWhen99PercentOfItsFramesArriveWithinTheBoundAtTheAskedRate() {
    // 100 viewers, 203 fps for 4 s: 812 frames asked.
    assertTrue(LoadTool.sustained(step(10.0, 100, 812), 100, 203, 50));
    assertTrue(LoadTool.sustained(step(50.0, 100, 772), 100, 203, 50), "the bound and 95 % are inclusive");
    assertFalse(LoadTool.sustained(step(Double.POSITIVE_INFINITY, 100, 812), 100, 203, 50),
        "a relay that drops: over 1 % missed");
    assertFalse(LoadTool.sustained(step(150.8, 100, 812), 100, 203, 50), "a relay that queues: latency");
    assertFalse(LoadTool.sustained(step(10.0, 99, 812), 100, 203, 50), "a viewer lost");
    assertFalse(LoadTool.sustained(step(10.0, 100, 700), 100, 203, 50), "the publisher fell behind");
    assertFalse(LoadTool.sustained(step(Double.NaN, 100, 812), 100, 203, 50), "nothing due");
  }

  @Test
  void aStopSaysEveryConditionTheStepFailed() {
    assertEquals("", LoadTool.unsustained(step(10.0, 100, 812), 100, 203, 50));
    assertEquals("1 viewer(s) lost, publisher below 95 % of the rate, p99 above 50 ms",
        LoadTool.unsustained(step(60.0, 99, 700), 100, 203, 50));
    assertEquals("over 1 % of frames missed",
        LoadTool.unsustained(step(Double.POSITIVE_INFINITY, 100, 812), 100, 203, 50));
    assertEquals("no latency measured", LoadTool.unsustained(step(Double.NaN, 100, 812), 100, 203, 50));
  }

  @Test
  void missedFramesCountAsLaterThanEveryDelivery() {
    Histogram h = new Histogram();
    for (int i = 0; i < 99; i++) {
      h.record(1_000_000); // 1 ms
    }
    h.record(7_000_000); // 7 ms
    assertEquals(1.0, h.percentileMillis(99, 0));
    assertEquals(7.0, h.percentileMillis(99, 1), "101 due, rank 100: the slowest delivery");
    assertEquals(Double.POSITIVE_INFINITY, h.percentileMillis(99, 2), "102 due, rank 101: a missed frame");
    assertEquals(Double.POSITIVE_INFINITY, new Histogram().percentileMillis(99, 5));
    assertTrue(Double.isNaN(new Histogram().percentileMillis(99, 0)));
  }

  @Test
  void theTimelineCountsPerSecondTheFramesSomeViewerGotLaterThanTheP99() {
    ViewerClients.Window w = new ViewerClients.Window(1000, 1, 1, true);
    // 3 fps, 7 frames (1000..1006): seconds [0, 3), [3, 6), [6, 7).
    long[] worstMicros = {500, 2500, 3000, 100, 200, 300, 2001};
    for (int i = 0; i < worstMicros.length; i++) {
      w.worstBySeq.set(i, worstMicros[i]);
    }
    assertEquals("frames some viewer got later than the p99, per second: 2 0 1", LoadTool.timeline(w, 1007, 3, 2.0));
    // At 6 fps the same frames are one second and a part.
    assertEquals("frames some viewer got later than the p99, per second: 2 1", LoadTool.timeline(w, 1007, 6, 2.0));
  }
}
