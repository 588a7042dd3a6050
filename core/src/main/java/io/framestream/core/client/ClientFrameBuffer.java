package io.framestream.core.client;

import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;

/**
 * The bounded buffer between a client's network threads and its reader (the WebSocket and SSE frame
 * sources), keeping the promises of a channel's mailbox. While there is room every frame waits, in
 * order. When {@code capacity} frames other than {@link FrameKind#INIT} wait:
 *
 * <ul>
 *   <li>a {@link FrameKind#KEY} frame makes room by dropping the oldest waiting group (the oldest frame
 *       and the {@link FrameKind#DELTA}s after it up to the next key frame or init): for images, the
 *       oldest image; the newest frame always gets in;
 *   <li>a {@link FrameKind#DELTA} does the same when a later key frame waits (the delta's own reference
 *       stays); otherwise it is dropped, and so is every delta after it until the next key frame: a delta
 *       whose reference was dropped is never handed out.
 * </ul>
 *
 * {@link FrameKind#INIT} frames are never lost: at most one waits, the newest. A new init replaces a
 * waiting one together with the frames of that older stream after it, and the deltas that follow an init
 * wait for their stream's first key frame, as do deltas that come before the first key frame of the
 * connection. So the buffer holds at most {@code capacity + 1} frames.
 * Each waiting frame may carry a tag (the SSE client keeps the event id).
 *
 * <p>Internal; not API.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: callers guard every call with their own lock (network threads offer, the reader
 * polls).
 *
 * @param <T> the type of the tag kept with each frame
 */
public final class ClientFrameBuffer<T> {

  /**
   * A waiting frame and its tag.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable.
   *
   * @param frame the frame
   * @param tag the tag given with it, may be {@code null}
   * @param <T> the tag type
   */
  public record Entry<T>(Frame frame, T tag) {}

  private final int capacity;
  private final ArrayDeque<Entry<T>> waiting = new ArrayDeque<>();
  private int waitingNonInit;
  private boolean initWaits;
  private boolean skipToKey = true; // a connection starts at a key frame, as a late joiner does
  private long dropped;

  /**
   * Creates an empty buffer.
   *
   * @param capacity the most frames other than INIT that may wait, at least 1
   * @throws IllegalArgumentException if below 1
   */
  public ClientFrameBuffer(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    this.capacity = capacity;
  }

  /**
   * Adds a received frame, dropping what the rules in the class comment say.
   *
   * @param frame the frame
   * @param tag kept with it, may be {@code null}
   * @return how many frames this call dropped (the new one included, if it was)
   * @throws NullPointerException if {@code frame} is {@code null}
   */
  public int offer(Frame frame, T tag) {
    Objects.requireNonNull(frame, "frame");
    int drops = 0;
    switch (frame.kind()) {
      case INIT:
        if (initWaits) {
          drops = dropFromWaitingInit();
        }
        skipToKey = true; // a stream starts at its first key frame
        break;
      case KEY:
        skipToKey = false;
        if (waitingNonInit >= capacity) {
          drops = dropOldestGroup();
        }
        break;
      case DELTA:
        if (!skipToKey && waitingNonInit >= capacity) {
          if (keyAfterOldestGroup()) {
            drops = dropOldestGroup();
          } else {
            skipToKey = true; // keep the decodable frames that wait; resume at the next key frame
          }
        }
        if (skipToKey) {
          dropped++;
          return 1;
        }
        break;
      default:
        throw new AssertionError(frame.kind());
    }
    waiting.add(new Entry<>(frame, tag));
    if (frame.kind() == FrameKind.INIT) {
      initWaits = true;
    } else {
      waitingNonInit++;
    }
    dropped += drops;
    return drops;
  }

  /** Drops the waiting INIT and the frames of its stream after it. */
  private int dropFromWaitingInit() {
    int n = 0;
    boolean found = false;
    for (Iterator<Entry<T>> it = waiting.iterator(); it.hasNext(); ) {
      Entry<T> e = it.next();
      found |= e.frame().kind() == FrameKind.INIT;
      if (found) {
        it.remove();
        n++;
        if (e.frame().kind() != FrameKind.INIT) {
          waitingNonInit--;
        }
      }
    }
    initWaits = false;
    return n;
  }

  /** Drops the oldest non-INIT frame and the deltas after it up to the next key frame or INIT. */
  private int dropOldestGroup() {
    int n = 0;
    for (Iterator<Entry<T>> it = waiting.iterator(); it.hasNext(); ) {
      FrameKind kind = it.next().frame().kind();
      if (kind == FrameKind.INIT) {
        if (n > 0) {
          break;
        }
        continue;
      }
      if (n > 0 && kind == FrameKind.KEY) {
        break;
      }
      it.remove();
      waitingNonInit--;
      n++;
    }
    return n;
  }

  /** Whether a key frame waits after the oldest non-INIT frame. */
  private boolean keyAfterOldestGroup() {
    boolean first = true;
    for (Entry<T> e : waiting) {
      FrameKind kind = e.frame().kind();
      if (kind == FrameKind.INIT) {
        continue;
      }
      if (!first && kind == FrameKind.KEY) {
        return true;
      }
      first = false;
    }
    return false;
  }

  /**
   * Takes the oldest waiting frame.
   *
   * @return the frame and its tag, or {@code null} if none waits
   */
  public Entry<T> poll() {
    Entry<T> e = waiting.poll();
    if (e != null) {
      if (e.frame().kind() == FrameKind.INIT) {
        initWaits = false;
      } else {
        waitingNonInit--;
      }
    }
    return e;
  }

  /**
   * Tells whether no frame waits.
   *
   * @return {@code true} if empty
   */
  public boolean isEmpty() {
    return waiting.isEmpty();
  }

  /**
   * Returns how many frames wait.
   *
   * @return at most {@code capacity + 1}
   */
  public int size() {
    return waiting.size();
  }

  /** Forgets every waiting frame (not counted as dropped: used when the connection ends). */
  public void clear() {
    waiting.clear();
    waitingNonInit = 0;
    initWaits = false;
  }

  /**
   * Returns how many frames were dropped since creation.
   *
   * @return the count
   */
  public long dropped() {
    return dropped;
  }
}
