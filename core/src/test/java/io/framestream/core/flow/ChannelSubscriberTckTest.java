package io.framestream.core.flow;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowSubscriberBlackboxVerification;
import org.testng.annotations.AfterClass;

/** Rule P2: {@link ChannelSubscriber} against the Reactive Streams TCK's subscriber verification. */
public class ChannelSubscriberTckTest extends FlowSubscriberBlackboxVerification<Frame> {

  private static final AtomicInteger CHANNELS = new AtomicInteger();
  private final Queue<Channel> channels = new ConcurrentLinkedQueue<>();

  /** Creates the verification with the TCK's default timeouts. */
  public ChannelSubscriberTckTest() {
    super(new TestEnvironment(1_000, 200));
  }

  @Override
  public Flow.Subscriber<Frame> createFlowSubscriber() {
    Channel channel = Channel.create("tck-sub-" + CHANNELS.incrementAndGet());
    channels.add(channel);
    return ChannelSubscriber.of(channel);
  }

  @Override
  public Frame createElement(int element) {
    return ChannelPublisherTckTest.frame(element);
  }

  /** Closes the channels the verification created. */
  @AfterClass
  public void closeChannels() {
    Channel c;
    while ((c = channels.poll()) != null) {
      c.close();
    }
  }
}
