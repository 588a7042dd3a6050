package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import io.framestream.testkit.ManualClock;
import io.framestream.testkit.RecordingSink;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The channel's delivery rules C1–C8 of docs/contract.md, each against real delivery threads. Time (stall
 * timeout, frame rate, frame age) is a {@link ManualClock} the tests advance.
 */
class ChannelTest {

  private final ManualClock clock = new ManualClock();
  private ChannelRegistry registry;

  @BeforeEach
  void setUp() {
    registry = ChannelRegistry.builder().deliveryThreads(2).ticker(clock).build();
  }

  /** Waits until two sweeps of the channel finished: at least one began after this call. */
  private static void awaitSweeps(Channel ch) {
    DefaultChannel impl = (DefaultChannel) ch;
    long done = impl.sweepsForTest();
    Await.until("two sweeps", () -> impl.sweepsForTest() >= done + 2);
  }

  @AfterEach
  void tearDown() {
    registry.close();
  }

  private Channel channel(ChannelConfig config) {
    return registry.declare("test", config);
  }

  static Frame image(int n) {
    return Frame.of("image/jpeg", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) n});
  }

  static Frame video(FrameKind kind, int n) {
    return Frame.builder(new byte[] {(byte) n}).contentType("video/mp4").kind(kind).build();
  }

  @Test
  void c1_publishDoesNotBlockOnASinkThatNeverCompletes() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    RecordingSink stuck = new RecordingSink(RecordingSink.Mode.NEVER);
    RecordingSink fast = RecordingSink.immediate();
    ch.subscribe(stuck);
    ch.subscribe(fast);
    long start = System.nanoTime();
    for (int i = 0; i < 5_000; i++) {
      ch.publish(image(i));
    }
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(elapsedMs < 5_000, "5,000 publishes took " + elapsedMs + " ms");
    Await.until("fast subscriber gets the newest frame", () -> fast.lastSequence() == 5_000);
    assertEquals(1, stuck.count(), "the stuck sink holds its one frame in flight, nothing more");
    ChannelStats stats = ch.stats();
    assertTrue(stats.queuedFrames() + stats.inFlightFrames() <= 3, "retained: " + stats);
  }

  @Test
  void c1_everySubscriberGetsTheSameFrameInstance() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    RecordingSink a = RecordingSink.immediate();
    RecordingSink b = RecordingSink.immediate();
    ch.subscribe(a);
    ch.subscribe(b);
    Frame published = ch.publish(image(1));
    Await.until("both receive", () -> a.count() == 1 && b.count() == 1);
    assertSame(published, a.frames().get(0));
    assertSame(published, b.frames().get(0), "the frame is shared, never copied per subscriber");
    assertEquals(1, published.sequence());
  }

  @Test
  void c2_newestWinsForImages() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    RecordingSink slow = new RecordingSink(RecordingSink.Mode.MANUAL);
    Subscription sub = ch.subscribe(slow);
    ch.publish(image(1));
    Await.until("first frame in flight", () -> slow.count() == 1);
    for (int i = 2; i <= 10; i++) {
      ch.publish(image(i));
    }
    assertEquals(1, sub.stats().queued(), "only the newest waits");
    slow.completeAll();
    Await.until("newest delivered", () -> slow.count() == 2);
    slow.completeAll();
    assertEquals(List.of(1L, 10L), slow.sequences());
    assertEquals(8L, sub.stats().drops().get(DropReason.SUPERSEDED));
    assertEquals(8L, ch.stats().drops().get(DropReason.SUPERSEDED));
  }

  @Test
  void c3_codecStreamSkipsToTheNextKeyAndNeverDeliversAnOrphanDelta() {
    Channel ch = channel(ChannelConfig.builder().maxQueuedFrames(3).build());
    RecordingSink slow = new RecordingSink(RecordingSink.Mode.MANUAL);
    Subscription sub = ch.subscribe(slow);
    ch.publish(video(FrameKind.INIT, 0)); // seq 1
    Await.until("init in flight", () -> slow.count() == 1);
    ch.publish(video(FrameKind.KEY, 1)); // 2: queued
    for (int i = 0; i < 6; i++) {
      ch.publish(video(FrameKind.DELTA, 2)); // 3,4 queued (3 live frames max), 5 overflows -> skip to key
    }
    ch.publish(video(FrameKind.INIT, 3)); // 9: never dropped
    ch.publish(video(FrameKind.DELTA, 4)); // 10: after a new INIT, wait for its KEY
    ch.publish(video(FrameKind.KEY, 5)); // 11
    ch.publish(video(FrameKind.DELTA, 6)); // 12
    slow.drainUntil(12);
    // INIT 1 in flight; a new INIT supersedes the waiting KEY 2 and deltas 3,4 of the old stream.
    assertEquals(List.of(1L, 9L, 11L, 12L), slow.sequences());
    RecordingSink.assertNoOrphanDelta(slow.frames());
    assertTrue(sub.stats().drops().get(DropReason.SKIPPED_TO_KEY) >= 4, sub.stats().toString());
  }

  @Test
  void c3_deltasResumeOnlyAtTheNextKey() {
    Channel ch = channel(ChannelConfig.builder().maxQueuedFrames(2).build());
    RecordingSink slow = new RecordingSink(RecordingSink.Mode.MANUAL);
    ch.subscribe(slow);
    ch.publish(video(FrameKind.KEY, 0)); // 1 in flight
    Await.until("key in flight", () -> slow.count() == 1);
    ch.publish(video(FrameKind.DELTA, 1)); // 2 queued
    ch.publish(video(FrameKind.DELTA, 2)); // 3 queued
    ch.publish(video(FrameKind.DELTA, 3)); // 4 overflow: skip to key
    ch.publish(video(FrameKind.DELTA, 4)); // 5 skipped
    ch.publish(video(FrameKind.KEY, 5)); // 6 supersedes 2,3
    ch.publish(video(FrameKind.DELTA, 6)); // 7
    slow.drainUntil(7);
    assertEquals(List.of(1L, 6L, 7L), slow.sequences());
    RecordingSink.assertNoOrphanDelta(slow.frames());
  }

  @Test
  void c4_lateJoinerGetsInitThenKeyThenTheDeltasAfterIt() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    ch.publish(video(FrameKind.INIT, 0)); // 1
    ch.publish(video(FrameKind.KEY, 1)); // 2
    ch.publish(video(FrameKind.DELTA, 2)); // 3
    ch.publish(video(FrameKind.KEY, 3)); // 4
    ch.publish(video(FrameKind.DELTA, 4)); // 5
    ch.publish(video(FrameKind.DELTA, 5)); // 6
    RecordingSink late = RecordingSink.immediate();
    ch.subscribe(late);
    Await.until("catch-up delivered", () -> late.count() == 4);
    ch.publish(video(FrameKind.DELTA, 6)); // 7 live
    Await.until("live frame", () -> late.count() == 5);
    assertEquals(List.of(1L, 4L, 5L, 6L, 7L), late.sequences());
    assertEquals(FrameKind.INIT, late.frames().get(0).kind());
    assertEquals(FrameKind.KEY, late.frames().get(1).kind());
    RecordingSink.assertNoOrphanDelta(late.frames());
  }

  @Test
  void c4_lateJoinerOfAnImageStreamSeesTheNewestImageAtOnce() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    for (int i = 0; i < 5; i++) {
      ch.publish(image(i));
    }
    RecordingSink late = RecordingSink.immediate();
    ch.subscribe(late);
    Await.until("newest image", () -> late.count() == 1);
    assertEquals(5L, late.lastSequence());
  }

  @Test
  void c4_lateJoinerWaitsForAKeyWhenTheGroupWasTooLongToCache() {
    Channel ch = channel(ChannelConfig.builder().keyframeCacheMaxFrames(2).build());
    ch.publish(video(FrameKind.INIT, 0)); // 1
    ch.publish(video(FrameKind.KEY, 1)); // 2
    for (int i = 0; i < 3; i++) {
      ch.publish(video(FrameKind.DELTA, 2)); // 3,4,5: the third overflows the cache
    }
    RecordingSink late = RecordingSink.immediate();
    ch.subscribe(late);
    Await.until("init", () -> late.count() == 1);
    ch.publish(video(FrameKind.DELTA, 3)); // 6: undecodable for the late joiner
    ch.publish(video(FrameKind.KEY, 4)); // 7
    Await.until("next key", () -> late.count() == 2);
    assertEquals(List.of(1L, 7L), late.sequences());
  }

  @Test
  void c5_stalledSubscriberIsEvictedAfterStallTimeoutAndReleased() {
    Channel ch = channel(ChannelConfig.builder().stallTimeout(Duration.ofMillis(300)).build());
    RecordingSink stuck = new RecordingSink(RecordingSink.Mode.NEVER);
    RecordingSink healthy = RecordingSink.immediate();
    Subscription s = ch.subscribe(stuck);
    ch.subscribe(healthy);
    ch.publish(image(1));
    Await.until("frame 1 in flight", () -> stuck.count() == 1);
    ch.publish(image(2));
    Await.until("the healthy one has frame 2", () -> healthy.lastSequence() == 2);
    clock.advanceMillis(300);
    awaitSweeps(ch);
    assertFalse(stuck.isClosed(), "no completion for exactly stallTimeout: not yet evicted");
    assertEquals(1, s.stats().queued());
    clock.advanceMillis(1);
    Await.until("evicted", stuck::isClosed);
    assertEquals(CloseReason.Code.STALLED, stuck.closeReason().code());
    assertTrue(stuck.closeReason().message().contains("stallTimeout"), stuck.closeReason().message());
    assertTrue(s.isClosed());
    assertEquals(0, s.stats().queued(), "the waiting frame is released at once");
    assertEquals(1, ch.subscriberCount());
    assertEquals(1, ch.stats().evictions());
    ch.publish(image(3));
    Await.until("healthy keeps receiving", () -> healthy.lastSequence() == 3);
    stuck.assertRulesHeld();
  }

  /**
   * Publishes 100 frames, one every 10 ms of the clock, waiting after each until the subscriber has it or is
   * held by its rate; then lets the clock run on by {@code tail}. A subscriber held to f frames per second decides to
   * send at least 1/f apart, so it receives at most (1 s + tail) * f + 1 of them.
   */
  private void publishOneSecondAt100Fps(Channel ch, RecordingSink sink, Subscription sub, Duration tail) {
    for (int i = 1; i <= 100; i++) {
      ch.publish(image(i));
      long published = i;
      Await.until("frame " + i + " delivered or held", () -> sink.lastSequence() == published
          || ((DefaultSubscription) sub).heldByRateForTest());
      clock.advanceMillis(10);
    }
    clock.advance(tail);
    Await.until("the newest frame arrives", () -> sink.lastSequence() == 100);
  }

  @Test
  void c6_maxFpsHoldsASubscriberToItsRate() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    RecordingSink capped = RecordingSink.immediate();
    RecordingSink free = RecordingSink.immediate();
    Subscription cappedSub = ch.subscribe(capped, SubscriberOptions.DEFAULTS.withMaxFps(10));
    Subscription freeSub = ch.subscribe(free);
    publishOneSecondAt100Fps(ch, capped, cappedSub, Duration.ofMillis(100));
    int got = capped.count();
    assertTrue(got <= 12 && got >= 2, "10 fps for 1.1 s: at most 12 frames, got " + got);
    assertTrue(cappedSub.stats().drops().get(DropReason.RATE_LIMITED) > 0);
    capped.assertInOrder();
    Await.until("the free subscriber has the newest frame", () -> free.lastSequence() == 100);
    assertEquals(0L, freeSub.stats().drops().get(DropReason.RATE_LIMITED), "the free subscriber is not held");
  }

  @Test
  void c6_channelCapLimitsSubscribersThatAskForMore() {
    Channel ch = channel(ChannelConfig.builder().maxFpsPerSubscriber(5).build());
    RecordingSink sink = RecordingSink.immediate();
    Subscription sub = ch.subscribe(sink, SubscriberOptions.DEFAULTS.withMaxFps(100));
    publishOneSecondAt100Fps(ch, sink, sub, Duration.ofMillis(200));
    assertTrue(sink.count() <= 7, "capped at 5 fps for 1.2 s, not 100 fps: got " + sink.count());
  }

  /** A sink whose sends complete one at a time, when the test says. */
  private static final class OneByOneSink implements FrameSink {
    final List<Long> sequences = new CopyOnWriteArrayList<>();
    final ConcurrentLinkedQueue<SendCallback> pending = new ConcurrentLinkedQueue<>();

    @Override
    public void send(Frame frame, SendCallback callback) {
      pending.add(callback);
      sequences.add(frame.sequence());
    }

    @Override
    public void closed(CloseReason reason) {}

    /** Completes the one send in flight. */
    void completeOne() {
      SendCallback cb = pending.poll();
      assertTrue(cb != null, "a send in flight");
      cb.completed();
    }
  }

  @Test
  void c6_framesOlderThanMaxAgeAreNotDelivered() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    OneByOneSink slow = new OneByOneSink();
    Subscription sub = ch.subscribe(slow, SubscriberOptions.DEFAULTS.withMaxFrameAge(Duration.ofMillis(100)));
    ch.publish(image(1));
    Await.until("in flight", () -> slow.sequences.size() == 1);
    ch.publish(image(2)); // waits
    clock.advanceMillis(100);
    slow.completeOne();
    Await.until("frame 2, exactly maxFrameAge old, is delivered", () -> slow.sequences.size() == 2);
    ch.publish(image(3)); // waits behind frame 2, then ages
    clock.advanceMillis(101);
    slow.completeOne();
    Await.until("dropped as too old", () -> sub.stats().drops().get(DropReason.TOO_OLD) == 1);
    assertEquals(List.of(1L, 2L), slow.sequences);
    ch.publish(image(4));
    Await.until("fresh frame delivered", () -> slow.sequences.size() == 3);
    assertEquals(4L, slow.sequences.get(2));
  }

  /** Rates and latency in the statistics are measured with the registry's clock, to the nanosecond. */
  @Test
  void stats_ratesAndLatencyFollowTheClock() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    OneByOneSink slow = new OneByOneSink();
    Subscription sub = ch.subscribe(slow);
    ch.publish(image(1));
    Await.until("in flight", () -> slow.sequences.size() == 1);
    clock.advanceMillis(250);
    slow.completeOne();
    Await.until("latency recorded", () -> ch.stats().latency().count() == 1);
    assertEquals(250.0, sub.stats().latencyMaxMillis(), 1e-9);
    assertEquals(250.0, ch.stats().latency().maxMillis(), 1e-9);
    for (int i = 2; i <= 10; i++) {
      ch.publish(image(i));
      int sent = i;
      Await.until("frame " + i + " in flight", () -> slow.sequences.size() == sent);
      slow.completeOne();
    }
    Await.until("ten delivered", () -> ch.stats().framesOut() == 10);
    assertEquals(0.0, ch.stats().fpsIn(), "no rate before a whole second of the clock");
    clock.advanceMillis(750);
    Await.until("the rates are sampled", () -> ch.stats().fpsIn() > 0 && sub.stats().fpsOut() > 0);
    assertEquals(10.0, ch.stats().fpsIn(), 1e-9, "10 frames in one second of the clock");
    assertEquals(10.0, ch.stats().fpsOut(), 1e-9);
    assertEquals(10.0, sub.stats().fpsOut(), 1e-9);
  }

  @Test
  void c7_aThrowingSinkClosesOnlyItsOwnSubscription() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    AtomicReference<CloseReason> closed = new AtomicReference<>();
    FrameSink throwing = new FrameSink() {
      @Override
      public void send(Frame frame, SendCallback callback) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void closed(CloseReason reason) {
        closed.set(reason);
      }
    };
    RecordingSink failing = new RecordingSink(RecordingSink.Mode.MANUAL);
    RecordingSink healthy = RecordingSink.immediate();
    Subscription t = ch.subscribe(throwing);
    Subscription f = ch.subscribe(failing);
    ch.subscribe(healthy);
    ch.publish(image(1));
    Await.until("failing sink got the frame", () -> failing.count() == 1);
    failing.frames(); // the callback reports failure asynchronously
    Await.until("throwing sink told it is closed", () -> closed.get() != null);
    assertTrue(t.isClosed());
    assertEquals(CloseReason.Code.SINK_FAILED, closed.get().code());
    assertTrue(closed.get().message().contains("boom"));
    completeWithFailure(failing);
    Await.until("failed sink told it is closed", failing::isClosed);
    assertTrue(f.isClosed());
    assertEquals(CloseReason.Code.SINK_FAILED, failing.closeReason().code());
    for (int i = 2; i <= 20; i++) {
      ch.publish(image(i));
    }
    Await.until("healthy unaffected", () -> healthy.lastSequence() == 20);
    healthy.assertInOrder();
    assertEquals(2, ch.stats().sinkFailures());
    assertEquals(1, ch.subscriberCount());
  }

  private static void completeWithFailure(RecordingSink sink) {
    // MANUAL mode keeps the callbacks; fail them instead of completing.
    sink.failAll(new java.io.IOException("connection reset"));
  }

  @Test
  void c8_closeEndsEverySubscriptionExactlyOnceAndIsIdempotent() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    RecordingSink a = RecordingSink.immediate();
    RecordingSink b = new RecordingSink(RecordingSink.Mode.NEVER);
    Subscription sa = ch.subscribe(a);
    ch.subscribe(b);
    ch.publish(image(1));
    ch.close();
    ch.close();
    Await.until("both closed", () -> a.isClosed() && b.isClosed());
    assertEquals(CloseReason.Code.CHANNEL_CLOSED, a.closeReason().code());
    assertTrue(sa.isClosed());
    assertThrows(ChannelClosedException.class, () -> ch.publish(image(2)));
    assertThrows(ChannelClosedException.class, () -> ch.subscribe(RecordingSink.immediate()));
    sa.close(); // closing a closed subscription is harmless
    assertEquals(1, a.closedCalls());
    assertEquals(1, b.closedCalls());
    a.assertRulesHeld();
    b.assertRulesHeld();
  }

  @Test
  void c8_closeFromInsideASinkCallbackIsSafe() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    AtomicInteger closedCalls = new AtomicInteger();
    ch.subscribe(new FrameSink() {
      @Override
      public void send(Frame frame, SendCallback callback) {
        ch.close(); // from a delivery thread, inside send
        callback.completed();
      }

      @Override
      public void closed(CloseReason reason) {
        closedCalls.incrementAndGet();
      }
    });
    RecordingSink other = RecordingSink.immediate();
    ch.subscribe(other);
    ch.publish(image(1));
    Await.until("closed", ch::isClosed);
    Await.until("terminal signals", () -> closedCalls.get() == 1 && other.isClosed());
    assertEquals(1, other.closedCalls());
  }

  @Test
  void c8_unsubscribeSignalsClosedOnceWithNormal() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    RecordingSink s = RecordingSink.immediate();
    Subscription sub = ch.subscribe(s);
    sub.close();
    Await.until("closed", s::isClosed);
    assertEquals(CloseReason.NORMAL, s.closeReason());
    assertEquals(0, ch.subscriberCount());
    assertFalse(ch.isClosed());
  }

  @Test
  void channelIsAFrameSink() {
    Channel ch = channel(ChannelConfig.DEFAULTS);
    RecordingSink s = RecordingSink.immediate();
    ch.subscribe(s);
    AtomicInteger completed = new AtomicInteger();
    ch.send(image(1), new SendCallback() {
      @Override
      public void completed() {
        completed.incrementAndGet();
      }

      @Override
      public void failed(Throwable cause) {}
    });
    assertEquals(1, completed.get());
    Await.until("delivered", () -> s.count() == 1);
  }

  @Test
  void subscriberLimitIsEnforcedWithAClearError() {
    Channel ch = channel(ChannelConfig.builder().maxSubscribers(2).build());
    ch.subscribe(RecordingSink.immediate());
    ch.subscribe(RecordingSink.immediate());
    LimitExceededException e = assertThrows(LimitExceededException.class, () -> ch.subscribe(RecordingSink.immediate()));
    assertTrue(e.getMessage().contains("maxSubscribers"), e.getMessage());
  }

  @Test
  void standaloneChannelWorksWithoutARegistry() {
    try (Channel ch = Channel.create("standalone")) {
      RecordingSink s = RecordingSink.immediate();
      ch.subscribe(s);
      ch.publish(image(1));
      Await.until("delivered", () -> s.count() == 1);
    }
    assertThrows(IllegalArgumentException.class, () -> Channel.create("bad name"));
  }
}
