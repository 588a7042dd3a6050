package io.framestream.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The channel implementation. One lock orders publishing, subscribing and removal, so that a late joiner's
 * catch-up frames and the live frames it receives afterwards neither overlap nor leave a gap. Fan-out
 * happens under that lock but only enqueues (O(1) per subscriber); sinks run on the dispatcher.
 */
final class DefaultChannel implements Channel {

  /** Told about viewer-count and publisher-count changes and closing; used by the registry. Must not block. */
  interface Listener {
    void subscribersChanged(DefaultChannel channel);

    void publishersChanged(DefaultChannel channel);

    void closed(DefaultChannel channel);
  }

  private static final DefaultSubscription[] NONE = new DefaultSubscription[0];
  private static final long FPS_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final String name;
  private final ChannelConfig config;
  private final Dispatcher dispatcher;
  private final Ticker ticker;
  private final Listener listener;
  private final ScheduledFuture<?> sweeper;

  private final Object lock = new Object();
  // Guarded by lock (subscribers is also read without it: a volatile copy-on-write array).
  private volatile DefaultSubscription[] subscribers = NONE;
  private volatile int viewers; // subscribers that are not relays
  private long lastSequence;
  private Frame init;
  private Frame key;
  private Frame latest;
  private final List<Frame> gop = new ArrayList<>();
  private long gopBytes;
  private boolean gopComplete = true;
  private long framesIn;
  private long bytesIn;
  private int publishers;
  private ChannelState state; // null until the first publisher
  private volatile boolean closed;
  private volatile long lastActivityNanos;

  // Updated from delivery threads.
  private final LongAdder framesOut = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final LongAdder[] drops = new LongAdder[DropReason.values().length];
  private final LongAdder evictions = new LongAdder();
  private final LongAdder sinkFailures = new LongAdder();
  private final LongAdder publishRejected = new LongAdder();
  private final LatencyHistogram latency = new LatencyHistogram();
  private final LongAdder subscribersRefused = new LongAdder();
  private final LongAdder publishersRefused = new LongAdder();
  private final ChannelCounters counters = new ChannelCounterViews.Live(this, latency);

  // Written by the sweeper only.
  private final AtomicLong sweeps = new AtomicLong(); // finished sweeps, so that a test knows one looked
  private long fpsSampleNanos;
  private long fpsSampleIn;
  private long fpsSampleOut;
  private volatile double fpsIn;
  private volatile double fpsOut;

  DefaultChannel(String name, ChannelConfig config, Dispatcher dispatcher, Listener listener) {
    this.name = ChannelNames.requireValid(name);
    this.config = Objects.requireNonNull(config, "config");
    this.dispatcher = dispatcher;
    this.ticker = dispatcher.ticker();
    this.listener = listener;
    this.lastActivityNanos = ticker.nanoTime();
    this.fpsSampleNanos = lastActivityNanos;
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
    long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10),
        Math.min(TimeUnit.MILLISECONDS.toNanos(250), config.stallTimeout().toNanos() / 4));
    this.sweeper = dispatcher.scheduleAtFixedRate(this::sweep, period);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public ChannelConfig config() {
    return config;
  }

  Dispatcher dispatcher() {
    return dispatcher;
  }

  /** The time source of this channel, its subscriptions and publishers. */
  Ticker ticker() {
    return ticker;
  }

  @Override
  public Frame publish(Frame frame) {
    Objects.requireNonNull(frame, "frame");
    dispatcher.holdStarts(); // one wake-up of the delivery pool per frame, after the lock (issue 14)
    try {
      return publishHeld(frame);
    } finally {
      dispatcher.releaseStarts();
    }
  }

  private Frame publishHeld(Frame frame) {
    synchronized (lock) {
      if (closed) {
        throw new ChannelClosedException("channel '" + name + "' is closed");
      }
      long now = ticker.nanoTime();
      Frame f = frame.published(++lastSequence, now);
      Frame previous = latest;
      remember(f);
      latest = f;
      letGo(previous);
      framesIn++;
      bytesIn += f.size();
      lastActivityNanos = now;
      for (DefaultSubscription s : subscribers) {
        s.offer(f);
      }
      return f;
    }
  }

  /** Updates the late-joiner cache: INIT, newest KEY, and the deltas after it while they fit. */
  private void remember(Frame f) {
    switch (f.kind()) {
      case INIT: {
        Frame oldInit = init;
        Frame oldKey = key;
        init = f;
        key = null;
        clearGop(true);
        letGo(oldInit);
        letGo(oldKey);
        break;
      }
      case KEY: {
        Frame oldKey = key;
        key = f;
        clearGop(true);
        letGo(oldKey);
        break;
      }
      case DELTA:
        if (key != null && gopComplete) {
          if (gop.size() < config.keyframeCacheMaxFrames()
              && gopBytes + f.size() <= config.keyframeCacheMaxBytes()) {
            gop.add(f);
            gopBytes += f.size();
          } else {
            clearGop(false); // too long to replay: late joiners wait for the next key frame
          }
        }
        break;
      default:
        throw new AssertionError(f.kind());
    }
  }

  /**
   * Retires a frame this channel no longer holds (not the newest, not in the late-joiner cache), so pooled
   * encodings of it can go back to their pool once their sends are done ({@link Frame#retire()}). Called under
   * the lock.
   */
  private void letGo(Frame f) {
    if (f == null || f == latest || f == init || f == key) {
      return;
    }
    for (int i = gop.size() - 1; i >= 0; i--) {
      if (gop.get(i) == f) {
        return;
      }
    }
    f.retire();
  }

  private void clearGop(boolean complete) {
    if (!gop.isEmpty()) {
      Frame[] dropped = gop.toArray(new Frame[0]);
      gop.clear();
      for (Frame d : dropped) {
        letGo(d);
      }
    }
    gopBytes = 0;
    gopComplete = complete;
  }

  @Override
  public Subscription subscribe(FrameSink sink, SubscriberOptions options) {
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(options, "options");
    DefaultSubscription s;
    boolean inline = DefaultSubscription.askInline(sink); // user code: not under the lock
    synchronized (lock) {
      if (closed) {
        throw new ChannelClosedException("channel '" + name + "' is closed");
      }
      DefaultSubscription[] current = subscribers;
      if (!options.relay() && viewers >= config.maxSubscribers()) {
        subscribersRefused.increment();
        throw new LimitExceededException("channel '" + name + "' already has the maximum of "
            + config.maxSubscribers() + " subscribers (maxSubscribers)");
      }
      s = new DefaultSubscription(this, sink, options, inline);
      List<Frame> catchUp = new ArrayList<>(gop.size() + 2);
      if (init != null) {
        catchUp.add(init);
      }
      boolean keyUsable = key != null && gopComplete;
      if (keyUsable) {
        catchUp.add(key);
        catchUp.addAll(gop);
      }
      s.preload(catchUp, keyUsable, state == ChannelState.OFFLINE ? ChannelState.OFFLINE : null);
      DefaultSubscription[] next = Arrays.copyOf(current, current.length + 1);
      next[current.length] = s;
      subscribers = next;
      viewers = countViewers(next);
      lastActivityNanos = ticker.nanoTime();
    }
    s.kick();
    if (listener != null && !s.isRelay()) {
      listener.subscribersChanged(this);
    }
    return s;
  }

  @Override
  public Publisher openPublisher(String description) {
    Objects.requireNonNull(description, "description");
    Publisher p;
    synchronized (lock) {
      if (closed) {
        throw new ChannelClosedException("channel '" + name + "' is closed");
      }
      if (publishers >= config.maxPublishers()) {
        publishersRefused.increment();
        throw new LimitExceededException("channel '" + name + "' already has " + publishers + " publisher"
            + (publishers == 1 ? "" : "s") + " (maxPublishers " + config.maxPublishers() + ")");
      }
      if (publishers++ == 0) {
        changeState(ChannelState.ONLINE);
      }
      lastActivityNanos = ticker.nanoTime();
      p = new DefaultPublisher(this, description, config);
    }
    if (listener != null) {
      listener.publishersChanged(this);
    }
    return p;
  }

  void publisherClosed(DefaultPublisher p) {
    synchronized (lock) {
      if (--publishers == 0 && !closed) {
        changeState(ChannelState.OFFLINE);
      }
      lastActivityNanos = ticker.nanoTime();
    }
    if (listener != null) {
      listener.publishersChanged(this);
    }
  }

  private static int countViewers(DefaultSubscription[] subs) {
    int n = 0;
    for (DefaultSubscription s : subs) {
      if (!s.isRelay()) {
        n++;
      }
    }
    return n;
  }

  /** Caller holds the lock: tells every subscriber, in order with the frames. */
  private void changeState(ChannelState newState) {
    state = newState;
    for (DefaultSubscription s : subscribers) {
      s.offerStatus(newState);
    }
  }

  @Override
  public int publisherCount() {
    synchronized (lock) {
      return publishers;
    }
  }

  @Override
  public Optional<ChannelState> state() {
    synchronized (lock) {
      return Optional.ofNullable(state);
    }
  }

  void recordPublishRejected() {
    publishRejected.increment();
  }

  void remove(DefaultSubscription s) {
    boolean removed = false;
    synchronized (lock) {
      DefaultSubscription[] current = subscribers;
      for (int i = 0; i < current.length; i++) {
        if (current[i] == s) {
          DefaultSubscription[] next = new DefaultSubscription[current.length - 1];
          System.arraycopy(current, 0, next, 0, i);
          System.arraycopy(current, i + 1, next, i, current.length - i - 1);
          subscribers = next;
          viewers = countViewers(next);
          removed = !s.isRelay();
          break;
        }
      }
      lastActivityNanos = ticker.nanoTime();
    }
    if (removed && listener != null) {
      listener.subscribersChanged(this);
    }
  }

  void recordDelivered(int bytes, long latencyNanos) {
    framesOut.increment();
    bytesOut.add(bytes);
    latency.record(latencyNanos);
  }

  void recordDrop(DropReason reason) {
    drops[reason.ordinal()].increment();
  }

  void recordEviction() {
    evictions.increment();
  }

  void recordSinkFailure() {
    sinkFailures.increment();
  }

  /** The live counters behind {@link #stats()}; see {@link ChannelCounters#of(Channel)}. */
  ChannelCounters counters() {
    return counters;
  }

  long framesInCount() {
    synchronized (lock) {
      return framesIn;
    }
  }

  long bytesInCount() {
    synchronized (lock) {
      return bytesIn;
    }
  }

  long framesOutCount() {
    return framesOut.sum();
  }

  long bytesOutCount() {
    return bytesOut.sum();
  }

  long dropCount(DropReason reason) {
    return drops[reason.ordinal()].sum();
  }

  long publishRejectedCount() {
    return publishRejected.sum();
  }

  long evictionCount() {
    return evictions.sum();
  }

  long sinkFailureCount() {
    return sinkFailures.sum();
  }

  long subscribersRefusedCount() {
    return subscribersRefused.sum();
  }

  long publishersRefusedCount() {
    return publishersRefused.sum();
  }

  private void sweep() {
    long now = ticker.nanoTime();
    long stallNanos = config.stallTimeout().toNanos();
    boolean updateFps = now - fpsSampleNanos >= FPS_WINDOW_NANOS;
    for (DefaultSubscription s : subscribers) {
      s.sweep(now, stallNanos, updateFps);
    }
    if (updateFps) {
      long in;
      synchronized (lock) {
        in = framesIn;
      }
      long out = framesOut.sum();
      double seconds = (now - fpsSampleNanos) / 1e9;
      fpsIn = (in - fpsSampleIn) / seconds;
      fpsOut = (out - fpsSampleOut) / seconds;
      fpsSampleIn = in;
      fpsSampleOut = out;
      fpsSampleNanos = now;
    }
    sweeps.incrementAndGet();
  }

  /** How many sweeps (stall checks, rate samples) have finished; for tests. */
  long sweepsForTest() {
    return sweeps.get();
  }

  @Override
  public Optional<Frame> initFrame() {
    synchronized (lock) {
      return Optional.ofNullable(init);
    }
  }

  @Override
  public Optional<Frame> latestKeyFrame() {
    synchronized (lock) {
      return Optional.ofNullable(key);
    }
  }

  @Override
  public Optional<Frame> latestFrame() {
    synchronized (lock) {
      return Optional.ofNullable(latest);
    }
  }

  @Override
  public int subscriberCount() {
    return viewers;
  }

  /** The current subscriptions; for tests and diagnostics. */
  DefaultSubscription[] subscribersForTest() {
    return subscribers.clone();
  }

  /** The ticker's time of the last publish, subscribe or unsubscribe. */
  long lastActivityNanos() {
    return lastActivityNanos;
  }

  @Override
  public ChannelStats stats() {
    long in;
    long inBytes;
    long seq;
    String type;
    int pubs;
    synchronized (lock) {
      in = framesIn;
      inBytes = bytesIn;
      seq = lastSequence;
      pubs = publishers;
      type = latest != null ? latest.contentType() : "";
    }
    long queued = 0;
    long inFlight = 0;
    DefaultSubscription[] subs = subscribers;
    for (DefaultSubscription s : subs) {
      long[] q = s.occupancy();
      queued += q[0];
      inFlight += q[1];
    }
    Map<DropReason, Long> dropMap = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) {
      dropMap.put(r, drops[r.ordinal()].sum());
    }
    return new ChannelStats(name, countViewers(subs), in, inBytes, fpsIn, framesOut.sum(), bytesOut.sum(), fpsOut,
        dropMap, pubs, publishRejected.sum(), evictions.sum(), sinkFailures.sum(), queued, inFlight, seq, type,
        latency.snapshot());
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    close(-1);
  }

  /**
   * Closes the channel if nobody uses it (rule R4): no viewer, no open publisher, and no publish, subscribe,
   * unsubscribe or publisher change for longer than {@code idleNanos}. Decided under the channel lock, so a
   * subscriber or publisher arriving at the same moment either keeps the channel or finds it closed.
   *
   * @return {@code true} if this call closed the channel
   */
  boolean closeIfIdle(long idleNanos) {
    return close(idleNanos);
  }

  /** Closes the channel; with {@code ifIdleNanos >= 0}, only if it has been idle that long. */
  private boolean close(long ifIdleNanos) {
    DefaultSubscription[] subs;
    synchronized (lock) {
      if (closed) {
        return false;
      }
      if (ifIdleNanos >= 0
          && (viewers > 0 || publishers > 0 || ticker.nanoTime() - lastActivityNanos <= ifIdleNanos)) {
        return false;
      }
      closed = true;
      subs = subscribers;
      subscribers = NONE;
      viewers = 0;
      Frame oldInit = init;
      Frame oldKey = key;
      Frame oldLatest = latest;
      init = null;
      key = null;
      clearGop(true);
      letGo(oldInit);
      letGo(oldKey);
      if (oldLatest != null) {
        oldLatest.retire(); // latest stays readable (latestFrame()), but no new send will want its pools
      }
    }
    sweeper.cancel(false);
    CloseReason reason = new CloseReason(CloseReason.Code.CHANNEL_CLOSED, "channel '" + name + "' closed");
    for (DefaultSubscription s : subs) {
      s.terminate(reason, false);
    }
    if (listener != null) {
      listener.closed(this);
    }
    return true;
  }

  @Override
  public String toString() {
    return "Channel[" + name + ", subscribers=" + viewers + (closed ? ", closed" : "") + "]";
  }
}
