package io.framestream.benchmarks;

import io.framestream.server.FrameStreamServer;

/** Server options that differ between the runs being compared. */
final class BenchServerOptions {

  private BenchServerOptions() {}

  /** Uses the portable Jakarta send path for WebSocket viewers (the "before" of the fast path). */
  static void portable(FrameStreamServer.Builder b) {
    // Filled in with the fast path: until then every run is portable.
  }
}
