package io.framestream.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.framestream.core.Frame;
import io.framestream.core.FrameSource;
import io.framestream.core.RetryPolicy;
import io.framestream.core.SourceRunner;
import java.io.EOFException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Checks a {@link FrameSource} of your own against the source rules S1 to S8 of the framestream contract, the
 * way the Reactive Streams TCK checks a publisher: extend this class in your test sources, implement {@link
 * #createSource()}, and run it with JUnit 5. Each test method is named after the rule it checks ({@code
 * s4_...}), so a failure names the rule your source breaks.
 *
 * <pre>{@code
 * class CameraSourceVerificationTest extends FrameSourceVerification {
 *   protected FrameSource createSource() {
 *     return new CameraSource(fakeDevice());
 *   }
 *
 *   protected FrameSource createBlockingSource() {
 *     return new CameraSource(silentDevice()); // nextFrame() waits for a picture that never comes
 *   }
 * }
 * }</pre>
 *
 * <p>What it checks, directly and under a real {@link SourceRunner}:
 *
 * <ul>
 *   <li>S1: {@code open()} then {@code nextFrame()} produce frames, and the source opens again after {@code
 *       close()} (every restart reopens it).
 *   <li>S2: {@code nextFrame()} returns a frame (never {@code null}), ends a finite stream with {@link
 *       EOFException} ({@link #createEndingSource()}) and reports a failure by throwing anything else
 *       ({@link #createFailingSource()}).
 *   <li>S3: a failing source is closed after each failure and opened again by the runner, never concurrently.
 *   <li>S4: every {@code open()} is matched by one {@code close()} when the runner stops, within {@link
 *       #stopBound()}; and {@code close()} from another thread unblocks a {@code nextFrame()} that waits
 *       ({@link #createBlockingSource()}), or makes the next call fail or return promptly.
 *   <li>S8: {@code close()} is idempotent, safe from any thread, and returns within {@link #stopBound()}.
 * </ul>
 *
 * <p>The optional factories return {@code null} by default, and the tests that need them are skipped. {@link
 * #assertReleased(FrameSource)} lets a verification check that a closed source let go of what it held (a
 * process, a socket, a file).
 *
 * <h2>Thread safety</h2>
 *
 * A test instance is used by one JUnit thread. The source under test is driven by one worker thread at a time,
 * except where S4 allows {@code close()} from another thread.
 *
 * @since 0.2.0
 */
public abstract class FrameSourceVerification {

  private ExecutorService worker;
  private final List<FrameSource> created = new CopyOnWriteArrayList<>();

  /** Creates a verification; JUnit calls this for the subclass. */
  protected FrameSourceVerification() {}

  /**
   * Creates a new source that produces frames (a healthy camera, file or generator), not yet opened.
   *
   * @return the source under test
   * @throws Exception if it cannot be created; the test fails
   */
  protected abstract FrameSource createSource() throws Exception;

  /**
   * Creates a source whose {@code nextFrame()} blocks until a frame comes, and none comes (a silent camera, a
   * socket with no data), for rule S4. The default returns {@code null}, and that test is skipped.
   *
   * @return a source that blocks, or {@code null}
   * @throws Exception if it cannot be created; the test fails
   */
  protected FrameSource createBlockingSource() throws Exception {
    return null;
  }

  /**
   * Creates a source that fails: its {@code open()} or a {@code nextFrame()} after a few frames throws
   * something other than {@link EOFException} (a missing device, a broken pipe), for rules S2 and S3. The
   * default returns {@code null}, and those tests are skipped.
   *
   * @return a failing source, or {@code null}
   * @throws Exception if it cannot be created; the test fails
   */
  protected FrameSource createFailingSource() throws Exception {
    return null;
  }

  /**
   * Creates a finite source that ends its stream after a few frames (a short file), for rule S2. The default
   * returns {@code null}, and that test is skipped.
   *
   * @return an ending source, or {@code null}
   * @throws Exception if it cannot be created; the test fails
   */
  protected FrameSource createEndingSource() throws Exception {
    return null;
  }

  /**
   * Releases what the factories acquired outside the source itself; called after each test for every source
   * the verification created. The default does nothing.
   *
   * @param source a source this verification created
   * @throws Exception if releasing fails; the test fails
   */
  protected void disposeSource(FrameSource source) throws Exception {}

  /**
   * Checks that a closed source holds nothing any more (its process ended, its socket closed); called after
   * the verification closed it. The default checks nothing.
   *
   * @param source a source the verification opened and closed
   * @throws Exception if the check cannot be made
   */
  protected void assertReleased(FrameSource source) throws Exception {}

  /**
   * How long {@code open()} and each {@code nextFrame()} of a producing source may take; default 5 s.
   *
   * @return the bound
   */
  protected Duration frameBound() {
    return Duration.ofSeconds(5);
  }

  /**
   * How long {@code close()} may take, and a runner's stop; default {@link SourceRunner#DEFAULT_STOP_TIMEOUT}.
   *
   * @return the bound
   */
  protected Duration stopBound() {
    return SourceRunner.DEFAULT_STOP_TIMEOUT;
  }

  /**
   * How many frames a test takes from a producing source; default 3.
   *
   * @return at least 1
   */
  protected int frameCount() {
    return 3;
  }

  /**
   * How many frames an ending or failing source may produce before it must end or fail; default 10,000.
   *
   * @return the limit
   */
  protected int maxFramesBeforeEnd() {
    return 10_000;
  }

  /** Starts the thread that drives the source; JUnit calls this before each test. */
  @BeforeEach
  protected final void startWorker() {
    worker = Bounded.thread("framestream-verification-source");
  }

  /**
   * Releases every source the test created, through {@link #disposeSource(FrameSource)}; JUnit calls this after
   * each test.
   *
   * @throws Exception if releasing fails
   */
  @AfterEach
  protected final void disposeSources() throws Exception {
    worker.shutdownNow(); // a source that blocked its thread keeps it (a daemon); the next test gets a new one
    for (FrameSource s : created) {
      disposeSource(s);
    }
    created.clear();
  }

  /**
   * S1: {@code open()}, then {@code nextFrame()} produces frames, each within {@link #frameBound()}; {@code
   * close()} ends the run.
   *
   * @throws Exception if the source cannot be created
   */
  @Test
  public void s1_openThenNextFrameProducesFrames() throws Exception {
    FrameSource source = newSource(createSource());
    open(source, "S1", "");
    for (int i = 0; i < frameCount(); i++) {
      run("S1", "nextFrame() #" + (i + 1), source::nextFrame, frameBound());
    }
    closeWithin(source, "S1");
    assertReleased(source);
  }

  /**
   * S1: after {@code close()} the source opens again and produces frames, as after every restart.
   *
   * @throws Exception if the source cannot be created
   */
  @Test
  public void s1_opensAgainAfterClose() throws Exception {
    FrameSource source = newSource(createSource());
    for (int round = 1; round <= 2; round++) {
      String r = " (run " + round + ")";
      open(source, "S1", r);
      run("S1", "nextFrame()" + r, source::nextFrame, frameBound());
      closeWithin(source, "S1");
    }
    assertReleased(source);
  }

  /**
   * S2: {@code nextFrame()} returns a frame with a content type, never {@code null}.
   *
   * @throws Exception if the source cannot be created
   */
  @Test
  public void s2_nextFrameReturnsAFrame() throws Exception {
    FrameSource source = newSource(createSource());
    open(source, "S2", "");
    try {
      for (int i = 0; i < frameCount(); i++) {
        Frame f = run("S2", "nextFrame() #" + (i + 1), source::nextFrame, frameBound());
        assertTrue(f != null, "S2: nextFrame() returned null; a source returns a frame or throws EOFException");
        assertTrue(f.contentType() != null && !f.contentType().isEmpty(), "S2: a frame without a content type");
      }
    } finally {
      closeWithin(source, "S2");
    }
  }

  /**
   * S2: a finite stream ends with {@link EOFException}, after frames and never {@code null}. Needs {@link
   * #createEndingSource()}.
   *
   * @throws Exception if the source cannot be created
   */
  @Test
  public void s2_endOfStreamIsAnEofException() throws Exception {
    FrameSource source = optional(createEndingSource(), "S2 (end of stream)", "createEndingSource");
    Throwable end = drive(source, "S2");
    closeWithin(source, "S2");
    assertTrue(end instanceof EOFException,
        () -> "S2: the end of a stream is an EOFException; this source ended with " + end);
  }

  /**
   * S2: a failing source reports its failure by throwing (from {@code open()} or {@code nextFrame()}),
   * something other than {@link EOFException}. Needs {@link #createFailingSource()}.
   *
   * @throws Exception if the source cannot be created
   */
  @Test
  public void s2_failureIsThrown() throws Exception {
    FrameSource source = optional(createFailingSource(), "S2 (failure)", "createFailingSource");
    Throwable end = drive(source, "S2");
    closeWithin(source, "S2");
    assertTrue(end != null && !(end instanceof EOFException),
        () -> "S2: a failure is thrown as something other than EOFException; this source ended with " + end);
  }

  /**
   * S3 and S5: under a {@link SourceRunner}, a failing source is closed after each failure and opened again;
   * its methods are never called concurrently; when the runner stops, every open has been closed. Needs {@link
   * #createFailingSource()}.
   *
   * @throws Exception if the source cannot be created
   */
  @Test
  public void s3_aFailedSourceIsClosedAndOpenedAgain() throws Exception {
    Spy spy = new Spy(optional(createFailingSource(), "S3", "createFailingSource"));
    RecordingSink sink = RecordingSink.immediate();
    SourceRunner runner = SourceRunner.builder(spy, sink).name("verification-s3")
        .retryPolicy(RetryPolicy.fixed(Duration.ofMillis(20))).stopTimeout(stopBound()).build().start();
    try {
      Await.holds(() -> "S3: the runner did not see two failures and reopen the source (" + runner.stats() + ")",
          () -> runner.stats().failures() >= 2 && spy.opens.get() >= 2, frameBound().multipliedBy(2));
    } finally {
      runner.close();
    }
    assertTrue(runner.awaitTermination(stopBound()), "S4: the runner did not stop within " + stopBound());
    spy.assertRules("S3");
  }

  /**
   * S4: stopping a {@link SourceRunner} that is producing closes the source exactly once per open, within
   * {@link #stopBound()}.
   *
   * @throws Exception if the source cannot be created
   */
  @Test
  public void s4_stoppingTheRunnerClosesEveryOpen() throws Exception {
    FrameSource source = newSource(createSource());
    Spy spy = new Spy(source);
    RecordingSink sink = RecordingSink.immediate();
    SourceRunner runner = SourceRunner.builder(spy, sink).name("verification-s4").stopTimeout(stopBound())
        .build().start();
    try {
      Await.holds(() -> "S4: fewer than " + frameCount() + " frames through the runner (" + runner.stats() + ")",
          () -> sink.count() >= frameCount(), frameBound().multipliedBy(frameCount()));
    } finally {
      long start = System.nanoTime();
      runner.close();
      long tookNanos = System.nanoTime() - start;
      assertTrue(tookNanos <= stopBound().toNanos() && runner.awaitTermination(Duration.ofMillis(1)),
          () -> "S4: the runner did not stop within " + stopBound() + " (" + runner.state() + ")");
    }
    spy.assertRules("S4");
    assertReleased(source);
  }

  /**
   * S4: {@code close()} from another thread makes a blocked {@code nextFrame()} return or fail within {@link
   * #stopBound()}, whether it lands during the call or just before it. Needs {@link #createBlockingSource()}.
   *
   * @throws Exception if the source cannot be created
   */
  @Test
  public void s4_closeUnblocksABlockedNextFrame() throws Exception {
    FrameSource source = optional(createBlockingSource(), "S4 (unblocking)", "createBlockingSource");
    open(source, "S4", "");
    CountDownLatch calling = new CountDownLatch(1);
    Future<Frame> next = worker.submit(() -> {
      calling.countDown();
      return source.nextFrame();
    });
    assertTrue(calling.await(frameBound().toMillis(), TimeUnit.MILLISECONDS), "the worker did not start");
    closeFromAnotherThread(source, "S4");
    try {
      next.get(stopBound().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      fail("S4: close() from another thread did not unblock nextFrame() within " + stopBound());
    } catch (ExecutionException e) {
      // failing is a fine way to end a call that close() interrupted
    }
    assertReleased(source);
  }

  /**
   * S8: {@code close()} is idempotent and safe from any thread: once from another thread, once more from this
   * one, each within {@link #stopBound()} and without throwing.
   *
   * @throws Exception if the source cannot be created
   */
  @Test
  public void s8_closeIsIdempotentAndSafeFromAnyThread() throws Exception {
    FrameSource source = newSource(createSource());
    open(source, "S8", "");
    run("S8", "nextFrame()", source::nextFrame, frameBound());
    closeFromAnotherThread(source, "S8");
    closeWithin(source, "S8");
    assertReleased(source);
  }

  /** The source of an optional factory, or the test is skipped where the verification has none. */
  private FrameSource optional(FrameSource source, String rule, String factory) {
    assumeTrue(source != null, rule + " needs " + factory + "(): this verification has none");
    return newSource(source);
  }

  private FrameSource newSource(FrameSource source) {
    assertTrue(source != null, "the factory returned null");
    created.add(source);
    return source;
  }

  /** Opens and takes frames until the source ends or fails; returns what ended it. */
  private Throwable drive(FrameSource source, String rule) {
    Callable<Throwable> loop = () -> {
      try {
        source.open();
        for (int i = 0; i < maxFramesBeforeEnd(); i++) {
          if (source.nextFrame() == null) {
            return new AssertionError(rule + ": nextFrame() returned null");
          }
        }
        return null;
      } catch (Exception e) {
        return e;
      }
    };
    Throwable end = run(rule, "open() and nextFrame() until the stream ends", loop,
        frameBound().multipliedBy(4));
    if (end instanceof AssertionError) {
      throw (AssertionError) end;
    }
    assertTrue(end != null, () -> rule + ": the source produced " + maxFramesBeforeEnd() + " frames without ending");
    return end;
  }

  /** Calls {@code close()} on a thread of its own (not the worker, which may be blocked in the source). */
  private void closeFromAnotherThread(FrameSource source, String rule) {
    ExecutorService other = Bounded.thread("framestream-verification-closer");
    try {
      Bounded.call(other, Executors.callable(source::close), stopBound(),
          rule + ": close() from another thread did not return within " + stopBound(),
          cause -> rule + ": close() from another thread threw " + cause);
    } finally {
      other.shutdownNow();
    }
  }

  /** Opens the source on the worker, within {@link #frameBound()}. */
  private void open(FrameSource source, String rule, String note) {
    run(rule, "open()" + note, () -> {
      source.open();
      return null;
    }, frameBound());
  }

  private void closeWithin(FrameSource source, String rule) {
    run(rule, "close()", () -> {
      source.close();
      return null;
    }, stopBound());
  }

  /** Runs one call on the worker, bounded; an exception from it fails the test, naming the rule. */
  private <T> T run(String rule, String what, Callable<T> call, Duration bound) {
    return Bounded.call(worker, call, bound, rule + ": " + what + " did not return within " + bound,
        cause -> rule + ": " + what + " threw " + cause);
  }

  /**
   * Forwards to the source under test, counting opens and closes, and recording calls that overlap (S5) or
   * close without an open (S4).
   */
  private static final class Spy implements FrameSource {
    final FrameSource delegate;
    final AtomicInteger opens = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final AtomicInteger inCall = new AtomicInteger();
    final AtomicReference<String> violation = new AtomicReference<>();
    private volatile boolean open;

    Spy(FrameSource delegate) {
      this.delegate = delegate;
    }

    @Override
    public void open() throws Exception {
      enter("open()");
      try {
        delegate.open();
        opens.incrementAndGet();
        open = true;
      } finally {
        inCall.decrementAndGet();
      }
    }

    @Override
    public Frame nextFrame() throws Exception {
      enter("nextFrame()");
      try {
        return delegate.nextFrame();
      } finally {
        inCall.decrementAndGet();
      }
    }

    @Override
    public void close() {
      // close() may overlap a blocked nextFrame() (S4), so it is not counted as a concurrent call
      if (!open) {
        violation.compareAndSet(null, "close() without an open() before it");
      }
      open = false;
      closes.incrementAndGet();
      delegate.close();
    }

    private void enter(String what) {
      if (inCall.incrementAndGet() != 1) {
        violation.compareAndSet(null, "S5: " + what + " called while another call was in progress");
      }
    }

    void assertRules(String rule) {
      assertEquals(null, violation.get(), rule + ": the runner's calls broke a source rule");
      assertEquals(opens.get(), closes.get(), rule + ": every open() that returned is closed exactly once");
    }
  }
}
