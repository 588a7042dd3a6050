package io.framestream.core.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelCounters;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelState;
import io.framestream.core.CloseReason;
import io.framestream.core.DropReason;
import io.framestream.core.Frame;
import io.framestream.core.ImageFrames;
import io.framestream.core.LimitExceededException;
import io.framestream.testkit.Await;
import io.framestream.testkit.ManualClock;
import io.framestream.testkit.RecordingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rules P1 (a channel as a {@code Flow.Publisher}) and P2 (a {@code Flow.Subscriber} that publishes into a
 * channel) on real channels and delivery threads; the TCK covers the specification's rules in {@link
 * ChannelPublisherTckTest} and {@link ChannelSubscriberTckTest}.
 */
class FlowAdaptersTest {

  private final ManualClock clock = new ManualClock();
  private final ChannelRegistry registry = ChannelRegistry.builder().deliveryThreads(2).ticker(clock).build();

  @AfterEach
  void tearDown() {
    registry.close();
  }

  private static Frame image(int n) {
    return ImageFrames.image(n, 4);
  }

  /** Records every signal; requests only when the test says so. */
  private static final class Probe implements Flow.Subscriber<Frame> {
    final List<Long> sequences = new ArrayList<>();
    final AtomicInteger completes = new AtomicInteger();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final AtomicInteger signals = new AtomicInteger();
    volatile Flow.Subscription subscription;

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      signals.incrementAndGet();
    }

    @Override
    public void onNext(Frame item) {
      synchronized (sequences) {
        sequences.add(item.sequence());
      }
      signals.incrementAndGet();
    }

    @Override
    public void onError(Throwable throwable) {
      error.set(throwable);
      signals.incrementAndGet();
    }

    @Override
    public void onComplete() {
      completes.incrementAndGet();
      signals.incrementAndGet();
    }

    List<Long> sequences() {
      synchronized (sequences) {
        return List.copyOf(sequences);
      }
    }
  }

  @Test
  void p1_neverMoreOnNextThanRequestedAndTheNewestFrameWins() {
    Channel ch = registry.declare("flow");
    ChannelCounters counters = ChannelCounters.of(ch);
    Probe probe = new Probe();
    ChannelPublisher.of(ch).subscribe(probe);
    assertEquals(1, ch.subscriberCount());
    ch.publish(image(1)); // handed over, waits for demand
    Await.until("frame 1 waits at the subscriber", () -> ch.stats().inFlightFrames() == 1);
    for (int i = 2; i <= 5; i++) {
      ch.publish(image(i)); // 2, 3 and 4 are replaced by newer frames while waiting
    }
    assertEquals(3, counters.drops(DropReason.SUPERSEDED));
    assertEquals(List.of(), probe.sequences(), "no demand, no onNext");
    probe.subscription.request(1);
    Await.until("frame 1 delivered", () -> probe.sequences().size() == 1);
    Await.until("frame 5 waits at the subscriber", () -> ch.stats().inFlightFrames() == 1);
    assertEquals(List.of(1L), probe.sequences());
    probe.subscription.request(3);
    Await.until("frame 5 delivered", () -> probe.sequences().size() == 2);
    assertEquals(List.of(1L, 5L), probe.sequences());
    for (int i = 6; i <= 7; i++) {
      Await.until("nothing in flight", () -> ch.stats().inFlightFrames() == 0);
      ch.publish(image(i)); // paced: one at a time, so that nothing is replaced
      int n = i - 3;
      Await.until("frame " + i + " delivered", () -> probe.sequences().size() == n);
    }
    assertEquals(List.of(1L, 5L, 6L, 7L), probe.sequences());
    assertEquals(4, counters.framesOut(), "a frame counts as delivered when onNext returned");
    assertEquals(4, counters.latencyCount());
    ch.publish(image(8));
    Await.until("frame 8 waits: the demand is used up", () -> ch.stats().inFlightFrames() == 1);
    assertEquals(4, probe.sequences().size());
  }

  @Test
  void p1_cancelUnsubscribesAndNothingFollows() {
    Channel ch = registry.declare("flow");
    Probe probe = new Probe();
    ChannelPublisher.of(ch).subscribe(probe);
    probe.subscription.request(Long.MAX_VALUE);
    ch.publish(image(1));
    Await.until("frame 1", () -> probe.sequences().size() == 1);
    int signals = probe.signals.get();
    probe.subscription.cancel();
    assertEquals(0, ch.subscriberCount());
    ch.publish(image(2));
    ch.close();
    probe.subscription.request(1);
    probe.subscription.cancel();
    assertEquals(signals, probe.signals.get(), "no signal after cancel");
  }

  @Test
  void p1_closingTheChannelCompletesAfterTheRequestedFrames() {
    Channel ch = registry.declare("flow");
    Probe probe = new Probe();
    ChannelPublisher.of(ch).subscribe(probe);
    probe.subscription.request(2);
    ch.publish(image(1));
    Await.until("frame 1", () -> probe.sequences().size() == 1);
    ch.close();
    Await.until("completed", () -> probe.completes.get() == 1);
    assertNull(probe.error.get());
    assertEquals(List.of(1L), probe.sequences());
  }

  @Test
  void p1_aSubscriberWithoutDemandIsEvictedAsStalledWithOnError() {
    Channel ch = registry.declare("flow", ChannelConfig.builder().stallTimeout(Duration.ofSeconds(2)).build());
    Probe probe = new Probe();
    ChannelPublisher.of(ch).subscribe(probe);
    ch.publish(image(1));
    Await.until("frame 1 waits", () -> ch.stats().inFlightFrames() == 1);
    clock.advanceMillis(2_500);
    Await.until("onError", () -> probe.error.get() != null);
    SubscriptionEndedException e = assertInstanceOf(SubscriptionEndedException.class, probe.error.get());
    assertEquals(CloseReason.Code.STALLED, e.reason().code());
    assertEquals(1, ChannelCounters.of(ch).evictions());
    assertEquals(List.of(), probe.sequences());
    assertEquals(0, ch.subscriberCount());
  }

  @Test
  void p1_aRefusedSubscriberGetsOnSubscribeThenOnError() {
    Channel closed = registry.declare("closed");
    closed.close();
    Probe probe = new Probe();
    ChannelPublisher.of(closed).subscribe(probe);
    assertInstanceOf(ChannelClosedException.class, probe.error.get());
    assertEquals(2, probe.signals.get(), "onSubscribe, then onError");

    Channel full = registry.declare("full", ChannelConfig.builder().maxSubscribers(1).build());
    full.subscribe(RecordingSink.immediate());
    Probe refused = new Probe();
    ChannelPublisher.of(full).subscribe(refused);
    assertInstanceOf(LimitExceededException.class, refused.error.get());
    assertThrows(NullPointerException.class, () -> ChannelPublisher.of(full).subscribe(null));
  }

  @Test
  void p1_aThrowingOnNextCancelsAndCountsAFailedSink() {
    Channel ch = registry.declare("flow");
    AtomicInteger calls = new AtomicInteger();
    AtomicReference<Flow.Subscription> sub = new AtomicReference<>();
    ChannelPublisher.of(ch).subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        sub.set(s);
        s.request(10);
      }

      @Override
      public void onNext(Frame item) {
        calls.incrementAndGet();
        throw new IllegalStateException("boom");
      }

      @Override
      public void onError(Throwable throwable) {
        calls.addAndGet(100);
      }

      @Override
      public void onComplete() {
        calls.addAndGet(1_000);
      }
    });
    ch.publish(image(1));
    Await.until("the sink failure is counted", () -> ChannelCounters.of(ch).sinkFailures() == 1);
    ch.publish(image(2));
    ch.close();
    assertEquals(1, calls.get(), "one onNext, then nothing");
  }

  /** A subscription that records the largest demand outstanding at once. */
  private static final class CountingSubscription implements Flow.Subscription {
    final AtomicLong outstanding = new AtomicLong();
    final AtomicLong maxOutstanding = new AtomicLong();
    volatile boolean cancelled;

    @Override
    public void request(long n) {
      maxOutstanding.accumulateAndGet(outstanding.addAndGet(n), Math::max);
    }

    @Override
    public void cancel() {
      cancelled = true;
    }

    void delivered() {
      outstanding.decrementAndGet();
    }
  }

  @Test
  void p2_subscriberPublishesEveryFrameWithBoundedDemand() {
    Channel ch = registry.declare("in");
    RecordingSink viewer = RecordingSink.immediate();
    ch.subscribe(viewer);
    ChannelSubscriber subscriber = ChannelSubscriber.of(ch, "test upstream", 3);
    CountingSubscription upstream = new CountingSubscription();
    subscriber.onSubscribe(upstream);
    assertEquals(3, upstream.outstanding.get(), "the window is requested up front");
    assertEquals(1, ch.publisherCount());
    assertEquals(ChannelState.ONLINE, ch.state().orElseThrow());
    for (int i = 1; i <= 20; i++) {
      upstream.delivered();
      subscriber.onNext(image(i));
      int n = i;
      Await.until("frame " + i + " reaches the viewer", () -> viewer.lastSequence() == n);
    }
    assertEquals(3, upstream.maxOutstanding.get(), "never more than the window outstanding");
    assertEquals(20, subscriber.publishedFrames());
    assertEquals(20, ChannelCounters.of(ch).framesIn());
    subscriber.onComplete();
    assertTrue(subscriber.isDone());
    assertTrue(subscriber.failure().isEmpty());
    assertEquals(0, ch.publisherCount());
    assertEquals(ChannelState.OFFLINE, ch.state().orElseThrow());
    assertFalse(ch.isClosed(), "the channel stays open");

    CountingSubscription second = new CountingSubscription();
    subscriber.onSubscribe(second);
    assertTrue(second.cancelled, "rule 2.5: a second subscription is cancelled");
  }

  @Test
  void p2_aClosedChannelCancelsTheUpstream() {
    Channel ch = registry.declare("in");
    ChannelSubscriber subscriber = ChannelSubscriber.of(ch);
    CountingSubscription upstream = new CountingSubscription();
    subscriber.onSubscribe(upstream);
    ch.close();
    subscriber.onNext(image(1));
    assertTrue(upstream.cancelled);
    assertInstanceOf(ChannelClosedException.class, subscriber.failure().orElseThrow());

    Channel taken = registry.declare("taken");
    taken.openPublisher("someone else");
    CountingSubscription refused = new CountingSubscription();
    ChannelSubscriber second = ChannelSubscriber.of(taken);
    second.onSubscribe(refused);
    assertTrue(refused.cancelled, "maxPublishers 1: refused and cancelled");
    assertEquals(0, refused.outstanding.get());
    assertInstanceOf(LimitExceededException.class, second.failure().orElseThrow());
  }

  @Test
  void p1p2_aJdkPublisherFeedsAChannelThatFeedsAFlowSubscriber() throws Exception {
    Channel ch = registry.declare("relay");
    Probe probe = new Probe();
    ChannelPublisher.of(ch).subscribe(probe);
    probe.subscription.request(Long.MAX_VALUE);
    ChannelSubscriber into = ChannelSubscriber.of(ch);
    List<Frame> sent = new ArrayList<>();
    try (SubmissionPublisher<Frame> source = new SubmissionPublisher<>()) {
      source.subscribe(into);
      Await.until("subscribed", () -> ch.publisherCount() == 1);
      for (int i = 1; i <= 10; i++) {
        Frame f = image(i);
        sent.add(f);
        source.submit(f);
        int n = i;
        Await.until("frame " + i + " relayed", () -> probe.sequences().size() == n);
      }
    }
    Await.until("the upstream completed", into::isDone);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), probe.sequences());
    assertArrayEquals(sent.get(9).copyPayload(), ch.latestFrame().orElseThrow().copyPayload());
    ch.close();
    Await.until("completed", () -> probe.completes.get() == 1);
  }
}
