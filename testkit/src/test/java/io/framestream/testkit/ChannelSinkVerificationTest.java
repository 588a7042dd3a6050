package io.framestream.testkit;

import io.framestream.core.Channel;
import io.framestream.core.FrameSink;

/** The verification passes for the library's own busiest sink: a {@link Channel}, which a relay feeds. */
class ChannelSinkVerificationTest extends FrameSinkVerification {

  @Override
  protected FrameSink createSink() {
    return Channel.create("verified");
  }

  /** A closed channel fails every send through the callback (K5). */
  @Override
  protected FrameSink createFailingSink() {
    Channel closed = Channel.create("closed");
    closed.close();
    return closed;
  }

  @Override
  protected void disposeSink(FrameSink sink) {
    ((Channel) sink).close();
  }
}
