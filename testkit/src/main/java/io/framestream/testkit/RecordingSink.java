package io.framestream.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.ChannelState;
import io.framestream.core.CloseReason;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSink;
import io.framestream.core.SendCallback;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A sink that records what it receives and checks the sink rules as it goes: calls are serial (K3), nothing
 * arrives after {@code closed} (K3), and {@code closed} comes at most once (K4).
 *
 * <p>Modes: {@link Mode#IMMEDIATE} completes every send at once; {@link Mode#NEVER} never completes (a
 * stalled viewer); {@link Mode#MANUAL} keeps callbacks until {@link #completeAll()}.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: a channel calls it from its dispatcher while the test reads it from its own thread.
 */
public final class RecordingSink implements FrameSink {

  /** When sends complete. */
  public enum Mode {
    /** Every send completes at once. */
    IMMEDIATE,
    /** No send ever completes: a stalled viewer. */
    NEVER,
    /** Sends complete when the test calls {@link #completeAll()} or {@link #failAll(Throwable)}. */
    MANUAL
  }

  private final Mode mode;
  private final List<Frame> frames = new ArrayList<>();
  /** Frame sequence numbers and status names, in arrival order. */
  private final List<String> events = new ArrayList<>();
  private final ConcurrentLinkedQueue<SendCallback> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inCall = new AtomicInteger();
  private final AtomicInteger closedCalls = new AtomicInteger();
  private final AtomicReference<CloseReason> closeReason = new AtomicReference<>();
  private final AtomicReference<String> violation = new AtomicReference<>();
  private volatile long firstFrameNanos;
  private volatile long closedNanos;

  /**
   * Creates a sink.
   *
   * @param mode when its sends complete
   */
  public RecordingSink(Mode mode) {
    this.mode = mode;
  }

  /**
   * Creates a sink whose sends complete at once.
   *
   * @return the sink
   */
  public static RecordingSink immediate() {
    return new RecordingSink(Mode.IMMEDIATE);
  }

  @Override
  public void send(Frame frame, SendCallback callback) {
    enter("send");
    try {
      if (closedCalls.get() > 0) {
        violation.compareAndSet(null, "send after closed: " + frame);
      }
      if (mode == Mode.MANUAL) {
        pending.add(callback); // before the frame is counted: a test that saw the count can complete it
      }
      synchronized (frames) {
        if (frames.isEmpty()) {
          firstFrameNanos = System.nanoTime();
        }
        frames.add(frame);
        events.add(String.valueOf(frame.sequence()));
      }
      if (mode == Mode.IMMEDIATE) {
        callback.completed();
      }
    } finally {
      inCall.decrementAndGet();
    }
  }

  @Override
  public void closed(CloseReason reason) {
    enter("closed");
    try {
      if (closedCalls.incrementAndGet() > 1) {
        violation.compareAndSet(null, "closed called twice");
      }
      closeReason.set(reason);
      closedNanos = System.nanoTime();
    } finally {
      inCall.decrementAndGet();
    }
  }

  @Override
  public void status(ChannelState state) {
    enter("status");
    try {
      if (closedCalls.get() > 0) {
        violation.compareAndSet(null, "status after closed");
      }
      synchronized (frames) {
        events.add(state.name());
      }
    } finally {
      inCall.decrementAndGet();
    }
  }

  /**
   * Frames (as sequence numbers) and statuses in the order they arrived.
   *
   * @return a copy of the events so far
   */
  public List<String> events() {
    synchronized (frames) {
      return new ArrayList<>(events);
    }
  }

  private void enter(String what) {
    if (inCall.incrementAndGet() != 1) {
      violation.compareAndSet(null, "concurrent call into " + what);
    }
  }

  /**
   * Completes every pending send (MANUAL mode).
   *
   * @return how many sends were completed
   */
  public int completeAll() {
    int n = 0;
    for (SendCallback cb; (cb = pending.poll()) != null; n++) {
      cb.completed();
    }
    return n;
  }

  /**
   * Fails every pending send (MANUAL mode).
   *
   * @param cause the failure handed to each callback
   * @return how many sends were failed
   */
  public int failAll(Throwable cause) {
    int n = 0;
    for (SendCallback cb; (cb = pending.poll()) != null; n++) {
      cb.failed(cause);
    }
    return n;
  }

  /**
   * The frames received so far, in arrival order.
   *
   * @return a copy
   */
  public List<Frame> frames() {
    synchronized (frames) {
      return new ArrayList<>(frames);
    }
  }

  /**
   * How many frames arrived.
   *
   * @return the count
   */
  public int count() {
    synchronized (frames) {
      return frames.size();
    }
  }

  /**
   * The newest received frame's sequence number.
   *
   * @return it, or 0 before the first frame
   */
  public long lastSequence() {
    synchronized (frames) {
      return frames.isEmpty() ? 0 : frames.get(frames.size() - 1).sequence();
    }
  }

  /**
   * The received frames' sequence numbers, in arrival order.
   *
   * @return a copy
   */
  public List<Long> sequences() {
    List<Long> seqs = new ArrayList<>();
    for (Frame f : frames()) {
      seqs.add(f.sequence());
    }
    return seqs;
  }

  /**
   * Nanoseconds from the first frame received to the closed signal.
   *
   * @return the time between them
   */
  public long firstFrameToClosedNanos() {
    return closedNanos - firstFrameNanos;
  }

  /**
   * How many times {@code closed} was called (the rules allow one).
   *
   * @return the count
   */
  public int closedCalls() {
    return closedCalls.get();
  }

  /**
   * Why the sink was closed.
   *
   * @return the reason, or {@code null} while open
   */
  public CloseReason closeReason() {
    return closeReason.get();
  }

  /**
   * Whether {@code closed} was called.
   *
   * @return true once closed
   */
  public boolean isClosed() {
    return closedCalls.get() > 0;
  }

  /** Fails if any sink rule was broken. */
  public void assertRulesHeld() {
    assertEquals(null, violation.get(), "sink rule violated");
  }

  /** Asserts sequence numbers only increase (in order, no duplicates). */
  public void assertInOrder() {
    long prev = 0;
    for (Frame f : frames()) {
      assertTrue(f.sequence() > prev, "out of order: " + f.sequence() + " after " + prev);
      prev = f.sequence();
    }
  }

  /**
   * Completes a manual sink's sends as they come until it has received the given sequence number.
   *
   * @param sequence the sequence number to wait for
   */
  public void drainUntil(long sequence) {
    Await.until("delivered through " + sequence, () -> {
      completeAll();
      return lastSequence() == sequence;
    });
    completeAll();
  }

  /**
   * Asserts that every delivered DELTA directly follows the frame it depends on (rule C4).
   *
   * @param delivered frames in delivery order
   */
  public static void assertNoOrphanDelta(List<Frame> delivered) {
    Frame prev = null;
    for (Frame f : delivered) {
      if (f.kind() == FrameKind.DELTA) {
        assertTrue(prev != null && prev.kind() != FrameKind.INIT && prev.sequence() == f.sequence() - 1,
            "orphan delta " + f + " after " + prev);
      }
      prev = f;
    }
  }
}
