package io.framestream.core;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscriber's mailbox and its delivery loop.
 *
 * <p>State is guarded by this object's monitor. The delivery loop ({@link #run()}) is scheduled on the
 * dispatcher whenever there is something to send and room in flight; the {@code scheduled} flag makes sure
 * at most one loop runs at a time, which serialises every call to the sink, {@code closed} included. The
 * sink is always called outside the monitor.
 *
 * <p>What waits and what is dropped (rules C2, C3, C4, C9) is the {@link Mailbox}'s policy, a plain class this
 * subscription guards with its monitor; here are the threads, the in-flight limit, the frame rate, the frame
 * age and stall eviction.
 */
final class DefaultSubscription implements Subscription, Runnable {

  private static final System.Logger LOG = System.getLogger(DefaultSubscription.class.getName());
  private static final AtomicLong IDS = new AtomicLong();

  private final long id = IDS.incrementAndGet();
  private final DefaultChannel channel;
  private final FrameSink sink;
  private final Dispatcher dispatcher;
  private final Ticker ticker;
  private final int maxInFlight;
  private final long minIntervalNanos;
  private final long maxAgeNanos;

  // Guarded by this.
  private final Mailbox mailbox;
  private int inFlight;
  private boolean scheduled;
  private boolean rateTimerPending;
  private boolean rateHeld;
  private long progressMark;
  private long lastSendNanos;
  private boolean sentAny;
  private CloseReason reason;
  private boolean closedSignalled;
  private long framesOut;
  private long bytesOut;
  private double latencyAvgNanos;
  private long latencyMaxNanos;
  private long fpsSampleFrames;
  private long fpsSampleNanos;
  private double fpsOut;

  private final boolean relay;
  /** The sink asked to be called on the publishing thread ({@link FrameSink#inline()}). */
  private final boolean inline;

  /**
   * Creates a subscription; called under the channel's lock.
   *
   * @param inline what the sink's {@link FrameSink#inline()} said, asked before the lock was taken
   */
  DefaultSubscription(DefaultChannel channel, FrameSink sink, SubscriberOptions options, boolean inline) {
    this.channel = channel;
    this.sink = sink;
    this.dispatcher = channel.dispatcher();
    this.ticker = dispatcher.ticker();
    this.fpsSampleNanos = ticker.nanoTime();
    ChannelConfig config = channel.config();
    this.maxInFlight = config.maxInFlight();
    this.mailbox = new Mailbox(config.maxQueuedFrames(), channel::recordDrop);
    double cap = config.maxFpsPerSubscriber();
    double asked = options.maxFps();
    double fps = asked == 0 ? cap : cap == 0 ? asked : Math.min(asked, cap);
    this.minIntervalNanos = fps > 0 ? Math.round(1e9 / fps) : 0;
    long age = options.maxFrameAge().isZero() ? config.maxFrameAge().toNanos() : options.maxFrameAge().toNanos();
    this.maxAgeNanos = age;
    this.relay = options.relay();
    this.inline = inline;
  }

  /** Asks the sink whether it may run inline; before the channel's lock is taken (it is user code). */
  static boolean askInline(FrameSink sink) {
    try {
      return sink.inline();
    } catch (Throwable e) {
      LOG.log(System.Logger.Level.WARNING, "inline() of " + sink + " threw; delivering on the pool", e);
      return false;
    }
  }

  /** Schedules the delivery loop after a publish: on the publishing thread if the sink asked for it. */
  private void schedulePublished() {
    if (inline) {
      dispatcher.executeInline(this);
    } else {
      dispatcher.execute(this);
    }
  }

  /** Whether this is a relay subscription, left out of viewer counts (see {@link SubscriberOptions}). */
  boolean isRelay() {
    return relay;
  }

  /** Called under the channel lock, before the subscription becomes visible to publishers. */
  synchronized void preload(List<Frame> frames, boolean startsWithKey, ChannelState status) {
    mailbox.preload(frames, startsWithKey, status);
  }

  /** Starts delivery of preloaded frames. */
  void kick() {
    boolean run;
    synchronized (this) {
      run = reason == null && !scheduled && !mailbox.isEmpty();
      if (run) {
        scheduled = true;
      }
    }
    if (run) {
      dispatcher.execute(this);
    }
  }

  /** Called by the publisher under the channel lock: O(1) apart from dropping replaced frames. */
  void offer(Frame f) {
    boolean run;
    synchronized (this) {
      if (reason != null) {
        return;
      }
      if (!mailbox.offer(f, rateHeld)) {
        return;
      }
      run = !scheduled && !rateTimerPending && inFlight < maxInFlight;
      if (run) {
        scheduled = true;
      }
    }
    if (run) {
      schedulePublished();
    }
  }

  /**
   * Called by the channel under its lock: queues a status notice after every waiting frame, collapsing it
   * into a notice that is already last. When the queue is full, the newest waiting deltas make room (the
   * subscriber then skips to the next key frame); only a waiting INIT or KEY is never given up for a notice.
   */
  void offerStatus(ChannelState status) {
    boolean run;
    synchronized (this) {
      if (reason != null) {
        return;
      }
      mailbox.offerStatus(status);
      run = !scheduled && !rateTimerPending && inFlight < maxInFlight;
      if (run) {
        scheduled = true;
      }
    }
    if (run) {
      schedulePublished();
    }
  }

  /** The delivery loop. Only one instance runs at a time (guarded by {@code scheduled}). */
  @Override
  public void run() {
    while (true) {
      Frame toSend;
      Delivery delivery;
      CloseReason signal = null;
      ChannelState notice = null;
      long rateDelay = 0;
      synchronized (this) {
        long now = ticker.nanoTime();
        if (reason != null) {
          if (closedSignalled) {
            return; // scheduled stays true: nothing is ever scheduled again
          }
          closedSignalled = true;
          signal = reason;
          toSend = null;
          delivery = null;
        } else {
          if (mailbox.isEmpty() || inFlight >= maxInFlight) {
            scheduled = false;
            return;
          }
          notice = mailbox.pollNotice();
          if (notice != null) {
            toSend = null;
            delivery = null;
          } else if (minIntervalNanos > 0 && sentAny && mailbox.peekFrame().kind() != FrameKind.INIT
              && now - lastSendNanos < minIntervalNanos) {
            scheduled = false;
            rateHeld = true;
            rateTimerPending = true;
            rateDelay = minIntervalNanos - (now - lastSendNanos);
            toSend = null;
            delivery = null;
          } else {
            Frame head = mailbox.peekFrame();
            rateHeld = false;
            if (maxAgeNanos > 0 && head.kind() != FrameKind.INIT && now - head.publishNanoTime() > maxAgeNanos) {
              mailbox.dropHead(DropReason.TOO_OLD);
              continue;
            }
            mailbox.pollFrame();
            if (inFlight++ == 0) {
              progressMark = now;
            }
            lastSendNanos = now;
            sentAny = true;
            toSend = head;
            delivery = new Delivery(head);
          }
        }
      }
      if (signal != null) {
        signalClosed(signal);
        return;
      }
      if (notice != null) {
        try {
          sink.status(notice);
        } catch (Throwable e) {
          failed(e, false); // ends the subscription; the next turn of this loop signals closed
        }
        continue;
      }
      if (toSend == null) {
        dispatcher.schedule(this::rateTimerFired, rateDelay);
        return;
      }
      try {
        sink.send(toSend, delivery);
      } catch (Throwable e) { // an undeclared checked exception too (K5)
        delivery.failed(e);
      }
    }
  }

  private void rateTimerFired() {
    boolean run;
    synchronized (this) {
      rateTimerPending = false;
      run = reason == null && !scheduled && !mailbox.isEmpty() && inFlight < maxInFlight;
      if (run) {
        scheduled = true;
      }
    }
    if (run) {
      dispatcher.execute(this);
    }
  }

  private void signalClosed(CloseReason why) {
    try {
      sink.closed(why);
    } catch (Throwable e) {
      LOG.log(System.Logger.Level.WARNING, "sink of subscription " + id + " threw from closed()", e);
    }
  }

  private void completed(Frame f) {
    long now = ticker.nanoTime();
    long latency = now - f.publishNanoTime();
    boolean run;
    synchronized (this) {
      inFlight--;
      progressMark = now;
      framesOut++;
      bytesOut += f.size();
      latencyAvgNanos = latencyAvgNanos == 0 ? latency : latencyAvgNanos + (latency - latencyAvgNanos) / 16;
      latencyMaxNanos = Math.max(latencyMaxNanos, latency);
      run = reason == null && !scheduled && !rateTimerPending && !mailbox.isEmpty();
      if (run) {
        scheduled = true;
      }
    }
    channel.recordDelivered(f.size(), latency);
    if (run) {
      dispatcher.execute(this);
    }
  }

  private void failed(Throwable cause) {
    failed(cause, true);
  }

  private void failed(Throwable cause, boolean wasInFlight) {
    if (wasInFlight) {
      synchronized (this) {
        inFlight--;
      }
    }
    if (terminate(new CloseReason(CloseReason.Code.SINK_FAILED, "sink failed: " + cause), true)) {
      LOG.log(System.Logger.Level.DEBUG, "sink of subscription " + id + " failed", cause);
    }
  }

  /** Periodic check from the channel's sweeper: evicts when stalled, samples the frame rate. */
  void sweep(long now, long stallNanos, boolean updateFps) {
    boolean stalled;
    int stuck;
    synchronized (this) {
      stuck = inFlight;
      stalled = reason == null && inFlight > 0 && now - progressMark > stallNanos;
      if (updateFps) {
        fpsOut = (framesOut - fpsSampleFrames) / ((now - fpsSampleNanos) / 1e9);
        fpsSampleFrames = framesOut;
        fpsSampleNanos = now;
      }
    }
    if (stalled) {
      String msg = "evicted: no progress for " + stallNanos / 1_000_000 + " ms with " + stuck
          + " frame(s) in flight (stallTimeout)";
      terminate(new CloseReason(CloseReason.Code.STALLED, msg), true);
    }
  }

  /**
   * Ends the subscription once: releases the queue at once, counts an eviction or failure, and schedules
   * the terminal signal (so that whoever sees {@code closed} also sees the counters).
   *
   * @return {@code true} if this call ended it
   */
  boolean terminate(CloseReason why, boolean removeFromChannel) {
    boolean run;
    synchronized (this) {
      if (reason != null) {
        return false;
      }
      reason = why;
      mailbox.clear();
      run = !scheduled;
      scheduled = true;
    }
    if (why.code() == CloseReason.Code.STALLED) {
      channel.recordEviction();
    } else if (why.code() == CloseReason.Code.SINK_FAILED) {
      channel.recordSinkFailure();
    }
    if (removeFromChannel) {
      channel.remove(this);
    }
    if (run) {
      dispatcher.execute(this);
    }
    return true;
  }

  private synchronized CloseReason reason() {
    return reason;
  }


  /** Whether the subscriber waits for its frame rate to let the next frame go; for tests. */
  synchronized boolean heldByRateForTest() {
    return rateTimerPending;
  }

  /** [queued, in flight], for channel statistics. */
  synchronized long[] occupancy() {
    return new long[] {mailbox.size(), inFlight};
  }

  @Override
  public long id() {
    return id;
  }

  @Override
  public String channelName() {
    return channel.name();
  }

  @Override
  public synchronized SubscriberStats stats() {
    Map<DropReason, Long> dropMap = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) {
      dropMap.put(r, mailbox.drops(r));
    }
    return new SubscriberStats(id, framesOut, bytesOut, fpsOut, dropMap, inFlight, mailbox.size(),
        latencyAvgNanos / 1e6, latencyMaxNanos / 1e6, reason != null);
  }

  @Override
  public boolean isClosed() {
    return reason() != null;
  }

  @Override
  public Optional<CloseReason> closeReason() {
    return Optional.ofNullable(reason());
  }

  @Override
  public void close() {
    terminate(CloseReason.NORMAL, true);
  }

  @Override
  public String toString() {
    return "Subscription[" + id + " on " + channel.name() + "]";
  }

  /** The callback of one send: the first call wins. */
  private final class Delivery extends AtomicBoolean implements SendCallback {
    private final Frame frame;

    Delivery(Frame frame) {
      this.frame = frame;
    }

    @Override
    public void completed() {
      if (compareAndSet(false, true)) {
        DefaultSubscription.this.completed(frame);
      }
    }

    @Override
    public void failed(Throwable cause) {
      if (compareAndSet(false, true)) {
        DefaultSubscription.this.failed(cause);
      }
    }
  }
}
