package io.framestream.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelState;
import io.framestream.core.CloseReason;
import io.framestream.core.Frame;
import io.framestream.core.FrameSink;
import io.framestream.core.SendCallback;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Checks a {@link FrameSink} of your own against the sink rules K1 to K5 of the framestream contract, the
 * way the Reactive Streams TCK checks a publisher: extend this class in your test sources, implement {@link
 * #createSink()}, and run it with JUnit 5. Each test method is named after the rule it checks ({@code
 * k1_...}), so a failure names the rule your sink breaks.
 *
 * <pre>{@code
 * class RecorderSinkVerificationTest extends FrameSinkVerification {
 *   protected FrameSink createSink() {
 *     return new RecorderSink(tempDir);
 *   }
 * }
 * }</pre>
 *
 * <p>The verification plays the channel: it calls the sink serially, never after {@code closed}, and {@code
 * closed} at most once (the rules a channel keeps, K3 and K4), and checks what the sink owes in return:
 *
 * <ul>
 *   <li>K1: {@code send} returns within {@link #sendBound()} (it starts the work and returns).
 *   <li>K2: every send is reported exactly once, {@code completed()} or {@code failed(...)}, within {@link
 *       #completionBound()}, whatever the thread.
 *   <li>K3: frames still in flight when {@code closed} arrives are reported all the same.
 *   <li>K4: {@code closed} is taken once for every reason a subscription ends, and returns within {@link
 *       #sendBound()}.
 *   <li>K5: a sink that fails (by throwing or through the callback) ends only its own subscription of a real
 *       {@link Channel}; it needs {@link #createFailingSink()} and is skipped without one.
 * </ul>
 *
 * <p>Sinks that need a peer (a socket, a server) set it up in {@link #createSink()} and release it in {@link
 * #disposeSink(FrameSink)}. Each test creates its own sinks.
 *
 * <h2>Thread safety</h2>
 *
 * A test instance is used by one JUnit thread; the sink under test is called from one caller thread of the
 * verification at a time, and its callbacks may arrive on any thread.
 *
 * @since 0.2.0
 */
public abstract class FrameSinkVerification {

  private ExecutorService caller;
  private final List<FrameSink> created = new CopyOnWriteArrayList<>();
  /** The first rule broken by a callback, recorded when it happens (a late second call, say). */
  private final AtomicReference<String> violation = new AtomicReference<>();

  /** Creates a verification; JUnit calls this for the subclass. */
  protected FrameSinkVerification() {}

  /**
   * Creates a new sink, ready to accept frames.
   *
   * @return the sink under test
   * @throws Exception if it cannot be created; the test fails
   */
  protected abstract FrameSink createSink() throws Exception;

  /**
   * Releases what {@link #createSink()} acquired; called after each test for every sink it created (including
   * those from {@link #createFailingSink()}). The default does nothing.
   *
   * @param sink a sink this verification created
   * @throws Exception if releasing fails; the test fails
   */
  protected void disposeSink(FrameSink sink) throws Exception {}

  /**
   * Creates a sink of your kind in a state where it fails its sends (its peer refuses, its disk is full, ...),
   * for rule K5. The default returns {@code null}, and the K5 test is skipped.
   *
   * @return a failing sink, or {@code null}
   * @throws Exception if it cannot be created; the test fails
   */
  protected FrameSink createFailingSink() throws Exception {
    return null;
  }

  /**
   * The frames the verification sends: by default small JPEG-looking images of 1 KiB whose first bytes carry
   * the index. Override to send what your sink expects.
   *
   * @param index 0, 1, 2, ...
   * @return a frame, not yet published
   */
  protected Frame frame(int index) {
    return Frame.of("image/jpeg", ByteBuffer.allocate(1024).putInt(0xFFD8FFE0).putInt(index).array());
  }

  /**
   * How many frames a test sends; default 20.
   *
   * @return at least 1
   */
  protected int frameCount() {
    return 20;
  }

  /**
   * How long {@code send} and {@code closed} may take before they count as blocking (K1); default 1 s, generous
   * for a busy machine: a sink that waits for a peer takes far longer.
   *
   * @return the bound
   */
  protected Duration sendBound() {
    return Duration.ofSeconds(1);
  }

  /**
   * How long the sink may take to report a send (K2); default the channels' stall timeout, after which a
   * channel evicts a subscriber.
   *
   * @return the bound
   */
  protected Duration completionBound() {
    return ChannelConfig.DEFAULT_STALL_TIMEOUT;
  }

  /** Starts the thread that calls the sink; JUnit calls this before each test. */
  @BeforeEach
  protected final void startCaller() {
    violation.set(null);
    caller = Bounded.thread("framestream-verification-caller");
  }

  /**
   * Releases every sink the test created, through {@link #disposeSink(FrameSink)}; JUnit calls this after each
   * test.
   *
   * @throws Exception if releasing fails
   */
  @AfterEach
  protected final void disposeSinks() throws Exception {
    caller.shutdownNow(); // a sink that blocked the caller keeps its (daemon) thread; the next test gets a new one
    for (FrameSink sink : created) {
      disposeSink(sink);
    }
    created.clear();
  }

  /**
   * K1: {@code send} starts the work and returns, for every frame, without waiting for the outcome.
   *
   * @throws Exception if the sink cannot be created
   */
  @Test
  public void k1_sendNeverBlocksItsCaller() throws Exception {
    FrameSink sink = newSink();
    for (int i = 0; i < frameCount(); i++) {
      Outcome outcome = send(sink, frame(i));
      outcome.await("K1");
    }
    closeLater(sink, CloseReason.NORMAL);
  }

  /**
   * K2: the outcome of every send is reported exactly once, {@code completed()} or {@code failed(...)}, within
   * {@link #completionBound()}.
   *
   * @throws Exception if the sink cannot be created
   */
  @Test
  public void k2_everySendIsReportedExactlyOnce() throws Exception {
    FrameSink sink = newSink();
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < frameCount(); i++) {
      Outcome outcome = send(sink, frame(i));
      outcome.await("K2");
      outcomes.add(outcome);
    }
    closeLater(sink, CloseReason.NORMAL);
    assertNoViolation();
    for (Outcome o : outcomes) {
      assertEquals(1, o.calls.get(), () -> "K2: the send of " + o.frame + " was reported " + o.calls.get() + " times");
    }
  }

  /**
   * K2 under a real channel: subscribed to a {@link Channel} whose stall timeout is {@link #completionBound()},
   * the sink keeps up with every frame published one after another, is never evicted or failed, and is closed
   * once when the channel closes.
   *
   * @throws Exception if the sink cannot be created
   */
  @Test
  public void k2_keepsUpWithAChannel() throws Exception {
    Observed sink = new Observed(newSink());
    Channel channel = Channel.create("sink-verification",
        ChannelConfig.builder().stallTimeout(completionBound()).build());
    try {
      channel.subscribe(sink);
      for (int i = 0; i < frameCount(); i++) {
        Frame published = channel.publish(frame(i));
        Await.holds(() -> "K2: the sink did not report frame " + published.sequence() + " within "
            + completionBound() + " (closed: " + sink.closedReasons + ")",
            () -> sink.reported.get() >= published.sequence() || !sink.closedReasons.isEmpty(),
            completionBound().plus(sendBound()));
        Await.holds(() -> "K1: send did not return within " + completionBound().plus(sendBound()),
            () -> sink.inSend.get() == 0, completionBound().plus(sendBound()));
        assertNoViolation(); // a send that blocked the channel's thread is K1's failure, not the eviction's
        assertTrue(sink.closedReasons.isEmpty(), () -> "K2: the channel ended the subscription: " + sink.closedReasons);
      }
    } finally {
      channel.close();
    }
    Await.holds(() -> "K4: no closed(CHANNEL_CLOSED) after the channel closed", () -> !sink.closedReasons.isEmpty(),
        completionBound());
    assertEquals(CloseReason.Code.CHANNEL_CLOSED, sink.closedReasons.get(0).code(),
        () -> "K2: the subscription ended for another reason first: " + sink.closedReasons);
    assertEquals(0, sink.failed.get(), () -> "K2: the sink failed " + sink.failed.get() + " sends of a healthy channel");
    assertNoViolation();
  }

  /**
   * K3: a sink may still have frames in flight when {@code closed} arrives; it reports them all the same,
   * exactly once.
   *
   * @throws Exception if the sink cannot be created
   */
  @Test
  public void k3_framesInFlightAtCloseAreStillReported() throws Exception {
    FrameSink sink = newSink();
    Outcome inFlight = send(sink, frame(0)); // not awaited: closed comes while it may still be in flight
    closeLater(sink, new CloseReason(CloseReason.Code.NORMAL, "unsubscribed with a frame in flight"));
    inFlight.await("K3");
  }

  /**
   * K4: {@code closed} is taken once, for each reason a subscription ends, and returns promptly.
   *
   * @throws Exception if the sink cannot be created
   */
  @Test
  public void k4_closedIsTakenOnceForEveryReason() throws Exception {
    for (CloseReason.Code code : CloseReason.Code.values()) {
      FrameSink sink = newSink();
      send(sink, frame(0)).await("K4");
      call("K4", "closed(" + code + ")", () -> sink.closed(new CloseReason(code, "verification: " + code)));
    }
  }

  /**
   * K5: a failing sink (one that throws from {@code send} or reports {@code failed(...)}) ends only its own
   * subscription, with {@code SINK_FAILED}; the channel and a neighbouring subscriber carry on. Needs {@link
   * #createFailingSink()}.
   *
   * @throws Exception if the sink cannot be created
   */
  @Test
  public void k5_aFailingSinkEndsOnlyItsOwnSubscription() throws Exception {
    FrameSink failing = createFailingSink();
    assumeTrue(failing != null, "K5 needs createFailingSink(): this verification has none");
    created.add(failing);
    Observed sink = new Observed(failing);
    RecordingSink neighbour = RecordingSink.immediate();
    Channel channel = Channel.create("sink-verification-k5",
        ChannelConfig.builder().stallTimeout(completionBound()).build());
    try {
      channel.subscribe(sink);
      channel.subscribe(neighbour);
      int n = Math.max(3, Math.min(frameCount(), 10));
      long last = 0;
      for (int i = 0; i < n; i++) {
        last = channel.publish(frame(i)).sequence();
      }
      long lastSequence = last;
      Await.holds(() -> "K5: the failing sink's subscription did not end (closed: " + sink.closedReasons + ")",
          () -> !sink.closedReasons.isEmpty(), completionBound().plus(sendBound()));
      assertEquals(CloseReason.Code.SINK_FAILED, sink.closedReasons.get(0).code(),
          () -> "K5: a failing sink's subscription ends with SINK_FAILED, not " + sink.closedReasons);
      Await.holds(() -> "K5: the neighbour did not receive every frame", () -> neighbour.lastSequence() == lastSequence,
          completionBound());
      assertFalse(channel.isClosed(), "K5: the channel carries on");
      assertFalse(neighbour.isClosed(), "K5: the neighbour's subscription carries on");
      neighbour.assertRulesHeld();
    } finally {
      channel.close();
    }
  }

  private FrameSink newSink() throws Exception {
    FrameSink sink = createSink();
    assertTrue(sink != null, "createSink() returned null");
    created.add(sink);
    return sink;
  }

  private void assertNoViolation() {
    String v = violation.get();
    if (v != null) {
      fail(v);
    }
  }

  /** Calls {@code send} on the caller thread and waits for it to return at most {@link #sendBound()}. */
  private Outcome send(FrameSink sink, Frame frame) {
    Outcome outcome = new Outcome(frame);
    call("K1", "send(" + frame + ")", () -> sink.send(frame, outcome));
    return outcome;
  }

  /** Calls {@code closed} on the caller thread, after the calls before it, without waiting (K4 checks that). */
  private void closeLater(FrameSink sink, CloseReason reason) {
    caller.execute(() -> sink.closed(reason));
  }

  private void call(String rule, String what, Runnable call) {
    Bounded.call(caller, Executors.callable(call), sendBound(),
        rule + ": " + what + " did not return within " + sendBound() + ": a sink must not block its caller",
        cause -> what + " threw " + cause + ": a healthy sink reports failures through the callback");
  }

  /** One send's callback: counts its calls, records a second one as a K2 violation. */
  private class Outcome implements SendCallback {
    final Frame frame;
    final AtomicInteger calls = new AtomicInteger();

    Outcome(Frame frame) {
      this.frame = frame;
    }

    @Override
    public void completed() {
      record("completed()");
    }

    @Override
    public void failed(Throwable cause) {
      record("failed(" + cause + ")");
    }

    private void record(String how) {
      if (calls.incrementAndGet() > 1) {
        violation.compareAndSet(null, "K2: the send of " + frame + " was reported again, by " + how);
      }
    }

    void await(String rule) {
      Await.holds(() -> rule + ": the send of " + frame + " was not reported within " + completionBound(),
          () -> calls.get() > 0, completionBound());
    }
  }

  /** Forwards to the sink under test, recording its outcomes and the reasons it was closed with. */
  private final class Observed implements FrameSink {
    final FrameSink delegate;
    final AtomicInteger failed = new AtomicInteger();
    /** The highest sequence number reported by the sink (sends are serial with one in flight). */
    final AtomicInteger reported = new AtomicInteger();
    final List<CloseReason> closedReasons = new CopyOnWriteArrayList<>();
    /** Calls of {@code send} in progress on the channel's thread. */
    final AtomicInteger inSend = new AtomicInteger();

    Observed(FrameSink delegate) {
      this.delegate = delegate;
    }

    @Override
    public void send(Frame frame, SendCallback callback) {
      Outcome outcome = new Outcome(frame) {
        @Override
        public void completed() {
          super.completed();
          reported.accumulateAndGet((int) frame.sequence(), Math::max);
          callback.completed();
        }

        @Override
        public void failed(Throwable cause) {
          super.failed(cause);
          failed.incrementAndGet();
          reported.accumulateAndGet((int) frame.sequence(), Math::max);
          callback.failed(cause);
        }
      };
      inSend.incrementAndGet();
      long start = System.nanoTime();
      try {
        delegate.send(frame, outcome);
      } finally {
        long took = System.nanoTime() - start;
        if (took > sendBound().toNanos()) {
          violation.compareAndSet(null, "K1: send(" + frame + ") blocked the channel's delivery thread for "
              + Duration.ofNanos(took).toMillis() + " ms");
        }
        inSend.decrementAndGet();
      }
    }

    @Override
    public void closed(CloseReason reason) {
      closedReasons.add(reason);
      delegate.closed(reason);
    }

    @Override
    public void status(ChannelState state) {
      delegate.status(state);
    }
  }
}
