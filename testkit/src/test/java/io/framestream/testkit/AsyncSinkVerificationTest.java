package io.framestream.testkit;

import io.framestream.core.Frame;
import io.framestream.core.FrameSink;
import io.framestream.core.SendCallback;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The verification passes for a sink that completes on another thread, as a network sink does, and that fails
 * through its callback when its "peer" is gone.
 */
class AsyncSinkVerificationTest extends FrameSinkVerification {

  private final ExecutorService io = Executors.newSingleThreadExecutor();

  /** Hands each frame to an I/O thread, which reports the outcome. */
  static final class AsyncSink implements FrameSink {
    private final ExecutorService io;
    private final boolean peerGone;

    AsyncSink(ExecutorService io, boolean peerGone) {
      this.io = io;
      this.peerGone = peerGone;
    }

    @Override
    public void send(Frame frame, SendCallback callback) {
      io.execute(() -> {
        if (peerGone) {
          callback.failed(new IOException("connection reset"));
        } else {
          callback.completed();
        }
      });
    }
  }

  @Override
  protected FrameSink createSink() {
    return new AsyncSink(io, false);
  }

  @Override
  protected FrameSink createFailingSink() {
    return new AsyncSink(io, true);
  }
}
