package io.framestream.transport.sse.internal;

import io.framestream.core.Channel;
import io.framestream.core.ChannelState;
import io.framestream.core.CloseReason;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSink;
import io.framestream.core.InitMessage;
import io.framestream.core.SendCallback;
import io.framestream.core.Subscription;
import io.framestream.core.TransportException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One streaming HTTP viewer: the {@link FrameSink} a channel delivers to, turning frames into shared bytes
 * and writing them to an {@link EventOutput} without ever blocking. Host-agnostic. It carries an SSE
 * stream (events, {@code status} notices, heartbeats) or, built with {@link #parts(String, Function,
 * Consumer)}, a stream of parts that are each a pure function of their frame (MJPEG: one multipart part per
 * JPEG image, no notices, no heartbeats); both share this one copy of the non-blocking write machinery.
 *
 * <h2>Life cycle</h2>
 *
 * <ol>
 *   <li>Created, then subscribed to a channel. Frames sent before {@link #start(EventOutput, byte[])} wait
 *       (the channel keeps at most its in-flight limit outstanding).
 *   <li>{@code start} writes the preamble ({@code retry:} and, if any, the synthesized {@code init} event),
 *       then the waiting frames.
 *   <li>Each {@link #send(Frame, SendCallback)}: if the output can take a write, the frame's shared event
 *       bytes are written and the callback completes; otherwise the frame stays in flight and one
 *       writability callback is registered, which writes it and completes the callback later. The channel's
 *       mailbox meanwhile keeps only the newest frame and evicts a viewer that stays stuck past its stall
 *       timeout.
 *   <li>It ends once, for the first of: {@link #closed(CloseReason)} from the channel (stalled: the
 *       connection is closed at once, dropping what the host has queued; otherwise gracefully), {@link
 *       #peerGone(Throwable)} from the host, a failed write, or {@link #end(CloseReason)} from the handler.
 *       Ending releases frames in flight, closes the subscription and tells the listener.
 * </ol>
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. A per-viewer lock serialises every use of the output (the host's output buffers are not
 * thread-safe): the channel's delivery threads, the host's I/O threads (writability, peer closed) and the
 * heartbeat timer all go through it. The lock is held only for non-blocking work. Host close actions run
 * outside it.
 *
 * @since 0.1.0
 */
public final class SseViewer implements FrameSink {

  private static final System.Logger LOG = System.getLogger(SseViewer.class.getName());
  private static final SendCallback NO_CALLBACK = new SendCallback() {
    @Override
    public void completed() {}

    @Override
    public void failed(Throwable cause) {}
  };

  private final String channelName;
  private final SseFormat format;
  private final Consumer<SseViewer> onEnded;
  /** For a parts stream (MJPEG): each frame's shared bytes, {@code null} to skip it; {@code null} for SSE. */
  private final Function<Frame, byte[]> parts;

  private final Object lock = new Object();
  /** Set by the endpoint before subscribing: whether {@link #inline()} says yes. */
  private boolean inline;
  // Guarded by lock.
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private EventOutput output;
  private boolean started;
  private boolean ended;
  private boolean peerGone;
  private boolean writeRequested;
  private long resumeSkipped;
  private Subscription subscription;
  private long eventsWritten;
  private long bytesWritten;

  private volatile SseEvents.Notices notices; // set before subscribing, with described
  private volatile Channel described;

  /** Bytes waiting for the output; {@code frame} is set when they are that frame's shared bytes. */
  private record Pending(byte[] bytes, Frame frame, SendCallback callback) {
    Pending(byte[] bytes, SendCallback callback) {
      this(bytes, null, callback);
    }
  }

  /**
   * Creates a viewer.
   *
   * @param channelName the channel it will subscribe to
   * @param format the data event format
   * @param resumeSkipped for a resuming viewer whose channel has an INIT frame, the {@code skipped} count
   *     to put in that frame's init event; {@code -1} otherwise
   * @param onEnded told once when the viewer has ended
   */
  public SseViewer(String channelName, SseFormat format, long resumeSkipped, Consumer<SseViewer> onEnded) {
    this(channelName, format, resumeSkipped, onEnded, null);
  }

  private SseViewer(String channelName, SseFormat format, long resumeSkipped, Consumer<SseViewer> onEnded,
      Function<Frame, byte[]> parts) {
    this.channelName = Objects.requireNonNull(channelName, "channelName");
    this.format = Objects.requireNonNull(format, "format");
    this.resumeSkipped = resumeSkipped;
    this.onEnded = Objects.requireNonNull(onEnded, "onEnded");
    this.parts = parts;
  }

  /**
   * Creates a viewer of a parts stream (MJPEG): each frame is written as the bytes {@code parts} gives
   * for it, which must be built once per frame and shared; a frame it gives {@code null} for is skipped
   * (completed without a write). Status changes and heartbeats write nothing.
   *
   * @param channelName the channel it will subscribe to
   * @param parts a frame's shared bytes, or {@code null} to skip the frame
   * @param onEnded told once when the viewer has ended
   * @return the viewer
   */
  public static SseViewer parts(String channelName, Function<Frame, byte[]> parts, Consumer<SseViewer> onEnded) {
    return new SseViewer(channelName, SseFormat.DATA_URI, -1, onEnded, Objects.requireNonNull(parts, "parts"));
  }

  /**
   * Sets where the {@code status} events and the fresh description sent when the channel comes back online
   * come from: notices shared by every viewer of the channel (rule E1). Without them, the viewer builds its
   * own {@code status} events and sends no description.
   *
   * @param shared the channel's notices
   * @param channel the channel they describe
   * @throws NullPointerException if an argument is {@code null}
   */
  public void describeWith(SseEvents.Notices shared, Channel channel) {
    this.described = Objects.requireNonNull(channel, "channel");
    this.notices = Objects.requireNonNull(shared, "shared");
  }

  /**
   * Queues a {@code status} event (and, when the channel comes online, a fresh {@code init} event) in order
   * with the frames.
   */
  @Override
  public void status(ChannelState state) {
    if (parts != null) {
      return; // a parts stream has no notices
    }
    Ending ending = null;
    synchronized (lock) {
      if (ended) {
        return;
      }
      SseEvents.Notices n = notices;
      pending.add(new Pending(n != null ? n.status(state) : SseEvents.statusEvent(channelName, state), NO_CALLBACK));
      if (state == ChannelState.ONLINE && n != null) {
        pending.add(new Pending(n.description(described), NO_CALLBACK));
      }
      if (started) {
        ending = drainLocked();
      }
    }
    if (ending != null) {
      finishEnding(ending, ending.cause);
    }
  }

  /**
   * Attaches the subscription, to be closed when the viewer ends (at once if it already has).
   *
   * @param s the subscription
   */
  public void subscription(Subscription s) {
    boolean closeNow;
    synchronized (lock) {
      subscription = s;
      closeNow = ended;
    }
    if (closeNow) {
      s.close();
    }
  }

  /**
   * Starts writing: the preamble first, then frames that arrived before.
   *
   * @param out the host output
   * @param preamble bytes to write before any frame
   * @return {@code false} if the viewer had already ended (the caller's output was then closed)
   */
  public boolean start(EventOutput out, byte[] preamble) {
    Objects.requireNonNull(out, "out");
    Ending ending;
    synchronized (lock) {
      if (ended) {
        ending = null;
      } else {
        output = out;
        started = true;
        pending.addFirst(new Pending(preamble, NO_CALLBACK)); // even empty: it sends the response head
        ending = drainLocked();
        if (ending == null) {
          return true;
        }
      }
    }
    if (ending == null) { // ended before it started: the caller's response is suspended; drop the connection
      out.closeConnection(false);
      return false;
    }
    finishEnding(ending, ending.cause);
    return false;
  }

  @Override
  public void send(Frame frame, SendCallback callback) {
    Ending ending = null;
    boolean rejected = false;
    byte[] bytes = null;
    synchronized (lock) {
      // a resuming viewer's first init event is its own; every other event is the frame's, shared
      Frame shared = parts == null && frame.kind() == FrameKind.INIT && resumeSkipped >= 0 ? null : frame;
      if (ended) {
        rejected = true;
      } else if ((bytes = eventOf(frame)) == null) {
        // not part of this stream (a parts stream's frame of another type): nothing to write
      } else if (started && pending.isEmpty() && output.canWrite()) {
        ending = writeLocked(bytes, shared, callback); // nothing waits ahead of it: no queue entry needed
      } else {
        pending.add(new Pending(bytes, shared, callback));
        if (started) {
          ending = drainLocked();
        }
      }
    }
    if (rejected) {
      callback.failed(new TransportException("SSE viewer of '" + channelName + "' has ended"));
    } else if (bytes == null) {
      callback.completed();
    }
    if (ending != null) {
      finishEnding(ending, ending.cause);
    }
  }

  /**
   * The shared event bytes, or for the first INIT frame of a resuming viewer, its own init event; for a
   * parts stream, the frame's shared part or {@code null}.
   */
  private byte[] eventOf(Frame frame) {
    if (parts != null) {
      return parts.apply(frame);
    }
    if (frame.kind() == FrameKind.INIT && resumeSkipped >= 0) {
      long skipped = resumeSkipped;
      resumeSkipped = -1;
      return SseEvents.initEvent(frame,
          InitMessage.of(channelName, frame).withInitSegment(frame).withSkipped(skipped));
    }
    resumeSkipped = -1;
    return SseEvents.eventOf(frame, channelName, format);
  }

  /**
   * Writes what is pending while the output can take it; registers for writability otherwise. Returns
   * what to do outside the lock if a write failed, else {@code null}.
   */
  private Ending drainLocked() {
    while (!pending.isEmpty() && !ended) {
      if (!output.canWrite()) {
        if (!writeRequested) {
          writeRequested = true;
          output.notifyWritable(writable); // may call back at once, on this thread (the lock is reentrant)
        }
        return null;
      }
      Pending p = pending.poll();
      Ending ending = writeLocked(p.bytes, p.frame, p.callback);
      if (ending != null) {
        return ending;
      }
    }
    return null;
  }

  /**
   * Writes one event the output can take now and tells its callback. Returns what to do outside the lock
   * if the write failed, else {@code null}.
   */
  private Ending writeLocked(byte[] bytes, Frame shared, SendCallback callback) {
    try {
      if (shared != null) {
        output.write(shared, bytes);
      } else {
        output.write(bytes);
      }
    } catch (IOException | RuntimeException e) {
      // RuntimeException too: a peer gone mid-write can recycle the host's response under us.
      callback.failed(e);
      return endLocked(true, e);
    }
    if (ended) { // the host reported the peer gone from inside the write
      callback.failed(new TransportException("SSE peer closed the connection"));
      return null;
    }
    eventsWritten++;
    bytesWritten += bytes.length;
    callback.completed();
    return null;
  }

  private final EventOutput.Writable writable = new EventOutput.Writable() {
    @Override
    public void onWritable() {
      Ending ending;
      synchronized (lock) {
        writeRequested = false;
        if (ended) {
          return;
        }
        ending = drainLocked();
      }
      if (ending != null) {
        finishEnding(ending, ending.cause);
      }
    }

    @Override
    public void onError(Throwable cause) {
      peerGone(cause);
    }
  };

  /**
   * Writes a heartbeat comment if the viewer is idle and the output can take it; never blocks and never
   * queues.
   */
  public void heartbeat() {
    Ending ending = null;
    synchronized (lock) {
      if (parts != null || !started || ended || writeRequested || !pending.isEmpty() || !output.canWrite()) {
        return;
      }
      try {
        output.write(SseEvents.HEARTBEAT);
      } catch (IOException | RuntimeException e) {
        ending = endLocked(true, e);
      }
    }
    if (ending != null) {
      finishEnding(ending, ending.cause);
    }
  }

  /**
   * Sets whether the channel may call this viewer on the publishing thread; before subscribing only.
   *
   * @param inline whether the host's output never waits
   */
  void inline(boolean inline) {
    this.inline = inline;
  }

  /**
   * Every call only writes to a non-blocking output under the viewer's own lock (held elsewhere only for the
   * same kind of non-blocking work), queues the write, or closes at once; so on a host whose output never
   * waits (the endpoint says so) the channel may make it on the publishing thread.
   */
  @Override
  public boolean inline() {
    return inline;
  }

  /**
   * Called by the channel when the subscription ends: ends the viewer, closing the connection at once for
   * {@link CloseReason.Code#STALLED} and {@link CloseReason.Code#SINK_FAILED}, gracefully otherwise.
   */
  @Override
  public void closed(CloseReason reason) {
    end(reason);
  }

  /**
   * Ends the viewer. For {@link CloseReason.Code#NORMAL} and {@link CloseReason.Code#CHANNEL_CLOSED} the
   * response is finished and the connection closed gracefully if the output can take it; otherwise (and
   * for a stalled or failed viewer) the connection is closed at once, releasing whatever the host queued.
   *
   * @param reason why
   */
  public void end(CloseReason reason) {
    boolean graceful = reason.code() == CloseReason.Code.NORMAL || reason.code() == CloseReason.Code.CHANNEL_CLOSED;
    Ending ending;
    synchronized (lock) {
      if (ended) {
        return;
      }
      boolean finished = false;
      if (graceful && started && !writeRequested) {
        try {
          if (output.canWrite()) {
            output.finish();
            finished = true;
          }
        } catch (IOException | RuntimeException e) {
          LOG.log(System.Logger.Level.DEBUG, "finishing an SSE response failed: {0}", e.toString());
        }
      }
      ending = endLocked(!finished, null);
      ending = new Ending(ending.dropped, ending.abort, ending.cause, finished);
    }
    LOG.log(System.Logger.Level.DEBUG, "SSE viewer of {0} ended: {1}", channelName, reason);
    finishEnding(ending, new TransportException("SSE viewer ended: " + reason.message()));
  }

  /**
   * Called by the host when the peer has gone (connection closed, response cancelled). No further use of
   * the output is made.
   *
   * @param cause what the host reported, may be {@code null}
   */
  public void peerGone(Throwable cause) {
    Ending ending;
    synchronized (lock) {
      if (ended) {
        return;
      }
      peerGone = true;
      ending = endLocked(false, cause);
    }
    finishEnding(ending, new TransportException("SSE peer closed the connection", cause));
  }

  /** Marks the viewer ended and takes what must be released; the caller finishes outside the lock. */
  private Ending endLocked(boolean abort, Throwable cause) {
    ended = true;
    List<Pending> dropped = new ArrayList<>(pending);
    pending.clear();
    return new Ending(dropped, abort && output != null, cause);
  }

  private void finishEnding(Ending ending, Throwable cause) {
    Throwable why = cause != null ? cause : new TransportException("SSE viewer ended");
    for (Pending p : ending.dropped) {
      p.callback.failed(why);
    }
    EventOutput out;
    Subscription s;
    synchronized (lock) {
      out = output;
      s = subscription;
    }
    if (out != null && (ending.abort || ending.finished)) {
      out.closeConnection(ending.finished);
    }
    if (s != null) {
      s.close();
    }
    onEnded.accept(this);
  }

  private static final class Ending {
    final List<Pending> dropped;
    final boolean abort;
    final Throwable cause;
    final boolean finished;

    Ending(List<Pending> dropped, boolean abort, Throwable cause) {
      this(dropped, abort, cause, false);
    }

    Ending(List<Pending> dropped, boolean abort, Throwable cause, boolean finished) {
      this.dropped = dropped;
      this.abort = abort;
      this.cause = cause;
      this.finished = finished;
    }
  }

  /**
   * Returns the channel name.
   *
   * @return the name
   */
  public String channelName() {
    return channelName;
  }

  /**
   * Tells whether the viewer has ended.
   *
   * @return {@code true} once ended
   */
  public boolean isEnded() {
    synchronized (lock) {
      return ended;
    }
  }

  /**
   * Returns how many events (preamble included) were handed to the output.
   *
   * @return the count
   */
  public long eventsWritten() {
    synchronized (lock) {
      return eventsWritten;
    }
  }

  /**
   * Returns how many bytes were handed to the output.
   *
   * @return the count
   */
  public long bytesWritten() {
    synchronized (lock) {
      return bytesWritten;
    }
  }

  /**
   * Returns the bytes held for this viewer and not yet on the socket: the host's queue plus frames in
   * flight here.
   *
   * @return bytes
   */
  public long heldBytes() {
    synchronized (lock) {
      long held = 0;
      for (Pending p : pending) {
        held += p.bytes.length;
      }
      if (output != null && !ended) {
        held += output.queuedBytes();
      }
      return held;
    }
  }

  @Override
  public String toString() {
    return "SseViewer[" + channelName + ", " + (parts != null ? "parts" : format) + "]";
  }
}
