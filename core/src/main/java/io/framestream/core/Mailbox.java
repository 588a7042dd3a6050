package io.framestream.core;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One subscriber's mailbox policy (rules C2, C3, C4, C9): what waits for the subscriber, and what is dropped
 * to keep it bounded. A plain single-threaded class with no locks, threads or clock; {@link
 * DefaultSubscription} owns one, guards it with its monitor and adds the threading (delivery loop, in-flight
 * limit, rate timer, stall eviction, frame age).
 *
 * <ul>
 *   <li>A {@link FrameKind#KEY} replaces every waiting frame but the {@code INIT} (newest wins: {@link
 *       DropReason#SUPERSEDED}, or {@link DropReason#RATE_LIMITED} while the subscriber is held by its frame
 *       rate).
 *   <li>A {@link FrameKind#DELTA} enters only while fewer than {@code maxQueued} entries wait; otherwise it is
 *       dropped and the subscriber skips to the next key ({@link DropReason#SKIPPED_TO_KEY}), as it does
 *       after a new {@code INIT} and when it joins a stream whose key frame is not cached.
 *   <li>An {@link FrameKind#INIT} replaces every waiting frame, a waiting {@code INIT} included, so at most
 *       one waits: the newest, which is never dropped.
 *   <li>Status notices wait in order with the frames, collapse into a notice that waits last or that a drop
 *       leaves next to them, and when the queue is full take the place of the newest waiting deltas.
 *   <li>Late-joiner entries ({@link #preload}) wait at the head and do not count against {@code maxQueued}.
 * </ul>
 *
 * So besides the late-joiner entries at most {@code max(maxQueued, 5)} entries wait: 5 being a notice, the
 * {@code INIT}, a notice, a {@code KEY} and a notice, none of which may go.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: the owner serialises every call.
 */
final class Mailbox {

  /** What prune removes. */
  private enum Prune {
    /** Every waiting frame: a new {@code INIT} arrived. */
    ALL_FRAMES,
    /** Every waiting frame but the {@code INIT}: a new {@code KEY} arrived. */
    ALL_BUT_INIT,
    /** Waiting deltas up to the first waiting {@code KEY}: a delta's reference was dropped. */
    DELTAS_UNTIL_KEY
  }

  /** A status notice waiting in the queue; collapsing a newer one into it changes it in place. */
  private static final class Notice {
    ChannelState state;

    Notice(ChannelState state) {
      this.state = state;
    }
  }

  private final int maxQueued;
  private final Consumer<DropReason> onDrop;
  /** Frames, and {@link Notice}s in order with them. */
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  /** Late-joiner entries still at the head of the queue; not counted against maxQueued. */
  private int catchUp;
  private boolean skipToKey = true; // until preload says otherwise, a subscriber starts at a key frame
  private final long[] drops = new long[DropReason.values().length];

  /**
   * Creates an empty mailbox.
   *
   * @param maxQueued how many live entries may wait, at least 1
   * @param onDrop told every drop as it is counted (a channel's totals); must not throw
   */
  Mailbox(int maxQueued, Consumer<DropReason> onDrop) {
    if (maxQueued < 1) {
      throw new IllegalArgumentException("maxQueued must be >= 1, got " + maxQueued);
    }
    this.maxQueued = maxQueued;
    this.onDrop = Objects.requireNonNull(onDrop, "onDrop");
  }

  /**
   * Puts a late joiner's frames, and the channel's status if it is to be told, at the head (rule C4).
   *
   * @param frames the cached frames, in order
   * @param startsWithKey whether they start a decodable group; if not, deltas wait for the next key
   * @param status a status to tell after them, or {@code null}
   */
  void preload(List<Frame> frames, boolean startsWithKey, ChannelState status) {
    queue.addAll(frames);
    if (status != null) {
      queue.add(new Notice(status));
    }
    catchUp = queue.size();
    skipToKey = !startsWithKey; // a codec stream must start at a key frame
  }

  /**
   * Takes a live frame, dropping what the policy says.
   *
   * @param f the frame
   * @param heldByRate whether the subscriber is held by its frame rate (a key frame's drops then count as
   *     {@link DropReason#RATE_LIMITED})
   * @return whether the frame now waits
   */
  boolean offer(Frame f, boolean heldByRate) {
    switch (f.kind()) {
      case INIT:
        prune(Prune.ALL_FRAMES, DropReason.SUPERSEDED); // a waiting INIT and its stream's frames go
        queue.add(f);
        skipToKey = true; // a new stream starts at its first key frame
        return true;
      case KEY:
        prune(Prune.ALL_BUT_INIT, heldByRate ? DropReason.RATE_LIMITED : DropReason.SUPERSEDED);
        queue.add(f);
        skipToKey = false;
        return true;
      case DELTA:
        if (skipToKey) {
          countDrop(DropReason.SKIPPED_TO_KEY);
          return false;
        }
        if (waiting() >= maxQueued) {
          countDrop(DropReason.SKIPPED_TO_KEY);
          skipToKey = true;
          return false;
        }
        queue.add(f);
        return true;
      default:
        throw new AssertionError(f.kind());
    }
  }

  /**
   * Queues a status notice after every waiting frame, collapsing it into a notice that is already last. When
   * the queue is full, the newest waiting deltas make room (the subscriber then skips to the next key
   * frame); a waiting {@code INIT} or {@code KEY} is never given up for a notice.
   *
   * @param status the channel's new state
   */
  void offerStatus(ChannelState status) {
    while (waiting() >= maxQueued && queue.peekLast() instanceof Frame
        && ((Frame) queue.peekLast()).kind() == FrameKind.DELTA) {
      queue.pollLast(); // live, never a late-joiner entry: those are at the head and do not count
      countDrop(DropReason.SKIPPED_TO_KEY);
      skipToKey = true;
    }
    if (queue.peekLast() instanceof Notice) {
      ((Notice) queue.peekLast()).state = status;
    } else {
      queue.add(new Notice(status));
    }
  }

  /**
   * Tells whether nothing waits.
   *
   * @return {@code true} if empty
   */
  boolean isEmpty() {
    return queue.isEmpty();
  }

  /**
   * Returns how many entries wait, late-joiner ones included.
   *
   * @return frames and notices waiting
   */
  int size() {
    return queue.size();
  }

  /**
   * Returns how many waiting entries count against {@code maxQueued}: all but the late-joiner ones.
   *
   * @return live entries waiting
   */
  int waiting() {
    return queue.size() - catchUp;
  }

  /**
   * Returns the frame at the head.
   *
   * @return the frame, or {@code null} when empty or when a notice is at the head
   */
  Frame peekFrame() {
    Object head = queue.peek();
    return head instanceof Frame ? (Frame) head : null;
  }

  /**
   * Takes the notice at the head.
   *
   * @return its state, or {@code null} when empty or when a frame is at the head
   */
  ChannelState pollNotice() {
    if (!(queue.peek() instanceof Notice)) {
      return null;
    }
    tookHead();
    return ((Notice) queue.poll()).state;
  }

  /**
   * Takes the frame at the head, to deliver it.
   *
   * @return the frame, or {@code null} when empty or when a notice is at the head
   */
  Frame pollFrame() {
    if (!(queue.peek() instanceof Frame)) {
      return null;
    }
    tookHead();
    return (Frame) queue.poll();
  }

  /**
   * Gives up the frame at the head without delivering it (it grew too old): counts it as {@code why}, and
   * drops the waiting deltas that depend on it up to the next waiting key frame, or, when none waits, the
   * deltas to come.
   *
   * @param why the reason to count
   * @return the frame given up, or {@code null} when no frame is at the head
   */
  Frame dropHead(DropReason why) {
    Frame head = pollFrame();
    if (head != null) {
      countDrop(why);
      if (!prune(Prune.DELTAS_UNTIL_KEY, DropReason.SKIPPED_TO_KEY)) {
        skipToKey = true;
      }
    }
    return head;
  }

  private void tookHead() {
    if (catchUp > 0) {
      catchUp--;
    }
  }

  /** Forgets everything waiting (the subscription ended); not counted as drops. */
  void clear() {
    queue.clear();
    catchUp = 0;
  }

  /**
   * Returns how many frames were dropped for a reason.
   *
   * @param reason the reason
   * @return the count since creation
   */
  long drops(DropReason reason) {
    return drops[reason.ordinal()];
  }

  /**
   * Removes waiting frames as {@code what} says, counting each as {@code why}, and collapses status notices
   * that the removal left next to each other into the newer one.
   *
   * @return {@code true} if {@link Prune#DELTAS_UNTIL_KEY} stopped at a waiting key frame
   */
  private boolean prune(Prune what, DropReason why) {
    if (queue.isEmpty()) {
      return false; // the usual case for a subscriber that keeps up
    }
    int index = 0;
    int keptCatchUp = 0;
    Notice previous = null; // the entry kept last, when it is a notice
    boolean stoppedAtKey = false;
    for (Iterator<Object> it = queue.iterator(); it.hasNext(); index++) {
      Object o = it.next();
      if (o instanceof Notice) {
        if (previous != null) {
          previous.state = ((Notice) o).state;
          it.remove();
          continue;
        }
        previous = (Notice) o;
      } else {
        FrameKind kind = ((Frame) o).kind();
        if (what == Prune.DELTAS_UNTIL_KEY && kind == FrameKind.KEY) {
          keptCatchUp += Math.max(0, catchUp - index); // this entry and the rest stay as they are
          stoppedAtKey = true;
          break;
        }
        boolean drop = what == Prune.ALL_FRAMES || kind == FrameKind.DELTA
            || what == Prune.ALL_BUT_INIT && kind == FrameKind.KEY;
        if (drop) {
          it.remove();
          countDrop(why);
          continue;
        }
        previous = null;
      }
      if (index < catchUp) {
        keptCatchUp++;
      }
    }
    catchUp = keptCatchUp;
    return stoppedAtKey;
  }

  private void countDrop(DropReason why) {
    drops[why.ordinal()]++;
    onDrop.accept(why);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Mailbox[");
    for (Object o : queue) {
      sb.append(o instanceof Notice ? ((Notice) o).state.name() : ((Frame) o).kind().name().charAt(0) + ""
          + ((Frame) o).sequence()).append(' ');
    }
    return sb.append("catchUp=").append(catchUp).append(skipToKey ? ", skipping to key]" : "]").toString();
  }
}
