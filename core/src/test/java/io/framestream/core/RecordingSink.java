package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 */
final class RecordingSink implements FrameSink {

  enum Mode {
    IMMEDIATE,
    NEVER,
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

  RecordingSink(Mode mode) {
    this.mode = mode;
  }

  static RecordingSink immediate() {
    return new RecordingSink(Mode.IMMEDIATE);
  }

  @Override
  public void send(Frame frame, SendCallback callback) {
    enter("send");
    try {
      if (closedCalls.get() > 0) {
        violation.compareAndSet(null, "send after closed: " + frame);
      }
      synchronized (frames) {
        if (frames.isEmpty()) {
          firstFrameNanos = System.nanoTime();
        }
        frames.add(frame);
        events.add(String.valueOf(frame.sequence()));
      }
      switch (mode) {
        case IMMEDIATE:
          callback.completed();
          break;
        case MANUAL:
          pending.add(callback);
          break;
        case NEVER:
        default:
          break;
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

  /** Frames (as sequence numbers) and statuses in the order they arrived. */
  List<String> events() {
    synchronized (frames) {
      return new ArrayList<>(events);
    }
  }

  private void enter(String what) {
    if (inCall.incrementAndGet() != 1) {
      violation.compareAndSet(null, "concurrent call into " + what);
    }
  }

  /** Completes every pending send (MANUAL mode), returning how many. */
  int completeAll() {
    int n = 0;
    for (SendCallback cb; (cb = pending.poll()) != null; n++) {
      cb.completed();
    }
    return n;
  }

  /** Fails every pending send (MANUAL mode), returning how many. */
  int failAll(Throwable cause) {
    int n = 0;
    for (SendCallback cb; (cb = pending.poll()) != null; n++) {
      cb.failed(cause);
    }
    return n;
  }

  List<Frame> frames() {
    synchronized (frames) {
      return new ArrayList<>(frames);
    }
  }

  int count() {
    synchronized (frames) {
      return frames.size();
    }
  }

  long lastSequence() {
    synchronized (frames) {
      return frames.isEmpty() ? 0 : frames.get(frames.size() - 1).sequence();
    }
  }

  List<Long> sequences() {
    List<Long> seqs = new ArrayList<>();
    for (Frame f : frames()) {
      seqs.add(f.sequence());
    }
    return seqs;
  }

  /** Nanoseconds from the first frame received to the closed signal. */
  long firstFrameToClosedNanos() {
    return closedNanos - firstFrameNanos;
  }

  int closedCalls() {
    return closedCalls.get();
  }

  CloseReason closeReason() {
    return closeReason.get();
  }

  boolean isClosed() {
    return closedCalls.get() > 0;
  }

  /** Fails if any sink rule was broken. */
  void assertRulesHeld() {
    assertEquals(null, violation.get(), "sink rule violated");
  }

  /** Asserts sequence numbers only increase (in order, no duplicates). */
  void assertInOrder() {
    long prev = 0;
    for (Frame f : frames()) {
      assertTrue(f.sequence() > prev, "out of order: " + f.sequence() + " after " + prev);
      prev = f.sequence();
    }
  }
}
