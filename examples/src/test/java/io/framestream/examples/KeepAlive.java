package io.framestream.examples;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import io.framestream.core.FrameSink;
import io.framestream.core.SendCallback;
import io.framestream.core.Subscription;

/** A viewer inside the server that keeps a channel's attached source running, for tests that need it on. */
final class KeepAlive {

  private KeepAlive() {}

  /** Subscribes a sink that accepts every frame at once and calls {@code onFrame} with each. */
  static Subscription subscribe(Channel channel, Runnable onFrame) {
    return channel.subscribe(new FrameSink() {
      @Override
      public void send(Frame frame, SendCallback callback) {
        onFrame.run();
        callback.completed();
      }
    });
  }
}
