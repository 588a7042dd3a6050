package io.framestream.benchmarks;

import io.framestream.server.FrameStreamServer;
import io.framestream.transport.websocket.spi.RawFrameSender;

/** Server options that differ between the runs being compared. */
final class BenchServerOptions {

  private BenchServerOptions() {}

  /** Uses the portable Jakarta send path for WebSocket viewers (the "before" of the fast path). */
  static void portable(FrameStreamServer.Builder b) {
    b.webSocket(ws -> ws.rawFrameSender(RawFrameSender.PORTABLE));
  }
}
