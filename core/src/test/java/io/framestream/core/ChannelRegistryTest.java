package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import io.framestream.testkit.ManualClock;
import io.framestream.testkit.RecordingSink;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Registry rules R1–R7 of docs/contract.md, and S5 for sources the registry restarts. */
class ChannelRegistryTest {

  @Test
  void r1_namesAreValidatedWithAClearError() {
    try (ChannelRegistry registry = ChannelRegistry.builder().build()) {
      assertEquals("cam-1.front_B", registry.channel("cam-1.front_B").name());
      registry.channel("x".repeat(64));
      for (String bad : List.of("", "x".repeat(65), "a b", "a/b", "ä", "../x", "a\nb", "a%20b")) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.channel(bad), bad);
        assertTrue(e.getMessage().startsWith("invalid channel name"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "control characters are escaped in the message");
      }
      assertThrows(NullPointerException.class, () -> registry.channel(null));
      assertTrue(registry.find("a b").isEmpty());
      assertTrue(ChannelNames.isValid("A.b-c_9"));
      assertFalse(ChannelNames.isValid(null));
    }
  }

  @Test
  void r2_onDemandOrDeclaredOnly() {
    try (ChannelRegistry onDemand = ChannelRegistry.builder().build()) {
      Channel a = onDemand.channel("a");
      assertSame(a, onDemand.channel("a"));
      assertEquals(List.of(a), onDemand.channels());
    }
    try (ChannelRegistry declaredOnly = ChannelRegistry.builder().createOnDemand(false).build()) {
      NoSuchChannelException e = assertThrows(NoSuchChannelException.class, () -> declaredOnly.channel("a"));
      assertTrue(e.getMessage().contains("'a'"), e.getMessage());
      Channel declared = declaredOnly.declare("a");
      assertSame(declared, declaredOnly.channel("a"));
      assertTrue(declaredOnly.find("b").isEmpty());
    }
  }

  @Test
  void r3_channelLimitIsEnforcedAndNamed() {
    try (ChannelRegistry registry = ChannelRegistry.builder().maxChannels(2).build()) {
      registry.channel("a");
      registry.channel("b");
      LimitExceededException e = assertThrows(LimitExceededException.class, () -> registry.channel("c"));
      assertTrue(e.getMessage().contains("maxChannels"), e.getMessage());
      registry.channel("a").close();
      registry.channel("c"); // a closed channel frees its slot
    }
  }

  private static DefaultChannelRegistry impl(ChannelRegistry registry) {
    return (DefaultChannelRegistry) registry;
  }

  /** Waits until two idle sweeps finished: at least one began after this call, with the clock as it is. */
  private static void awaitIdleSweeps(ChannelRegistry registry) {
    long done = impl(registry).idleSweepsForTest();
    Await.until("two idle sweeps", () -> impl(registry).idleSweepsForTest() >= done + 2);
  }

  /** Advances the clock a step at a time until the condition holds. */
  static void advanceUntil(ManualClock clock, Duration step, String what, BooleanSupplier condition) {
    Await.until(what, () -> {
      if (condition.getAsBoolean()) {
        return true;
      }
      clock.advance(step);
      return false;
    });
  }

  @Test
  void r4_idleOnDemandChannelsAreClosedAfterIdleTimeout_declaredOnesAreNot() {
    ManualClock clock = new ManualClock();
    try (ChannelRegistry registry = ChannelRegistry.builder().idleTimeout(Duration.ofMillis(100)).ticker(clock)
        .build()) {
      Channel idle = registry.channel("idle");
      Channel declared = registry.declare("kept");
      Channel watched = registry.channel("watched");
      watched.subscribe(RecordingSink.immediate());
      clock.advanceMillis(100);
      awaitIdleSweeps(registry);
      assertFalse(idle.isClosed(), "idle for exactly idleTimeout: kept");
      clock.advanceMillis(1);
      Await.until("idle channel closed", idle::isClosed);
      awaitIdleSweeps(registry);
      assertTrue(registry.find("idle").isEmpty());
      assertFalse(declared.isClosed());
      assertFalse(watched.isClosed(), "a channel with a subscriber is not idle");
      assertTrue(registry.channel("idle") != idle, "the name can be used again");
    }
  }

  @Test
  void r4_idleSweepKeepsAChannelWithAnOpenPublisher() {
    ManualClock clock = new ManualClock();
    try (ChannelRegistry registry = ChannelRegistry.builder().idleTimeout(Duration.ofMillis(100)).ticker(clock)
        .build()) {
      Channel published = registry.channel("published");
      Publisher publisher = published.openPublisher("a publisher that has nothing to say yet");
      Channel probe = registry.channel("probe");
      clock.advanceMillis(1_000);
      Await.until("the idle sweep closes the probe", probe::isClosed);
      awaitIdleSweeps(registry);
      assertFalse(published.isClosed(), "a channel with an open publisher is active, not idle");
      assertTrue(publisher.publish(ChannelTest.image(1)), "the publisher's handle still works");
      publisher.close();
      clock.advanceMillis(100);
      awaitIdleSweeps(registry);
      assertFalse(published.isClosed(), "idle from the moment the publisher left, not before");
      clock.advanceMillis(1);
      Await.until("idle once the publisher left", published::isClosed);
    }
  }

  @Test
  void r5_attachedSourceRunsWhileTheChannelHasSubscribers() {
    AtomicInteger opens = new AtomicInteger();
    AtomicInteger closes = new AtomicInteger();
    FrameSource counter = new FrameSource() {
      private int n;

      @Override
      public void open() {
        opens.incrementAndGet();
      }

      @Override
      public Frame nextFrame() {
        return Frame.of("image/jpeg", new byte[] {(byte) n++});
      }

      @Override
      public void close() {
        closes.incrementAndGet();
      }
    };
    ManualClock clock = new ManualClock();
    Duration frame = Duration.ofMillis(20);
    try (ChannelRegistry registry = ChannelRegistry.builder().sourceGracePeriod(Duration.ofMillis(300))
        .ticker(clock).build()) {
      DefaultChannelRegistry impl = impl(registry);
      Channel ch = registry.attachSource("pattern", counter, 50);
      assertEquals(0, opens.get(), "no subscriber, no source");
      RecordingSink first = RecordingSink.immediate();
      Subscription s1 = ch.subscribe(first);
      advanceUntil(clock, frame, "frames flow", () -> first.count() >= 3);
      assertEquals(1, opens.get());

      long graceChecks = impl.graceChecksForTest();
      s1.close();
      Subscription s2 = ch.subscribe(RecordingSink.immediate()); // back within the grace period
      clock.advanceMillis(600);
      Await.until("the grace period ended", () -> impl.graceChecksForTest() > graceChecks);
      assertEquals(1, opens.get(), "a subscriber back within the grace period keeps the source running");
      assertEquals(0, closes.get());

      s2.close();
      clock.advanceMillis(299);
      long running = ch.stats().framesIn();
      Await.until("the source makes a frame in the grace period", () -> ch.stats().framesIn() > running);
      assertEquals(0, closes.get(), "still running within the grace period");
      clock.advanceMillis(1);
      Await.until("source stopped after the grace period", () -> closes.get() == 1);
      long stoppedAt = ch.stats().framesIn();
      RecordingSink again = RecordingSink.immediate();
      ch.subscribe(again);
      advanceUntil(clock, frame, "restarted for a new subscriber",
          () -> opens.get() == 2 && again.lastSequence() > stoppedAt);
    }
    Await.until("closed with the registry", () -> closes.get() == 2);
  }

  @Test
  void r6_closeClosesChannelsAndStopsThreads() {
    ChannelRegistry registry = ChannelRegistry.builder().build();
    Channel ch = registry.channel("a");
    RecordingSink s = RecordingSink.immediate();
    ch.subscribe(s);
    registry.close();
    registry.close();
    assertTrue(ch.isClosed());
    assertTrue(registry.isClosed());
    Await.until("closed signal", s::isClosed);
    assertEquals(CloseReason.Code.CHANNEL_CLOSED, s.closeReason().code());
    assertThrows(ChannelClosedException.class, () -> registry.channel("b"));
  }

  /**
   * A source that blocks in {@code nextFrame()} after its first frame until it is closed (a process's pipe),
   * and whose {@code close()} takes until the test releases it (a process slow to exit), at most 5 s.
   */
  private static final class SlowClosingSource implements FrameSource {
    final CountDownLatch closeEntered = new CountDownLatch(1);
    final CountDownLatch releaseClose = new CountDownLatch(1);
    final AtomicReference<String> closeThread = new AtomicReference<>();
    final AtomicBoolean closeReturned = new AtomicBoolean();
    final AtomicInteger nextCalls = new AtomicInteger();

    @Override
    public Frame nextFrame() throws IOException, InterruptedException {
      if (nextCalls.incrementAndGet() > 1 && !closeEntered.await(10, TimeUnit.SECONDS)) {
        throw new IOException("never closed");
      }
      if (closeEntered.getCount() == 0) {
        throw new IOException("closed");
      }
      return ChannelTest.image(1);
    }

    @Override
    public void close() {
      closeThread.set(Thread.currentThread().getName());
      closeEntered.countDown();
      try {
        releaseClose.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      closeReturned.set(true);
    }
  }

  @Test
  void r7_aSlowSourceCloseDelaysNoTimer() throws Exception {
    SlowClosingSource source = new SlowClosingSource();
    ManualClock clock = new ManualClock();
    try (ChannelRegistry registry = ChannelRegistry.builder().sourceGracePeriod(Duration.ZERO).ticker(clock)
        .build()) {
      Channel slow = registry.attachSource("slow-close", source, 0);
      Channel other = registry.declare("other", ChannelConfig.builder().stallTimeout(Duration.ofMillis(200)).build());
      Subscription viewer = slow.subscribe(RecordingSink.immediate());
      Await.until("the source blocks in nextFrame()", () -> source.nextCalls.get() >= 2);
      viewer.close(); // the source stops at once (grace period 0) while it blocks
      assertTrue(source.closeEntered.await(10, TimeUnit.SECONDS), "close() was called");
      try {
        RecordingSink stuck = new RecordingSink(RecordingSink.Mode.NEVER);
        other.subscribe(stuck);
        other.publish(ChannelTest.image(2));
        Await.until("the frame is in flight", () -> stuck.count() == 1);
        clock.advanceMillis(201);
        Await.until("the stalled viewer of another channel is evicted while close() runs", stuck::isClosed);
        assertEquals(CloseReason.Code.STALLED, stuck.closeReason().code());
        assertFalse(source.closeReturned.get(), "evicted before the slow close() returned");
      } finally {
        source.releaseClose.countDown();
      }
      assertFalse(source.closeThread.get().contains("timer"), "close() ran on " + source.closeThread.get());
    }
  }

  @Test
  void r6_closeIsBoundedByShutdownTimeoutEvenWhenASourceIsSlowToClose() throws Exception {
    SlowClosingSource source = new SlowClosingSource();
    ManualClock clock = new ManualClock();
    ChannelRegistry registry = ChannelRegistry.builder().shutdownTimeout(Duration.ofMillis(300)).ticker(clock)
        .build();
    try {
      Channel ch = registry.attachSource("slow-close", source, 0);
      ch.subscribe(RecordingSink.immediate());
      Await.until("the source blocks in nextFrame()", () -> source.nextCalls.get() >= 2);
      long start = clock.nanoTime();
      AtomicLong returnedAt = new AtomicLong(-1);
      Thread closer = new Thread(() -> {
        registry.close();
        returnedAt.set(clock.nanoTime());
      }, "test-registry-close");
      closer.start();
      assertTrue(source.closeEntered.await(10, TimeUnit.SECONDS), "close() was called");
      clock.advanceMillis(299);
      clock.advanceMillis(1);
      Await.until("registry.close() returns once shutdownTimeout has passed", () -> returnedAt.get() >= 0);
      assertEquals(300, TimeUnit.NANOSECONDS.toMillis(returnedAt.get() - start),
          "registry.close() returned after exactly shutdownTimeout, not before, not at the source's pace");
      assertFalse(source.closeThread.get().contains("timer"), "close() ran on " + source.closeThread.get());
    } finally {
      source.releaseClose.countDown();
    }
    Await.until("the stopper threads end once the close returned", () -> Thread.getAllStackTraces().keySet()
        .stream().noneMatch(t -> t.isAlive() && t.getName().contains("-source-stop-")));
  }

  /** Records open() and close() and any overlap of the two; close() holds for two seconds. */
  private static final class OverlapRecordingSource implements FrameSource {
    final boolean blockInNextFrame;
    final AtomicInteger opens = new AtomicInteger();
    final AtomicInteger closesEntered = new AtomicInteger();
    final AtomicInteger nextCalls = new AtomicInteger();
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean inOpen = new AtomicBoolean();
    private final AtomicBoolean inClose = new AtomicBoolean();
    private volatile CountDownLatch closing = new CountDownLatch(1);
    private volatile int nextSinceOpen;
    /** Holds every close() (a process that takes a while to exit) until the test counts it down. */
    final CountDownLatch releaseClose = new CountDownLatch(1);

    OverlapRecordingSource(boolean blockInNextFrame) {
      this.blockInNextFrame = blockInNextFrame;
    }

    @Override
    public void open() {
      inOpen.set(true);
      if (inClose.get()) {
        violations.add("open() #" + (opens.get() + 1) + " while close() runs");
      }
      closing = new CountDownLatch(1);
      nextSinceOpen = 0;
      Await.pace(TimeUnit.MILLISECONDS.toNanos(20)); // some work, to widen any overlap
      opens.incrementAndGet();
      inOpen.set(false);
    }

    @Override
    public Frame nextFrame() throws IOException, InterruptedException {
      nextCalls.incrementAndGet();
      if (blockInNextFrame && nextSinceOpen++ > 0) {
        closing.await(10, TimeUnit.SECONDS); // a blocking read that only close() ends
        throw new IOException("closed");
      }
      return ChannelTest.image(nextCalls.get());
    }

    @Override
    public void close() {
      inClose.set(true);
      if (inOpen.get()) {
        violations.add("close() while open() runs");
      }
      closesEntered.incrementAndGet();
      closing.countDown();
      awaitThroughInterrupts(releaseClose);
      inClose.set(false);
    }
  }

  @Test
  void s5_restartWaitsForThePreviousClose() {
    for (boolean blockInNextFrame : new boolean[] {false, true}) {
      OverlapRecordingSource source = new OverlapRecordingSource(blockInNextFrame);
      String mode = blockInNextFrame ? "close() from the stopping thread" : "close() on the runner thread";
      try (ChannelRegistry registry = ChannelRegistry.builder().sourceGracePeriod(Duration.ZERO).build()) {
        Channel ch = registry.attachSource("restarted", source, 50);
        Subscription first = ch.subscribe(RecordingSink.immediate());
        Await.until(mode + ": running", () -> source.opens.get() == 1 && source.nextCalls.get() >= 2);
        first.close(); // stops the source at once
        Await.until(mode + ": close() entered", () -> source.closesEntered.get() == 1);
        RecordingSink returning = RecordingSink.immediate();
        ch.subscribe(returning); // the viewer returns at once, while the old close() still runs
        assertTrue(source.inClose.get(), mode + ": subscribe() returned while the old close() runs");
        assertEquals(1, source.opens.get(), mode + ": not reopened while the old close() runs");
        source.releaseClose.countDown();
        Await.until(mode + ": reopened", () -> source.opens.get() == 2);
        Await.until(mode + ": frames flow again", () -> returning.count() > 0);
        assertEquals(List.of(), source.violations, mode);
      }
      assertEquals(List.of(), source.violations, mode);
    }
  }

  /** A source whose first close() blocks until the test releases it; records any open() during a close(). */
  private static final class HangingCloseSource implements FrameSource {
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger opens = new AtomicInteger();
    final AtomicInteger closesEntered = new AtomicInteger();
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger closesRunning = new AtomicInteger();

    @Override
    public void open() {
      if (closesRunning.get() > 0) {
        violations.add("open() #" + (opens.get() + 1) + " while close() runs");
      }
      opens.incrementAndGet();
    }

    @Override
    public Frame nextFrame() {
      Await.pace(TimeUnit.MILLISECONDS.toNanos(5));
      return ChannelTest.image(1);
    }

    @Override
    public void close() {
      closesRunning.incrementAndGet();
      boolean first = closesEntered.incrementAndGet() == 1;
      if (first) {
        awaitThroughInterrupts(release);
      }
      closesRunning.decrementAndGet();
    }
  }

  /**
   * Waits up to 60 s for the latch, deaf to interrupts (a process that will not exit until the test says so);
   * keeps the interrupt status.
   */
  private static void awaitThroughInterrupts(CountDownLatch latch) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    boolean interrupted = false;
    while (true) {
      try {
        latch.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static long liveThreadsNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().equals(name))
        .count();
  }

  @Test
  void s5_quickRestartsWhileACloseHangsLeaveAtMostOneWaitingRunner() throws Exception {
    HangingCloseSource source = new HangingCloseSource();
    String runnerThread = "framestream-source-hanging-close";
    try (ChannelRegistry registry = ChannelRegistry.builder().sourceGracePeriod(Duration.ofMillis(1))
        .shutdownTimeout(Duration.ofMillis(500)).build()) {
      Channel ch = registry.attachSource("hanging-close", source, 0);
      try {
        Subscription first = ch.subscribe(RecordingSink.immediate());
        Await.until("opened", () -> source.opens.get() == 1);
        first.close();
        Await.until("the first close() hangs", () -> source.closesEntered.get() == 1);
        for (int cycle = 0; cycle < 20; cycle++) {
          Subscription viewer = ch.subscribe(RecordingSink.immediate());
          Await.until("cycle " + cycle + ": a runner is started", () -> ch.publisherCount() == 1);
          viewer.close();
          Await.until("cycle " + cycle + ": the runner is stopped", () -> ch.publisherCount() == 0);
        }
        Await.until(() -> liveThreadsNamed(runnerThread) + " runner threads alive after 20 cycles",
            () -> liveThreadsNamed(runnerThread) <= 2, Duration.ofSeconds(5));
        assertEquals(1, source.opens.get(), "nothing opened while the first close() hangs");
        RecordingSink returning = RecordingSink.immediate();
        ch.subscribe(returning);
        assertEquals(1, source.opens.get(), "nothing opened while the first close() hangs");
      } finally {
        source.release.countDown();
      }
      Await.until("reopened once the close returned", () -> source.opens.get() == 2);
      Await.until(() -> liveThreadsNamed(runnerThread) + " runner threads alive once running again",
          () -> liveThreadsNamed(runnerThread) == 1, Duration.ofSeconds(10));
      assertEquals(List.of(), source.violations);
    }
    Await.until("no runner thread after the registry closed", () -> liveThreadsNamed(runnerThread) == 0);
    assertEquals(2, source.opens.get());
    assertEquals(List.of(), source.violations);
  }

  /**
   * The server's API writes the stats records with Jackson, which names a record's members after its
   * components: those names are the API's JSON, so they are pinned here (core itself has no JSON mapper).
   */
  @Test
  void statsRecordsKeepTheirJsonMemberNames() {
    try (ChannelRegistry registry = ChannelRegistry.builder().build()) {
      Channel ch = registry.channel("json");
      RecordingSink s = RecordingSink.immediate();
      Subscription sub = ch.subscribe(s);
      ch.publish(Frame.of("image/jpeg", new byte[100]));
      Await.until("delivered", () -> ch.stats().framesOut() == 1);
      ChannelStats stats = ch.stats();
      assertEquals("json", stats.channel());
      assertEquals(1, stats.subscribers());
      assertEquals(100, stats.bytesOut());
      assertEquals(0L, stats.drops().get(DropReason.SUPERSEDED));
      assertEquals(1, stats.latency().count());
      assertEquals(1, sub.stats().framesOut());
      assertTrue(components(ChannelStats.class).containsAll(List.of("channel", "subscribers", "framesIn",
          "bytesOut", "contentType", "drops", "latency")), components(ChannelStats.class).toString());
      assertTrue(components(SubscriberStats.class).containsAll(List.of("id", "framesOut")));
      assertTrue(components(LatencyStats.class).contains("count"));
    }
  }

  private static List<String> components(Class<? extends Record> type) {
    return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).collect(Collectors.toList());
  }
}
