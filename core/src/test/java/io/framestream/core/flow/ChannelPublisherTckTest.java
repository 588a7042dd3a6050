package io.framestream.core.flow;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.Frame;
import io.framestream.core.ImageFrames;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;

/**
 * Rule P1: {@link ChannelPublisher} against the Reactive Streams TCK's publisher verification (TestNG, run
 * by the JUnit Platform's TestNG engine).
 *
 * <p>The TCK asks for a publisher of exactly {@code n} elements, but a channel is a hot source that drops
 * what a subscriber does not request in time (newest wins, rule C2). So each TCK publisher is a fresh
 * channel fed cooperatively: the next frame is published when the subscriber has received the previous one,
 * and the channel is closed after the {@code n}-th. Nothing is dropped then, and what the TCK checks is the
 * adapter itself: demand, serial signals, cancellation, termination and no unbounded recursion. Dropping is
 * tested in {@link FlowAdaptersTest}.
 *
 * <p>Skipped by the TCK: the {@code untested_*} cases (the TCK has no test for them) and the optional
 * multicast cases ({@code optional_spec111_multicast_*}): each subscriber here gets its own fed channel, and
 * a {@link Frame} has identity, not value, equality, so two subscribers' frames never compare equal.
 * (On one real channel, every subscriber does get the same frame instances, rule C1.)
 */
public class ChannelPublisherTckTest extends FlowPublisherVerification<Frame> {

  private static final AtomicInteger CHANNELS = new AtomicInteger();

  /** Creates the verification with the TCK's default timeouts. */
  public ChannelPublisherTckTest() {
    super(new TestEnvironment(1_000, 200));
  }

  static Frame frame(long n) {
    return ImageFrames.image(n, 4);
  }

  @Override
  public Flow.Publisher<Frame> createFlowPublisher(long elements) {
    return subscriber -> {
      Objects.requireNonNull(subscriber, "subscriber");
      Channel channel = Channel.create("tck-" + CHANNELS.incrementAndGet());
      ChannelPublisher publisher = ChannelPublisher.of(channel);
      if (elements == 0) {
        publisher.subscribe(subscriber);
        channel.close(); // an empty stream: onSubscribe, then onComplete
        return;
      }
      publisher.subscribe(new Feeding(subscriber, channel, elements));
      publishQuietly(channel, 1);
    };
  }

  @Override
  public Flow.Publisher<Frame> createFailedFlowPublisher() {
    Channel closed = Channel.create("tck-failed");
    closed.close();
    return ChannelPublisher.of(closed);
  }

  @Override
  public long maxElementsFromPublisher() {
    return Long.MAX_VALUE - 1;
  }

  private static void publishQuietly(Channel channel, long n) {
    try {
      channel.publish(frame(n));
    } catch (ChannelClosedException e) {
      // cancelled meanwhile
    }
  }

  /** Passes every signal on; publishes the next frame after each one received, closes after the last. */
  private static final class Feeding implements Flow.Subscriber<Frame> {
    private final Flow.Subscriber<? super Frame> delegate;
    private final Channel channel;
    private final long elements;
    private long received;

    Feeding(Flow.Subscriber<? super Frame> delegate, Channel channel, long elements) {
      this.delegate = delegate;
      this.channel = channel;
      this.elements = elements;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      delegate.onSubscribe(new Flow.Subscription() {
        @Override
        public void request(long n) {
          subscription.request(n);
        }

        @Override
        public void cancel() {
          subscription.cancel();
          channel.close();
        }
      });
    }

    @Override
    public void onNext(Frame item) {
      delegate.onNext(item);
      if (++received == elements) {
        channel.close();
      } else {
        publishQuietly(channel, received + 1);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      channel.close();
      delegate.onError(throwable);
    }

    @Override
    public void onComplete() {
      channel.close();
      delegate.onComplete();
    }
  }
}
