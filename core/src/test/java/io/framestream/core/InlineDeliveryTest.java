package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import io.framestream.testkit.RecordingSink;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rule C1's exception: a sink that asks for it ({@link FrameSink#inline()}) is called on the publishing thread
 * after the publish released the channel's lock; every other sink stays on the delivery pool, and an inline
 * sink that throws or is busy harms no one.
 */
class InlineDeliveryTest {

  private ChannelRegistry registry;

  @BeforeEach
  void setUp() {
    registry = ChannelRegistry.builder().deliveryThreads(2).build();
  }

  @AfterEach
  void tearDown() {
    registry.close();
  }

  /** A recording sink that asks to be called inline, noting each call's thread. */
  private static final class InlineSink implements FrameSink {
    final RecordingSink recorder;
    final List<Thread> threads = new CopyOnWriteArrayList<>();

    InlineSink(RecordingSink.Mode mode) {
      this.recorder = new RecordingSink(mode);
    }

    @Override
    public void send(Frame frame, SendCallback callback) {
      threads.add(Thread.currentThread());
      recorder.send(frame, callback);
    }

    @Override
    public void closed(CloseReason reason) {
      recorder.closed(reason);
    }

    @Override
    public boolean inline() {
      return true;
    }
  }

  /** A sink that asks to run inline, made of a send and (optionally) a closed handler. */
  private static FrameSink inline(FrameSink send, java.util.function.Consumer<CloseReason> onClosed) {
    return new FrameSink() {
      @Override
      public void send(Frame frame, SendCallback callback) {
        send.send(frame, callback);
      }

      @Override
      public void closed(CloseReason reason) {
        onClosed.accept(reason);
      }

      @Override
      public boolean inline() {
        return true;
      }
    };
  }

  @Test
  void c1_inlineSinkRunsOnThePublishingThreadAfterTheChannelLock() throws Exception {
    Channel ch = registry.declare("inline", ChannelConfig.DEFAULTS);
    AtomicReference<Thread> thread = new AtomicReference<>();
    AtomicReference<Throwable> lockHeld = new AtomicReference<>();
    FrameSink probe = inline((frame, callback) -> {
      thread.set(Thread.currentThread());
      // Another thread subscribes (which takes the channel's lock) while this call runs: it must not wait.
      try {
        CompletableFuture.runAsync(() -> ch.subscribe(FrameSink.of(f -> { }))).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        lockHeld.set(e);
      }
      callback.completed();
    }, reason -> { });
    ch.subscribe(probe);
    ch.publish(ChannelTest.image(1));
    assertSame(Thread.currentThread(), thread.get(), "called on the publishing thread before publish returned");
    assertEquals(null, lockHeld.get(), "the channel's lock was free during the inline call");
    assertEquals(2, ch.subscriberCount());
  }

  @Test
  void c1_sinksThatDoNotAskStayOnTheDeliveryPool() {
    Channel ch = registry.declare("pool", ChannelConfig.DEFAULTS);
    List<Thread> threads = new CopyOnWriteArrayList<>();
    AtomicReference<Long> last = new AtomicReference<>(0L);
    InlineSink inline = new InlineSink(RecordingSink.Mode.IMMEDIATE);
    ch.subscribe((frame, callback) -> {
      threads.add(Thread.currentThread());
      last.set(frame.sequence());
      callback.completed();
    });
    ch.subscribe(inline);
    for (int i = 1; i <= 5; i++) {
      ch.publish(ChannelTest.image(i));
    }
    Await.until("the pool's sink got the newest (older ones may be superseded)", () -> last.get() == 5);
    for (Thread t : threads) {
      assertNotSame(Thread.currentThread(), t);
      assertTrue(t.getName().contains("-delivery-"), t.getName());
    }
    assertEquals(5, inline.recorder.count(), "the inline sink had every frame when publish returned");
    inline.threads.forEach(t -> assertSame(Thread.currentThread(), t));
    inline.recorder.assertInOrder();
  }

  @Test
  void c7_aThrowingInlineSinkClosesOnlyItsOwnSubscription() {
    Channel ch = registry.declare("throwing", ChannelConfig.DEFAULTS);
    AtomicReference<CloseReason> closed = new AtomicReference<>();
    Subscription bad = ch.subscribe(inline((frame, callback) -> {
      throw new IllegalStateException("boom");
    }, closed::set));
    InlineSink inline = new InlineSink(RecordingSink.Mode.IMMEDIATE);
    RecordingSink pooled = RecordingSink.immediate();
    ch.subscribe(inline);
    ch.subscribe(pooled);
    for (int i = 1; i <= 20; i++) {
      int n = i;
      assertDoesNotThrow(() -> ch.publish(ChannelTest.image(n)));
    }
    Await.until("the thrower is told", () -> closed.get() != null);
    assertEquals(CloseReason.Code.SINK_FAILED, closed.get().code());
    assertTrue(bad.isClosed());
    assertEquals(20, inline.recorder.lastSequence());
    Await.until("the pool's sink got the newest", () -> pooled.lastSequence() == 20);
    inline.recorder.assertInOrder();
    assertEquals(2, ch.subscriberCount());
  }

  @Test
  void c2_aBusyInlineSinkGetsTheNewestFrameWhenItsSendCompletes() {
    Channel ch = registry.declare("busy", ChannelConfig.DEFAULTS);
    InlineSink sink = new InlineSink(RecordingSink.Mode.MANUAL);
    Subscription subscription = ch.subscribe(sink);
    ch.publish(ChannelTest.image(1));
    assertEquals(1, sink.recorder.count(), "the first frame went out inline");
    for (int i = 2; i <= 6; i++) {
      ch.publish(ChannelTest.image(i));
    }
    assertEquals(1, sink.recorder.count(), "one frame in flight: the rest wait in the mailbox");
    sink.recorder.completeAll(); // completes on this thread: the next drain goes to the pool
    Await.until("the newest follows", () -> sink.recorder.count() == 2);
    assertEquals(6, sink.recorder.lastSequence(), "newest wins (C2)");
    assertTrue(sink.threads.get(1).getName().contains("-delivery-"), "after a completion: the pool");
    assertEquals(4L, subscription.stats().drops().get(DropReason.SUPERSEDED), "frames 2-5 were superseded");
    sink.recorder.completeAll();
    ch.publish(ChannelTest.image(7));
    Await.until("and the next one", () -> sink.recorder.lastSequence() == 7);
    sink.recorder.assertInOrder();
  }

  @Test
  void c1_anInlineSinkThatPublishesToAnotherChannelFeedsItsInlineSinksToo() {
    Channel downstream = registry.declare("down", ChannelConfig.DEFAULTS);
    InlineSink viewer = new InlineSink(RecordingSink.Mode.IMMEDIATE);
    downstream.subscribe(viewer);
    Channel upstream = registry.declare("up", ChannelConfig.DEFAULTS);
    upstream.subscribe(inline((frame, callback) -> {
      downstream.publish(ChannelTest.image((int) frame.sequence()));
      callback.completed();
    }, reason -> { }));
    for (int i = 1; i <= 10; i++) {
      upstream.publish(ChannelTest.image(i));
    }
    assertEquals(10, viewer.recorder.count(), "every relayed frame reached the downstream viewer inline");
    viewer.threads.forEach(t -> assertSame(Thread.currentThread(), t));
    viewer.recorder.assertInOrder();
  }

  @Test
  void c7_anUndeclaredCheckedExceptionFromAnInlineSinkHarmsNoOtherSink() {
    Channel ch = registry.declare("sneaky", ChannelConfig.DEFAULTS);
    AtomicReference<CloseReason> closed = new AtomicReference<>();
    ch.subscribe(inline((frame, callback) ->
        InlineDeliveryTest.<RuntimeException>sneakyThrow(new java.io.IOException("undeclared")), closed::set));
    InlineSink after = new InlineSink(RecordingSink.Mode.IMMEDIATE);
    ch.subscribe(after);
    for (int i = 1; i <= 6; i++) {
      int n = i;
      assertDoesNotThrow(() -> ch.publish(ChannelTest.image(n)));
    }
    assertEquals(6, after.recorder.count(), "the sink after the thrower got every frame");
    Await.until("the thrower is closed", () -> closed.get() != null);
    assertEquals(CloseReason.Code.SINK_FAILED, closed.get().code());
  }

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
    throw (T) t;
  }

  @Test
  void c1_onePublishRunsABoundedNumberOfInlineSinksAndThePoolTheRest() {
    Channel ch = registry.declare("wide", ChannelConfig.DEFAULTS);
    int sinks = Dispatcher.INLINE_MAX_DRAINS + 200;
    List<String> threads = subscribeNotingThreads(ch, sinks);
    String publisher = Thread.currentThread().getName();
    ch.publish(ChannelTest.image(1));
    long onPublisher = threads.stream().filter(publisher::equals).count();
    assertTrue(onPublisher <= Dispatcher.INLINE_MAX_DRAINS, onPublisher + " ran on the publishing thread");
    Await.until("every sink got the frame", () -> threads.size() == sinks);
    assertTrue(threads.stream().filter(t -> t.contains("-delivery-")).count() >= 200,
        "the rest ran on the pool: " + (sinks - onPublisher));
  }

  /** Subscribes that many inline sinks that complete at once; the list notes each call's thread name. */
  private static List<String> subscribeNotingThreads(Channel ch, int sinks) {
    List<String> threads = new CopyOnWriteArrayList<>();
    for (int i = 0; i < sinks; i++) {
      ch.subscribe(inline((frame, callback) -> {
        threads.add(Thread.currentThread().getName());
        callback.completed();
      }, reason -> { }));
    }
    return threads;
  }
}
