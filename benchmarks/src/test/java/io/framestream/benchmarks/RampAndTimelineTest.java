package io.framestream.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The load tool's verdict on a ramp step, and the timeline of a window's slow frames. */
class RampAndTimelineTest {

  private static Result step(long missed, double p99, int connected, long published, double seconds) {
    Result r = new Result();
    r.missedTotal = missed;
    r.p99 = p99;
    r.connected = connected;
    r.framesPublished = published;
    r.seconds = seconds;
    return r;
  }

  @Test
  void aStepIsSustainedOnlyWithoutMissesWithinTheLatencyBoundAtTheAskedRate() {
    // 100 viewers, 203 fps for 4 s: 812 frames asked.
    assertTrue(LoadTool.sustained(step(0, 10.0, 100, 812, 4.0), 100, 203, 50));
    assertTrue(LoadTool.sustained(step(0, 50.0, 100, 772, 4.0), 100, 203, 50), "the bound and 95 % are inclusive");
    assertFalse(LoadTool.sustained(step(125, 4.7, 100, 812, 4.0), 100, 203, 50), "a relay that drops: misses");
    assertFalse(LoadTool.sustained(step(0, 150.8, 100, 812, 4.0), 100, 203, 50), "a relay that queues: latency");
    assertFalse(LoadTool.sustained(step(0, 10.0, 99, 812, 4.0), 100, 203, 50), "a viewer lost");
    assertFalse(LoadTool.sustained(step(0, 10.0, 100, 700, 4.0), 100, 203, 50), "the publisher fell behind");
  }

  @Test
  void theTimelineCountsPerSecondTheFramesSomeViewerGotLaterThanTheP99() {
    ViewerClients.Window w = new ViewerClients.Window(1000, 1, 1);
    // 3 fps, 7 frames (1000..1006): seconds [0, 3), [3, 6), [6, 7).
    long[] worstMicros = {500, 2500, 3000, 100, 200, 300, 2001};
    for (int i = 0; i < worstMicros.length; i++) {
      w.worstBySeq.set(i, worstMicros[i]);
    }
    assertEquals("frames above the p99 per second: 2 0 1", LoadTool.timeline(w, 1007, 3, 2.0));
  }
}
