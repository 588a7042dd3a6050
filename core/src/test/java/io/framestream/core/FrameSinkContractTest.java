package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import io.framestream.testkit.RecordingSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Rules K1–K5 seen from the channel's side: how it calls sinks whose callbacks come from other threads. */
class FrameSinkContractTest {

  @Test
  void k2_k3_callsStaySerialWhenCompletionsArriveOnOtherThreads() throws Exception {
    ExecutorService io = Executors.newFixedThreadPool(4);
    try (ChannelRegistry registry = ChannelRegistry.builder().deliveryThreads(4).build()) {
      Channel ch = registry.declare("k3", ChannelConfig.builder().maxInFlight(4).maxQueuedFrames(64).build());
      List<AsyncSink> sinks = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        AsyncSink s = new AsyncSink(io);
        sinks.add(s);
        ch.subscribe(s);
      }
      for (int i = 0; i < 3_000; i++) {
        ch.publish(Frame.builder(new byte[16]).contentType("video/mp4")
            .kind(i % 30 == 0 ? FrameKind.KEY : FrameKind.DELTA).build());
      }
      Await.until("all sinks see the last frame", () -> sinks.stream().allMatch(s -> s.last == 3_000));
      for (AsyncSink s : sinks) {
        assertEquals(0, s.violations.get(), "concurrent calls into one sink");
        assertTrue(s.maxInFlight.get() <= 4, "in flight " + s.maxInFlight.get() + " > maxInFlight 4");
      }
    } finally {
      io.shutdownNow();
    }
  }

  /** Completes each send later on an I/O pool, like a WebSocket container does. */
  private static final class AsyncSink implements FrameSink {
    final ExecutorService io;
    final AtomicInteger inCall = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final AtomicInteger violations = new AtomicInteger();
    volatile long last;

    AsyncSink(ExecutorService io) {
      this.io = io;
    }

    @Override
    public void send(Frame frame, SendCallback callback) {
      if (inCall.incrementAndGet() != 1) {
        violations.incrementAndGet();
      }
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      last = frame.sequence();
      io.execute(() -> {
        inFlight.decrementAndGet();
        callback.completed();
        callback.completed(); // K2: extra calls are ignored
      });
      inCall.decrementAndGet();
    }
  }

  @Test
  void k4_closedComesOnceEvenWhenSeveralThingsEndTheSubscription() {
    try (ChannelRegistry registry = ChannelRegistry.builder().build()) {
      Channel ch = registry.channel("k4");
      RecordingSink s = new RecordingSink(RecordingSink.Mode.MANUAL);
      Subscription sub = ch.subscribe(s);
      ch.publish(Frame.of("image/jpeg", new byte[1]));
      Await.until("in flight", () -> s.count() == 1);
      sub.close();
      s.failAll(new IllegalStateException("late failure")); // after close: ignored
      ch.close();
      Await.until("closed", s::isClosed);
      assertEquals(CloseReason.NORMAL, s.closeReason());
      assertEquals(1, s.closedCalls());
      s.assertRulesHeld();
    }
  }
}
