package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.framestream.core.SourceRunner.State;
import io.framestream.testkit.ManualClock;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.random.RandomGenerator;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tests of the {@link SourceRunner} rules S1 to S8: S1 to S5 are rules 1 to 5 of {@link FrameSource}, S6
 * pacing, S7 back-pressure and S8 stopping are described in {@link SourceRunner}. The machine running
 * them may be slow and busy: every wait is on a condition with a bound. Time is a {@link ManualClock} where a
 * rule is about time (restart delays, pacing, stop timeouts): the test moves it and asserts exact times.
 */
class SourceRunnerTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Logger RUNNER_LOG = Logger.getLogger(SourceRunner.class.getName());
  private static Level savedLevel;

  @BeforeAll
  static void quietRunnerLog() {
    savedLevel = RUNNER_LOG.getLevel();
    RUNNER_LOG.setLevel(Level.OFF); // the failure tests would log a stack trace per failure
  }

  @AfterAll
  static void restoreRunnerLog() {
    RUNNER_LOG.setLevel(savedLevel);
  }

  // ---- S1: open() before the first frame and after each restart ---------------------------------

  @Test
  void s1_openIsCalledBeforeTheFirstFrameAndAgainAfterEachRestart() {
    FakeSource source = new FakeSource();
    source.onNext = call -> {
      if (call.inOpen == 3) {
        throw new IOException("every third frame fails");
      }
      return frame(call.total);
    };
    CountingSink sink = new CountingSink();
    try (SourceRunner runner = runner(source, sink).backoff(ms(5), ms(20)).build()) {
      runner.start();
      await("four openings", () -> source.successfulOpens.get() >= 4);
      source.closeMayOverlap = true;
      runner.close();
      assertEquals(State.STOPPED, runner.state());
    }
    assertEquals(List.of(), source.violations, "nextFrame() is only called on an open source");
    assertEquals("open", source.events.get(0));
    // Within each opening: open, then frames, then close.
    List<String> events = source.eventsSnapshot();
    for (int i = 1; i < events.size(); i++) {
      if (events.get(i).equals("open")) {
        assertEquals("close", events.get(i - 1), "a restart reopens only after closing: " + events);
      }
    }
    assertEquals(source.successfulOpens.get(), source.closes.get());
  }

  // ---- S2: nextFrame() may block; EOF ends; other exceptions are failures ------------------------

  @Test
  void s2_nextFrameMayBlockUntilAFrameIsReady() throws Exception {
    BlockingQueue<Frame> ready = new LinkedBlockingQueue<>();
    FakeSource source = new FakeSource();
    source.onNext = call -> {
      Frame f = ready.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (f == null) {
        throw new IOException("test gave no frame in time");
      }
      return f;
    };
    CountingSink sink = new CountingSink();
    try (SourceRunner runner = runner(source, sink).build()) {
      runner.start();
      await("the runner to ask for a frame", () -> source.nextCalls.get() == 1);
      assertEquals(State.RUNNING, runner.state());
      assertEquals(0, sink.sends.get());

      Frame first = frame(1);
      ready.add(first);
      await("the first frame to be published", () -> sink.sends.get() == 1);
      assertSame(first, sink.frames.get(0));
      ready.add(frame(2));
      await("the second frame to be published", () -> sink.sends.get() == 2);
      assertEquals(2, runner.stats().framesProduced());
      assertEquals(2, runner.stats().framesPublished());
      assertEquals(0, runner.stats().failures());
      source.closeMayOverlap = true;
    }
  }

  @Test
  void s2_endOfStreamEndsTheRunner() throws Exception {
    FakeSource source = new FakeSource();
    source.onNext = call -> {
      if (call.total > 3) {
        throw new EOFException("end of file");
      }
      return frame(call.total);
    };
    CountingSink sink = new CountingSink();
    SourceRunner runner = runner(source, sink).backoff(ms(5), ms(20)).build();
    runner.start();
    assertTrue(runner.awaitTermination(WAIT), "the runner thread ends at the end of the stream");
    assertEquals(State.ENDED, runner.state());
    SourceRunner.Stats stats = runner.stats();
    assertEquals(3, stats.framesProduced());
    assertEquals(3, stats.framesPublished());
    assertEquals(0, stats.failures());
    assertEquals(0, stats.restarts());
    assertEquals(1, source.openAttempts.get());
    assertEquals(1, source.closes.get());

    runner.close();
    assertEquals(State.ENDED, runner.state(), "close() after the end keeps ENDED");
    assertThrows(IllegalStateException.class, runner::start);
    assertEquals(1, source.closes.get());
    assertEquals(List.of(), source.violations);
  }

  @Test
  void s2_endOfStreamWithRestartOnEndReopensTheSource() {
    FakeSource source = new FakeSource();
    source.onNext = call -> {
      if (call.inOpen > 2) {
        throw new EOFException();
      }
      return frame(call.total);
    };
    CountingSink sink = new CountingSink();
    try (SourceRunner runner = runner(source, sink).restartOnEnd(true).backoff(ms(5), ms(20)).build()) {
      runner.start();
      await("three openings", () -> source.successfulOpens.get() >= 3);
      State state = runner.state();
      assertTrue(state == State.RUNNING || state == State.BACKING_OFF, state.toString());
      source.closeMayOverlap = true;
      runner.close();
      assertEquals(State.STOPPED, runner.state());
      SourceRunner.Stats stats = runner.stats();
      assertEquals(0, stats.failures(), "an end of stream is not a failure");
      assertTrue(stats.restarts() >= 2, stats.toString());
      assertTrue(stats.framesPublished() >= 4, stats.toString());
    }
    assertEquals(source.successfulOpens.get(), source.closes.get());
    assertEquals(List.of(), source.violations);
  }

  @Test
  void s2_otherExceptionsAndNullFramesAreFailures() {
    FakeSource source = new FakeSource();
    source.onNext = call -> {
      if (call.total == 1) {
        throw new IOException("camera unplugged");
      }
      if (call.total == 2) {
        throw new IllegalStateException("decoder bug");
      }
      if (call.total == 3) {
        return null;
      }
      return frame(call.total);
    };
    CountingSink sink = new CountingSink();
    try (SourceRunner runner = runner(source, sink).backoff(ms(5), ms(20)).build()) {
      runner.start();
      await("a frame after three failures", () -> sink.sends.get() >= 1);
      SourceRunner.Stats stats = runner.stats();
      assertEquals(3, stats.failures(), stats.toString());
      assertTrue(stats.lastFailure().contains("returned null"), stats.lastFailure());
      assertEquals(3, stats.restarts(), stats.toString());
      assertEquals(4, source.openAttempts.get());
      assertEquals(3, source.closes.get(), "each failed opening was closed");
      source.closeMayOverlap = true;
    }
    assertEquals(List.of(), source.violations);
  }

  // ---- S3: after a failure, close, then an exponentially growing, jittered backoff ---------------

  /** Jitter that always draws the largest value: every delay of an exponential policy is its whole step. */
  private static final RandomGenerator HIGHEST = new RandomGenerator() {
    @Override
    public long nextLong() {
      throw new AssertionError("only nextLong(bound) is used");
    }

    @Override
    public long nextLong(long bound) {
      return bound - 1;
    }
  };

  /** A runner on a manual clock that the source records its calls with. */
  private static SourceRunner.Builder runner(FakeSource source, FrameSink sink, ManualClock clock) {
    source.time = clock;
    return runner(source, sink).ticker(clock);
  }

  /**
   * Waits until the runner backs off after the source's close number {@code closes}, moves the clock on by
   * {@code delay} (in two steps: it must not reopen before the second), waits for the reopening and returns
   * the time on the clock from that close to that open.
   */
  private static Duration restartAfter(ManualClock clock, SourceRunner runner, FakeSource source, int closes,
      Duration delay) {
    await("close " + closes + ", then backing off",
        () -> source.closes.get() == closes && runner.state() == State.BACKING_OFF);
    int opens = source.openAttempts.get();
    clock.advance(delay.minusNanos(1));
    clock.advance(Duration.ofNanos(1));
    await("opening " + (opens + 1), () -> source.openAttempts.get() == opens + 1);
    return Duration.ofNanos(source.openTimes.get(opens) - source.closeTimes.get(closes - 1));
  }

  @Test
  void s3_failureRestartsWithGrowingBackoff() {
    FakeSource source = new FakeSource();
    source.onNext = call -> {
      throw new IOException("broken");
    };
    ManualClock clock = new ManualClock();
    RetryPolicy policy = RetryPolicy.exponential(ms(20), ms(200), HIGHEST);
    try (SourceRunner runner = runner(source, new CountingSink(), clock).retryPolicy(policy).build()) {
      runner.start();
      for (int i = 0; i < 8; i++) {
        Duration nominal = ms(Math.min(200, 20L << i));
        assertEquals(nominal, restartAfter(clock, runner, source, i + 1, nominal),
            "restart " + (i + 1) + " waits its policy's delay, counted from the close");
      }
      assertEquals(8, runner.stats().restarts(), runner.stats().toString());
      assertEquals(9, runner.stats().failures(), runner.stats().toString());
      source.closeMayOverlap = true;
    }
    assertEquals(List.of(), source.violations);
  }

  @Test
  void s3_aFailingOpenIsRetriedAndNotClosed() {
    FakeSource source = new FakeSource();
    source.onOpen = attempt -> {
      if (attempt <= 3) {
        throw new IOException("device busy");
      }
    };
    CountingSink sink = new CountingSink();
    try (SourceRunner runner = runner(source, sink).backoff(ms(5), ms(20)).build()) {
      runner.start();
      await("a frame once open succeeds", () -> sink.sends.get() >= 1);
      assertEquals(4, source.openAttempts.get());
      assertEquals(1, source.successfulOpens.get());
      assertEquals(0, source.closes.get(), "close() only follows a successful open()");
      assertEquals(3, runner.stats().failures());
      assertTrue(runner.stats().lastFailure().contains("device busy"), runner.stats().lastFailure());
      source.closeMayOverlap = true;
    }
    assertEquals(1, source.closes.get());
    assertEquals(List.of(), source.violations);
  }

  @Test
  void s3_backoffIsResetByTheNextSuccess() {
    FakeSource source = succeedingOnceAtOpening(7);
    ManualClock clock = new ManualClock();
    RetryPolicy policy = RetryPolicy.exponential(ms(20), Duration.ofSeconds(5), HIGHEST);
    try (SourceRunner runner = runner(source, new CountingSink(), clock).retryPolicy(policy).build()) {
      runner.start();
      for (int i = 0; i < 6; i++) {
        restartAfter(clock, runner, source, i + 1, ms(20L << i));
      }
      assertEquals(ms(20), restartAfter(clock, runner, source, 7, ms(20)),
          "after the 7th opening produced a frame, the delay is back to the minimum (not 1280 ms)");
      source.closeMayOverlap = true;
    }
    assertEquals(List.of(), source.violations);
  }

  /** A source whose every frame fails but the first one of the given opening (counted from 1). */
  private static FakeSource succeedingOnceAtOpening(int opening) {
    FakeSource source = new FakeSource();
    source.onNext = call -> {
      if (call.opening == opening && call.inOpen == 1) {
        return frame(call.total);
      }
      throw new IOException("broken");
    };
    return source;
  }

  @Test
  void s3_restartsWaitTheDelaysOfACustomRetryPolicy() {
    FakeSource source = succeedingOnceAtOpening(4);
    List<String> asked = new CopyOnWriteArrayList<>(); // what the runner asked of its policy, in order
    RetryPolicy recording = () -> {
      asked.add("attempts");
      return new RetryPolicy.Attempts() {
        @Override
        public long nextDelayNanos(long hintNanos) {
          asked.add(hintNanos == RetryPolicy.NO_HINT ? "delay" : "delay with a hint");
          return TimeUnit.MILLISECONDS.toNanos(1);
        }

        @Override
        public void reset() {
          asked.add("reset");
        }
      };
    };
    try (SourceRunner runner = runner(source, new CountingSink()).retryPolicy(recording).build()) {
      runner.start();
      await("six openings", () -> source.openAttempts.get() >= 6);
    }
    List<String> seen = List.copyOf(asked);
    assertEquals(List.of("attempts", "delay", "delay", "delay", "reset", "reset", "delay", "delay"),
        seen.subList(0, Math.min(8, seen.size())), "asked before every restart, reset on success");
    assertThrows(NullPointerException.class, () -> runner(source, new CountingSink()).retryPolicy(null));
  }

  // ---- S4: close() once per successful open(); stopping unblocks a blocked nextFrame() -----------

  @Test
  void s4_closeIsCalledExactlyOncePerSuccessfulOpen() {
    FakeSource source = new FakeSource();
    source.onOpen = attempt -> {
      if (attempt == 2 || attempt == 5) {
        throw new IOException("open failed");
      }
    };
    source.onNext = call -> {
      if (call.total % 4 == 0) {
        throw new IOException("frame failed");
      }
      if (call.total % 7 == 0) {
        throw new EOFException();
      }
      return frame(call.total);
    };
    try (SourceRunner runner =
        runner(source, new CountingSink()).restartOnEnd(true).backoff(ms(2), ms(10)).build()) {
      runner.start();
      await("ten opening attempts", () -> source.openAttempts.get() >= 10);
      source.closeMayOverlap = true;
    }
    assertEquals(source.successfulOpens.get(), source.closes.get());
    assertEquals(source.openAttempts.get() - 2, source.successfulOpens.get());
    assertEquals(List.of(), source.violations, "no double close, no close without open");
  }

  @Test
  void s4_cleanStopEndsTheThreadAndClosesTheSourceOnce() throws Exception {
    FakeSource source = new FakeSource();
    CountingSink sink = new CountingSink();
    SourceRunner runner = runner(source, sink).fps(200).build();
    runner.start();
    await("some frames", () -> sink.sends.get() >= 5);
    source.closeMayOverlap = true;
    runner.close();
    assertEquals(State.STOPPED, runner.state());
    assertTrue(runner.awaitTermination(ms(1)), "close() returns after the runner thread has ended");
    assertFalse(threadAlive("framestream-source-" + runner.name()));
    assertEquals(1, source.successfulOpens.get());
    assertEquals(1, source.closes.get());
    int sends = sink.sends.get();
    assertEquals(sends, source.nextCalls.get(), "every frame was delivered");
    assertEquals(0, runner.stats().failures());
  }

  /**
   * Closes the runner on a thread of its own and waits for {@code close()} to return. The runner's clock
   * stands still, so {@code close()} can only return because the runner ended, never because its stop
   * timeout passed.
   *
   * @return the thread that closed it
   */
  private static Thread closeWhileTheClockStandsStill(SourceRunner runner) {
    AtomicBoolean returned = new AtomicBoolean();
    Thread stopper = new Thread(() -> {
      runner.close();
      returned.set(true);
    }, "test-stopper");
    stopper.start();
    await("close() returns without the clock moving", returned::get);
    return stopper;
  }

  @Test
  void s4_stopWhileNextFrameBlocksClosesTheSourceFromTheStoppingThread() throws Exception {
    CountDownLatch blocked = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    FakeSource source = new FakeSource();
    source.onClose = closed::countDown;
    source.onNext = call -> { // blocks until close(); deaf to interrupts, like a blocking read
      blocked.countDown();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (closed.getCount() > 0 && System.nanoTime() - deadline < 0) {
        try {
          closed.await(10, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ignored) {
          // keep blocking: only close() unblocks this source
        }
      }
      throw new IOException("stream closed");
    };
    SourceRunner runner = runner(source, new CountingSink(), new ManualClock()).build();
    runner.start();
    assertTrue(blocked.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));

    source.closeMayOverlap = true;
    Thread stopper = closeWhileTheClockStandsStill(runner);
    assertSame(stopper, source.lastCloseThread, "close() runs on the stopping thread");
    assertEquals(1, source.closes.get());
    assertEquals(State.STOPPED, runner.state());
    assertTrue(runner.awaitTermination(ms(1)));
    assertEquals(0, runner.stats().failures(), "an exception caused by stopping is not a failure");
    assertEquals(List.of(), source.violations);
  }

  @Test
  void s4_stopWhileNextFrameBlocksOnASocketRead() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      server.setSoTimeout((int) WAIT.toMillis());
      AtomicReference<Socket> connection = new AtomicReference<>();
      CountDownLatch blocked = new CountDownLatch(1);
      FakeSource source = new FakeSource();
      source.onOpen = attempt -> connection.set(new Socket(server.getInetAddress(), server.getLocalPort()));
      source.onNext = call -> {
        blocked.countDown();
        int b = connection.get().getInputStream().read(); // no data ever comes: blocks, not interruptible
        throw b < 0 ? new EOFException() : new IOException("unexpected data");
      };
      source.onClose = () -> {
        try {
          connection.get().close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };
      SourceRunner runner = runner(source, new CountingSink(), new ManualClock()).build();
      runner.start();
      try (Socket peer = server.accept()) {
        assertTrue(blocked.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        source.closeMayOverlap = true;
        closeWhileTheClockStandsStill(runner);
      }
      assertEquals(State.STOPPED, runner.state());
      assertTrue(runner.awaitTermination(ms(1)));
      assertTrue(connection.get().isClosed());
      assertEquals(1, source.closes.get());
      assertEquals(0, runner.stats().failures());
    }
  }

  @Test
  void s4_stopInterruptsTheRunnerThread() throws Exception {
    CountDownLatch blocked = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    FakeSource source = new FakeSource(); // close() does nothing: only the interrupt can unblock
    source.onNext = call -> {
      blocked.countDown();
      try {
        if (!new CountDownLatch(1).await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new IOException("never interrupted");
        }
        throw new AssertionError("unreachable");
      } catch (InterruptedException e) {
        interrupted.set(true);
        throw e;
      }
    };
    SourceRunner runner = runner(source, new CountingSink(), new ManualClock()).build();
    runner.start();
    assertTrue(blocked.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    source.closeMayOverlap = true;
    closeWhileTheClockStandsStill(runner);
    assertTrue(interrupted.get(), "the runner thread was interrupted");
    assertEquals(State.STOPPED, runner.state());
    assertEquals(1, source.closes.get());
    assertEquals(0, runner.stats().failures());
  }

  // ---- S5: never concurrent -----------------------------------------------------------------------

  @Test
  void s5_sourceMethodsAreNeverCalledConcurrently() {
    FakeSource source = new FakeSource();
    source.onOpen = attempt -> {
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200)); // a little work, to widen any window
      if (attempt % 6 == 0) {
        throw new IOException("open failed");
      }
    };
    source.onNext = call -> {
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
      if (call.total % 5 == 0) {
        throw new IOException("failed");
      }
      if (call.total % 7 == 0) {
        throw new EOFException();
      }
      return frame(call.total);
    };
    ScheduledExecutorService completer = Executors.newSingleThreadScheduledExecutor();
    try {
      FrameSink asyncSink = (frame, callback) ->
          completer.schedule(callback::completed, 300, TimeUnit.MICROSECONDS);
      try (SourceRunner runner =
          runner(source, asyncSink).fps(500).restartOnEnd(true).backoff(ms(1), ms(4)).build()) {
        runner.start();
        await("150 frames requested", () -> source.nextCalls.get() >= 150);
        source.closeMayOverlap = true; // stopping may close while a nextFrame() runs (S4)
      }
    } finally {
      completer.shutdownNow();
    }
    assertEquals(List.of(), source.violations);
    assertEquals(source.successfulOpens.get(), source.closes.get());
  }

  /** A source whose first close() ignores interrupts and returns only when released; flags an open() during it. */
  private static final class StuckClosing implements FrameSource {
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger opens = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final AtomicBoolean closing = new AtomicBoolean();
    final List<String> violations = new CopyOnWriteArrayList<>();

    @Override
    public void open() {
      if (closing.get()) {
        violations.add("open() #" + (opens.get() + 1) + " while close() runs");
      }
      opens.incrementAndGet();
    }

    @Override
    public Frame nextFrame() {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      return frame(1);
    }

    @Override
    public void close() {
      closing.set(true);
      boolean first = closes.incrementAndGet() == 1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (first && release.getCount() > 0 && System.nanoTime() - deadline < 0) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // deaf to interrupts
      }
      closing.set(false);
    }
  }

  private static boolean waitingForItsPredecessor(String runnerName) {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> e.getKey().getName().equals("framestream-source-" + runnerName))
        .anyMatch(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getMethodName().equals("awaitPrevious")));
  }

  @Test
  void s5_aRunnerStoppedBeforeItOpenedEndsAtOnceAndTheNextStillWaitsForTheCloser() throws Exception {
    StuckClosing source = new StuckClosing();
    java.util.concurrent.Executor closer = close -> new Thread(close, "test-closer").start();
    SourceRunner a = SourceRunner.builder(source, new CountingSink()).name("s5-a").build().start();
    SourceRunner c = null;
    try {
      await("a opened", () -> source.opens.get() == 1);
      a.requestStop(closer);
      await("a's close() hangs", () -> source.closes.get() == 1);
      SourceRunner b = SourceRunner.builder(source, new CountingSink()).name("s5-b").build().start(a);
      b.requestStop(closer);
      assertTrue(b.awaitTermination(Duration.ofSeconds(5)), "b, stopped before it opened, ends at once");
      assertEquals(State.STOPPED, b.state());
      c = SourceRunner.builder(source, new CountingSink()).name("s5-c").build().start(b);
      await("c waits", () -> source.opens.get() > 1 || waitingForItsPredecessor("s5-c"));
      assertEquals(1, source.opens.get(), "c waits for a, whose close() still runs, though b has ended");
    } finally {
      source.release.countDown();
    }
    await("c opens once a's close() returned", () -> source.opens.get() == 2);
    c.close();
    assertTrue(a.awaitTermination(Duration.ofSeconds(5)));
    assertEquals(List.of(), source.violations);
  }

  // ---- S6: pacing ---------------------------------------------------------------------------------

  /** Moves the clock on by {@code step} in two parts, and waits until the source has been called {@code calls} times. */
  private static long tick(ManualClock clock, FakeSource source, Duration step, int calls) {
    clock.advance(step.minusNanos(1));
    clock.advance(Duration.ofNanos(1));
    await(calls + " calls", () -> source.nextStartTimes.snapshot().length == calls);
    return source.nextStartTimes.get(calls - 1);
  }

  @Test
  void s6_pacingHoldsTheTargetRate() {
    FakeSource source = new FakeSource();
    ManualClock clock = new ManualClock();
    Duration period = ms(50); // fps(20)
    try (SourceRunner runner = runner(source, new CountingSink(), clock).fps(20).build()) {
      runner.start();
      await("the first frame", () -> source.nextStartTimes.snapshot().length == 1);
      long first = source.nextStartTimes.get(0);
      for (int k = 1; k <= 30; k++) {
        assertEquals(period.multipliedBy(k), Duration.ofNanos(tick(clock, source, period, k + 1) - first),
            "call " + (k + 1) + " on its tick, not before");
      }
      source.closeMayOverlap = true;
    }
  }

  @Test
  void s6_aSlowFrameIsNotMadeUpInABurst() {
    Duration period = ms(200); // fps(5)
    CountDownLatch slowWorkDone = new CountDownLatch(1);
    FakeSource source = new FakeSource();
    source.onNext = call -> {
      if (call.total == 3 && !slowWorkDone.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) { // its own slow work
        throw new IOException("the test did not finish the slow work");
      }
      return frame(call.total);
    };
    ManualClock clock = new ManualClock();
    try (SourceRunner runner = runner(source, new CountingSink(), clock).fps(5).build()) {
      runner.start();
      await("the first frame", () -> source.nextStartTimes.snapshot().length == 1);
      long first = source.nextStartTimes.get(0);
      tick(clock, source, period, 2);
      tick(clock, source, period, 3); // the slow one, at 400 ms
      clock.advance(period.multipliedBy(5).dividedBy(2)); // it takes 2.5 periods: returns at 900 ms
      slowWorkDone.countDown();
      await("the call after the slow one", () -> source.nextStartTimes.snapshot().length == 4);
      assertEquals(ms(900), Duration.ofNanos(source.nextStartTimes.get(3) - first),
          "the missed ticks (600, 800 ms) are skipped: one call at once");
      assertEquals(ms(1100), Duration.ofNanos(tick(clock, source, period, 5) - first),
          "then the schedule goes on from there, no burst");
      assertEquals(ms(1300), Duration.ofNanos(tick(clock, source, period, 6) - first));
      source.closeMayOverlap = true;
    }
  }

  @Test
  void s6_fpsZeroRunsAsFastAsTheSourceReturns() {
    FakeSource source = new FakeSource();
    source.recordTimes = false;
    try (SourceRunner runner = runner(source, new CountingSink()).fps(0).build()) {
      runner.start();
      // At even 100 fps this would take 20 s.
      await("2000 frames", () -> runner.stats().framesPublished() >= 2_000);
      source.closeMayOverlap = true;
    }
  }

  // ---- S7: at most one frame in flight; the rest are skipped and counted -------------------------

  @Test
  void s7_aSinkThatNeverCompletesCostsFramesNotMemory() {
    byte[] payload = new byte[64 * 1024];
    FakeSource source = new FakeSource();
    source.recordTimes = false;
    source.onNext = call -> Frame.of("image/jpeg", payload);
    List<SendCallback> held = new CopyOnWriteArrayList<>();
    FrameSink sink = (frame, callback) -> held.add(callback);
    try (SourceRunner runner = runner(source, sink).build()) {
      runner.start();
      // 20,000 frames of 64 KiB: 1.3 GB if anything kept them, more than the test heap.
      await("20,000 skipped frames", () -> runner.stats().framesSkipped() >= 20_000);
      assertEquals(1, held.size(), "only one frame was ever handed to the sink");
      assertEquals(0, runner.stats().framesPublished());

      held.get(0).completed(); // the sink catches up: the next frame goes out, no backlog follows
      await("a second send", () -> held.size() >= 2);
      assertTrue(runner.stats().framesPublished() >= 1);
      long skippedBefore = runner.stats().framesSkipped();
      await("more skipped frames", () -> runner.stats().framesSkipped() > skippedBefore + 1_000);
      assertEquals(2, held.size());
      source.closeMayOverlap = true;
      runner.close();
      SourceRunner.Stats stats = runner.stats();
      assertEquals(stats.framesProduced(), stats.framesSkipped() + 2, stats.toString());
    }
  }

  @Test
  void s7_atMostOneFrameIsInFlight() throws Exception {
    ScheduledExecutorService completer = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger completed = new AtomicInteger();
    FrameSink slowSink = (frame, callback) -> {
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      completer.schedule(() -> {
        inFlight.decrementAndGet();
        completed.incrementAndGet();
        callback.completed();
      }, 3, TimeUnit.MILLISECONDS);
    };
    FakeSource source = new FakeSource();
    source.recordTimes = false;
    try (SourceRunner runner = runner(source, slowSink).build()) {
      runner.start();
      await("20 completed sends", () -> completed.get() >= 20);
      source.closeMayOverlap = true;
      runner.close();
      SourceRunner.Stats stats = runner.stats();
      assertEquals(1, maxInFlight.get());
      assertTrue(stats.framesSkipped() > 0, stats.toString());
      assertTrue(stats.framesPublished() >= 20, stats.toString());
    } finally {
      completer.shutdown();
      assertTrue(completer.awaitTermination(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    }
  }

  @Test
  void s7_sinkFailuresAreCountedAndTheRunnerGoesOn() {
    FakeSource source = new FakeSource();
    AtomicInteger sends = new AtomicInteger();
    FrameSink flaky = (frame, callback) -> {
      int n = sends.incrementAndGet();
      if (n % 3 == 0) {
        throw new IllegalStateException("sink threw");
      }
      if (n % 3 == 1) {
        callback.failed(new IOException("sink failed"));
        return;
      }
      callback.completed();
      callback.completed(); // a second call is ignored
    };
    try (SourceRunner runner = runner(source, flaky).fps(200).build()) {
      runner.start();
      await("nine sends", () -> sends.get() >= 9);
      source.closeMayOverlap = true;
      runner.close();
      SourceRunner.Stats stats = runner.stats();
      assertEquals(State.STOPPED, runner.state(), "only a closed channel stops the runner");
      assertEquals(sends.get(), stats.framesPublished() + stats.sinkFailures(), stats.toString());
      assertEquals(0, stats.failures(), "sink failures are not source failures");
    }
  }

  // ---- S8: close() bounded, idempotent, safe from any thread; a closed channel stops the runner --

  @Test
  void s8_closeIsIdempotentAndWorksBeforeStart() throws Exception {
    FakeSource source = new FakeSource();
    SourceRunner never = runner(source, new CountingSink()).build();
    assertEquals(State.NEW, never.state());
    never.close();
    never.close();
    assertEquals(State.STOPPED, never.state());
    assertThrows(IllegalStateException.class, never::start);
    assertTrue(never.awaitTermination(ms(1)));
    assertEquals(0, source.openAttempts.get());

    SourceRunner runner = runner(source, new CountingSink()).fps(100).build();
    runner.start();
    assertThrows(IllegalStateException.class, runner::start);
    await("a frame", () -> source.nextCalls.get() >= 1);
    source.closeMayOverlap = true;
    ExecutorService closers = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        futures.add(closers.submit(runner::close));
      }
      for (Future<?> f : futures) {
        f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } finally {
      closers.shutdown();
    }
    runner.close();
    assertEquals(State.STOPPED, runner.state());
    assertEquals(1, source.closes.get());
    assertEquals(List.of(), source.violations);
  }

  @Test
  void s8_closeFromInsideTheSinkCallback() throws Exception {
    // On the runner thread, inside send().
    AtomicReference<SourceRunner> ref = new AtomicReference<>();
    AtomicBoolean closeReturned = new AtomicBoolean();
    AtomicInteger sends = new AtomicInteger();
    FrameSink closingSink = (frame, callback) -> {
      if (sends.incrementAndGet() == 5) {
        ref.get().close();
        closeReturned.set(true);
      }
      callback.completed();
    };
    FakeSource source = new FakeSource();
    source.closeMayOverlap = true;
    SourceRunner runner = runner(source, closingSink).build();
    ref.set(runner);
    runner.start();
    assertTrue(runner.awaitTermination(WAIT), "the runner stops after close() from its own callback");
    assertTrue(closeReturned.get());
    assertEquals(State.STOPPED, runner.state());
    assertEquals(5, sends.get(), "no frame is sent after close()");
    assertEquals(1, source.closes.get());

    // On another thread, from an asynchronous completion.
    ExecutorService callbacks = Executors.newSingleThreadExecutor();
    try {
      AtomicReference<SourceRunner> ref2 = new AtomicReference<>();
      AtomicInteger sends2 = new AtomicInteger();
      FrameSink asyncClosingSink = (frame, callback) -> {
        int n = sends2.incrementAndGet();
        callbacks.execute(() -> {
          if (n == 5) {
            ref2.get().close();
          }
          callback.completed();
        });
      };
      FakeSource source2 = new FakeSource();
      source2.closeMayOverlap = true;
      SourceRunner runner2 = runner(source2, asyncClosingSink).fps(200).build();
      ref2.set(runner2);
      runner2.start();
      assertTrue(runner2.awaitTermination(WAIT));
      assertEquals(State.STOPPED, runner2.state());
      assertEquals(1, source2.closes.get());
    } finally {
      callbacks.shutdown();
    }
  }

  @Test
  void s8_closeIsBoundedByTheStopTimeout() throws Exception {
    CountDownLatch blocked = new CountDownLatch(1);
    AtomicBoolean release = new AtomicBoolean();
    FakeSource source = new FakeSource(); // misbehaves: ignores close() and interrupts
    source.onNext = call -> {
      blocked.countDown();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!release.get() && System.nanoTime() - deadline < 0) {
        Thread.interrupted(); // swallow, or parkNanos would return at once
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
      throw new IOException("released");
    };
    ManualClock clock = new ManualClock();
    SourceRunner runner = runner(source, new CountingSink(), clock).stopTimeout(ms(300)).build();
    runner.start();
    assertTrue(blocked.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    source.closeMayOverlap = true;
    long start = clock.nanoTime();
    AtomicLong returnedAt = new AtomicLong(-1);
    Thread stopper = new Thread(() -> {
      runner.close();
      returnedAt.set(clock.nanoTime());
    }, "test-stopper");
    stopper.start();
    await("close() has called the source's close()", () -> source.closes.get() == 1);
    // close() reads the clock for its deadline before it waits: advance only once it waits, or the deadline
    // would start after the advance and never come
    await("close() waits for the runner thread", () -> stopper.getState() == Thread.State.TIMED_WAITING);
    clock.advance(ms(299));
    clock.advance(ms(1));
    await("close() returns once the stop timeout has passed", () -> returnedAt.get() >= 0);
    assertEquals(ms(300), Duration.ofNanos(returnedAt.get() - start), "close() waited exactly the stop timeout");
    assertFalse(runner.awaitTermination(Duration.ZERO), "the runner thread is still stuck in the source");
    assertNotEquals(State.STOPPED, runner.state(), "not STOPPED while the thread still runs");

    release.set(true);
    assertTrue(runner.awaitTermination(WAIT));
    assertEquals(State.STOPPED, runner.state());
    assertEquals(1, source.closes.get());
    assertEquals(0, runner.stats().failures());
  }

  @Test
  void s8_framesArriveAtAChannelSubscriber() {
    try (Channel channel = Channel.create("x")) {
      List<Frame> received = new CopyOnWriteArrayList<>();
      channel.subscribe(FrameSink.of(received::add));
      FakeSource source = new FakeSource();
      try (SourceRunner runner = runner(source, channel).fps(100).build()) {
        runner.start();
        await("ten frames at the subscriber", () -> received.size() >= 10);
        source.closeMayOverlap = true;
      }
      long previous = 0;
      int previousPayload = 0;
      for (Frame f : received) {
        assertTrue(f.sequence() > previous, "sequence numbers increase");
        int payload = f.payload().getInt(0);
        assertTrue(payload > previousPayload, "frames arrive in production order");
        previous = f.sequence();
        previousPayload = payload;
      }
      long last = channel.latestFrame().orElseThrow().sequence();
      await("the last frame at the subscriber", () -> received.get(received.size() - 1).sequence() == last);
    }
  }

  @Test
  void s8_closingTheChannelStopsTheRunner() throws Exception {
    Channel channel = Channel.create("x");
    List<Frame> received = new CopyOnWriteArrayList<>();
    channel.subscribe(FrameSink.of(received::add));
    FakeSource source = new FakeSource();
    source.closeMayOverlap = true;
    SourceRunner runner = runner(source, channel).fps(100).build();
    runner.start();
    await("three frames at the subscriber", () -> received.size() >= 3);
    channel.close();
    assertTrue(runner.awaitTermination(WAIT), "the runner stops when its channel closes");
    assertEquals(State.STOPPED, runner.state());
    assertTrue(runner.stats().sinkFailures() >= 1, runner.stats().toString());
    assertEquals(0, runner.stats().failures());
    assertEquals(1, source.closes.get());
    runner.close();
    assertEquals(State.STOPPED, runner.state());
  }

  @Test
  void s8_aChannelClosedFailureReportedLaterStopsTheRunner() throws Exception {
    ScheduledExecutorService completer = Executors.newSingleThreadScheduledExecutor();
    AtomicInteger sends = new AtomicInteger();
    FrameSink closedLater = (frame, callback) -> {
      int n = sends.incrementAndGet();
      completer.schedule(() -> {
        if (n == 3) {
          callback.failed(new ChannelClosedException("channel 'y' is closed"));
        } else {
          callback.completed();
        }
      }, 5, TimeUnit.MILLISECONDS);
    };
    FakeSource source = new FakeSource();
    source.closeMayOverlap = true;
    try {
      SourceRunner runner = runner(source, closedLater).fps(10).build();
      runner.start();
      assertTrue(runner.awaitTermination(WAIT), "an asynchronous ChannelClosedException stops the runner");
      assertEquals(State.STOPPED, runner.state());
      assertEquals(3, sends.get(), "no frame is sent after the channel reported closed");
      assertEquals(1, runner.stats().sinkFailures());
      assertEquals(1, source.closes.get());
    } finally {
      completer.shutdownNow();
    }
  }

  @Test
  void s8_aChannelClosedWhileTheSourceBlocksStopsTheRunnerAndClosesTheSource() throws Exception {
    CountDownLatch sent = new CountDownLatch(1);
    AtomicReference<SendCallback> pending = new AtomicReference<>();
    FrameSink slowSink = (frame, callback) -> {
      pending.set(callback);
      sent.countDown();
    };
    CountDownLatch unblocked = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    AtomicInteger closes = new AtomicInteger();
    FrameSource blocksAfterFirst = new FrameSource() {
      @Override
      public Frame nextFrame() throws Exception {
        if (calls.incrementAndGet() == 1) {
          return Frame.of("image/jpeg", new byte[] {1});
        }
        unblocked.await(); // an idle camera: no frame until closed
        throw new java.io.IOException("closed");
      }

      @Override
      public void close() {
        closes.incrementAndGet();
        unblocked.countDown();
      }
    };
    SourceRunner runner = SourceRunner.builder(blocksAfterFirst, slowSink).build().start();
    assertTrue(sent.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    await("runner blocks in nextFrame", () -> calls.get() == 2);
    pending.get().failed(new ChannelClosedException("channel 'z' is closed"));
    assertTrue(runner.awaitTermination(WAIT), "the runner stops although the source was blocked");
    assertEquals(State.STOPPED, runner.state());
    assertEquals(1, closes.get(), "the blocked source is closed once");
    assertEquals(0, runner.stats().failures(), "stopping is not a failure");
  }

  @Test
  void builderRejectsBadValues() {
    FakeSource source = new FakeSource();
    CountingSink sink = new CountingSink();
    assertThrows(NullPointerException.class, () -> SourceRunner.builder(null, sink));
    assertThrows(NullPointerException.class, () -> SourceRunner.builder(source, null));
    SourceRunner.Builder b = SourceRunner.builder(source, sink);
    assertThrows(IllegalArgumentException.class, () -> b.fps(-1));
    assertThrows(IllegalArgumentException.class, () -> b.fps(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> b.fps(1001));
    assertThrows(IllegalArgumentException.class, () -> b.backoff(Duration.ZERO, ms(1)));
    assertThrows(IllegalArgumentException.class, () -> b.backoff(ms(10), ms(5)));
    assertThrows(IllegalArgumentException.class, () -> b.backoff(ms(10), Duration.ofDays(400)));
    IllegalArgumentException fps = assertThrows(IllegalArgumentException.class, () -> b.fps(2000));
    assertTrue(fps.getMessage().startsWith("fps must be"), fps.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.stopTimeout(Duration.ZERO));
    assertThrows(NullPointerException.class, () -> b.name(null));
    SourceRunner runner = b.name("cam").build();
    assertEquals("cam", runner.name());
    assertEquals(State.NEW, runner.state());
    assertEquals(new SourceRunner.Stats(0, 0, 0, 0, 0, 0, ""), runner.stats());
    runner.close();
  }

  // ---- helpers ------------------------------------------------------------------------------------

  private static SourceRunner.Builder runner(FrameSource source, FrameSink sink) {
    return SourceRunner.builder(source, sink).stopTimeout(Duration.ofSeconds(10));
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  private static Frame frame(int n) {
    return Frame.of("image/jpeg", new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
  }

  /** Polls a condition every millisecond; fails the test if it does not hold within {@link #WAIT}. */
  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after " + WAIT + " waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  private static boolean threadAlive(String name) {
    Set<Thread> threads = Thread.getAllStackTraces().keySet();
    return threads.stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
  }

  /** What a {@link FakeSource} passes to its {@code nextFrame()} script. */
  static final class Call {
    /** The opening this call belongs to, 1-based (counts failed open attempts too). */
    final int opening;
    /** The call number within this opening, 1-based. */
    final int inOpen;
    /** The call number over the source's life, 1-based. */
    final int total;

    Call(int opening, int inOpen, int total) {
      this.opening = opening;
      this.inOpen = inOpen;
      this.total = total;
    }
  }

  @FunctionalInterface
  interface OpenScript {
    void open(int attempt) throws Exception;
  }

  @FunctionalInterface
  interface NextScript {
    Frame next(Call call) throws Exception;
  }

  /** Timestamps, kept up to a bound so that a fast source cannot fill the heap. */
  static final class Timeline {
    private static final int MAX = 100_000;
    private long[] times = new long[64];
    private int size;

    synchronized void add(long t) {
      if (size == MAX) {
        return;
      }
      if (size == times.length) {
        times = Arrays.copyOf(times, times.length * 2);
      }
      times[size++] = t;
    }

    synchronized long get(int i) {
      if (i >= size) {
        throw new IndexOutOfBoundsException(i + " of " + size);
      }
      return times[i];
    }

    synchronized long[] snapshot() {
      return Arrays.copyOf(times, size);
    }
  }

  /**
   * A scripted source that records its calls and checks the {@link FrameSource} rules itself: open before
   * nextFrame, close once per successful open, no concurrent calls (except close while stopping, S4).
   */
  static final class FakeSource implements FrameSource {
    volatile OpenScript onOpen = attempt -> {};
    volatile NextScript onNext = call -> frame(call.total);
    volatile Runnable onClose = () -> {};
    /** Set by a test just before it stops the runner: from then on close() may overlap nextFrame(). */
    volatile boolean closeMayOverlap;
    volatile boolean recordTimes = true;
    /** The clock of the recorded times: the runner's. */
    volatile Ticker time = Ticker.system();

    final AtomicInteger openAttempts = new AtomicInteger();
    final AtomicInteger successfulOpens = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final AtomicInteger nextCalls = new AtomicInteger();
    final Timeline openTimes = new Timeline();
    final Timeline closeTimes = new Timeline();
    final Timeline nextStartTimes = new Timeline();
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    volatile Thread lastCloseThread;

    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean isOpen;
    private int callsInOpen; // runner thread only

    @Override
    public void open() throws Exception {
      int attempt = openAttempts.incrementAndGet();
      openTimes.add(time.nanoTime());
      event("open");
      enter("open()");
      try {
        if (isOpen) {
          violations.add("open() while already open");
        }
        onOpen.open(attempt);
        callsInOpen = 0;
        isOpen = true;
        successfulOpens.incrementAndGet();
      } finally {
        active.decrementAndGet();
      }
    }

    @Override
    public Frame nextFrame() throws Exception {
      int call = nextCalls.incrementAndGet();
      if (recordTimes) {
        nextStartTimes.add(time.nanoTime());
        event("next");
      }
      enter("nextFrame()");
      try {
        if (!isOpen) {
          if (closeMayOverlap && openAttempts.get() > 0) {
            // Rule S4: a stop may close the source just before this call; a real source fails here.
            throw new IOException("closed");
          }
          violations.add("nextFrame() without open()");
        }
        return onNext.next(new Call(openAttempts.get(), ++callsInOpen, call));
      } finally {
        active.decrementAndGet();
      }
    }

    @Override
    public void close() {
      closeTimes.add(time.nanoTime());
      event("close");
      lastCloseThread = Thread.currentThread();
      if (active.get() > 0 && !closeMayOverlap) {
        violations.add("close() concurrent with another call");
      }
      if (!isOpen) {
        violations.add("close() without a matching successful open()");
      }
      isOpen = false;
      closes.incrementAndGet();
      onClose.run();
    }

    List<String> eventsSnapshot() {
      synchronized (events) {
        return new ArrayList<>(events);
      }
    }

    private void event(String e) {
      if (events.size() < 10_000) {
        events.add(e);
      }
    }

    private void enter(String method) {
      if (active.incrementAndGet() > 1) {
        violations.add(method + " concurrent with another call");
      }
    }
  }

  /** Completes every frame at once and keeps the first thousand. */
  static final class CountingSink implements FrameSink {
    final AtomicInteger sends = new AtomicInteger();
    final List<Frame> frames = new CopyOnWriteArrayList<>();

    @Override
    public void send(Frame frame, SendCallback callback) {
      if (sends.incrementAndGet() <= 1_000) {
        frames.add(frame);
      }
      callback.completed();
    }
  }
}
