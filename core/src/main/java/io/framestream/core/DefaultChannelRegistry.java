package io.framestream.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The registry implementation: a concurrent map of entries, a dispatcher, an idle sweep, and stopper threads.
 *
 * <p>Stopping a source never runs the source's code on the thread that stops it (the timer thread after a
 * grace period, a channel's closer, a viewer's unsubscribe) nor under the registry's or an entry's lock (rule
 * R7): the runner is signalled, and a {@code close()} that must unblock a {@code nextFrame()} in progress runs
 * on a {@code framestream-N-source-stop-K} thread. Those threads exist only while such a close runs (they
 * end after a few idle seconds) and end with the registry. A source started again is opened by its new
 * runner's own thread only after the last runner that opened it has finished closing it (rule S5); a runner
 * stopped while it still waits for that ends at once, and the next one waits for the same opener, so
 * viewers coming and going while a {@code close()} hangs leave at most one waiting runner per source.
 */
final class DefaultChannelRegistry implements ChannelRegistry, DefaultChannel.Listener {

  private static final System.Logger LOG = System.getLogger(DefaultChannelRegistry.class.getName());

  private final boolean createOnDemand;
  private final int maxChannels;
  private final ChannelConfig channelDefaults;
  private final Duration idleTimeout;
  private final Duration sourceGracePeriod;
  private final Duration shutdownTimeout;
  private final Ticker ticker;
  private final Dispatcher dispatcher;
  private final ScheduledFuture<?> idleSweep;
  private final String stopperPrefix;
  private final ThreadFactory stopperThreads;
  private final ThreadPoolExecutor stopper;

  private final Object lock = new Object();
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private final CopyOnWriteArrayList<RegistryListener> listeners = new CopyOnWriteArrayList<>();
  /** Finished idle sweeps and grace-period checks, so that a test knows the timer has looked at its clock. */
  private final AtomicLong idleSweeps = new AtomicLong();
  private final AtomicLong graceChecks = new AtomicLong();

  /** A channel and what the registry knows about it. Mutable fields guarded by the entry. */
  private static final class Entry {
    final DefaultChannel channel;
    boolean declared;
    FrameSource source;
    double fps;
    SourceRunner runner;
    /**
     * The last stopped runner that opened the source (a runner stopped before it opened it does not count);
     * the next one opens the source after it has finished (rule S5). So at most one runner waits per source.
     */
    SourceRunner previous;
    Publisher publisher;
    long stopGeneration;
    boolean fresh = true; // channelOpened not yet told

    Entry(DefaultChannel channel, boolean declared) {
      this.channel = channel;
      this.declared = declared;
    }
  }

  DefaultChannelRegistry(Builder b) {
    this.createOnDemand = b.createOnDemand;
    this.maxChannels = b.maxChannels;
    this.channelDefaults = b.channelDefaults;
    this.idleTimeout = b.idleTimeout;
    this.sourceGracePeriod = b.sourceGracePeriod;
    this.shutdownTimeout = b.shutdownTimeout;
    this.ticker = b.ticker;
    this.dispatcher = new Dispatcher("framestream", b.deliveryThreads, ticker);
    this.stopperPrefix = dispatcher.name() + "-source-stop-";
    AtomicInteger stopperCount = new AtomicInteger();
    this.stopperThreads = r -> {
      Thread t = new Thread(r, stopperPrefix + stopperCount.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    // No thread until a close must run; one per close running at once (a slow close delays no other one).
    this.stopper = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 5, TimeUnit.SECONDS, new SynchronousQueue<>(),
        stopperThreads);
    if (idleTimeout.isZero()) {
      this.idleSweep = null;
    } else {
      long period = Math.max(TimeUnit.MILLISECONDS.toNanos(20),
          Math.min(TimeUnit.SECONDS.toNanos(5), idleTimeout.toNanos() / 2));
      this.idleSweep = dispatcher.scheduleAtFixedRate(this::closeIdleChannels, period);
    }
  }

  @Override
  public Channel channel(String name) {
    ChannelNames.requireValid(name);
    Entry e = entries.get(name);
    if (e != null && !e.channel.isClosed()) {
      return e.channel;
    }
    if (!createOnDemand) {
      checkOpen();
      throw new NoSuchChannelException("no channel named '" + name + "' (channels must be declared)");
    }
    return obtain(name, channelDefaults, false).channel;
  }

  @Override
  public void addListener(RegistryListener listener) {
    java.util.Objects.requireNonNull(listener, "listener");
    listeners.addIfAbsent(listener);
  }

  @Override
  public void removeListener(RegistryListener listener) {
    listeners.remove(listener);
  }

  /** Tells every listener; one that throws is logged and skipped. */
  private void tell(Consumer<RegistryListener> event) {
    for (RegistryListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "registry listener " + l + " threw", e);
      }
    }
  }

  @Override
  public void publishersChanged(DefaultChannel channel) {
    tell(l -> l.publishersChanged(channel));
  }

  @Override
  public Optional<Channel> find(String name) {
    if (!ChannelNames.isValid(name)) {
      return Optional.empty();
    }
    Entry e = entries.get(name);
    return e == null || e.channel.isClosed() ? Optional.empty() : Optional.of(e.channel);
  }

  @Override
  public SourceState sourceState(String name) {
    Entry e = ChannelNames.isValid(name) ? entries.get(name) : null;
    if (e == null) {
      return SourceState.NONE;
    }
    synchronized (e) {
      return e.source == null ? SourceState.NONE : e.runner != null ? SourceState.RUNNING : SourceState.IDLE;
    }
  }

  @Override
  public Channel declare(String name) {
    return declare(name, channelDefaults);
  }

  @Override
  public Channel declare(String name, ChannelConfig config) {
    ChannelNames.requireValid(name);
    java.util.Objects.requireNonNull(config, "config");
    return obtain(name, config, true).channel;
  }

  @Override
  public Channel attachSource(String name, FrameSource source, double fps) {
    java.util.Objects.requireNonNull(source, "source");
    SubscriberOptions.checkFps(fps);
    ChannelNames.requireValid(name);
    Entry e = obtain(name, channelDefaults, true);
    boolean start;
    synchronized (e) {
      if (e.source != null) {
        throw new IllegalStateException("channel '" + name + "' already has a source");
      }
      e.source = source;
      e.fps = fps;
      start = e.channel.subscriberCount() > 0;
    }
    if (start) {
      subscribersChanged(e.channel);
    }
    return e.channel;
  }

  /** Returns the open entry for a name, creating it if needed; marks it declared if asked. */
  private Entry obtain(String name, ChannelConfig config, boolean declare) {
    Entry created = null;
    Entry e = obtainLocked(name, config, declare);
    if (e.fresh) {
      synchronized (e) {
        if (e.fresh) {
          e.fresh = false;
          created = e;
        }
      }
    }
    if (created != null) {
      DefaultChannel ch = created.channel;
      tell(l -> l.channelOpened(ch));
    }
    return e;
  }

  private Entry obtainLocked(String name, ChannelConfig config, boolean declare) {
    synchronized (lock) {
      checkOpen();
      Entry e = entries.get(name);
      if (e != null && e.channel.isClosed()) {
        entries.remove(name, e);
        e = null;
      }
      if (e == null) {
        if (entries.size() >= maxChannels) {
          throw new LimitExceededException("the registry already has the maximum of " + maxChannels
              + " channels (maxChannels)");
        }
        e = new Entry(new DefaultChannel(name, config, dispatcher, this), declare);
        entries.put(name, e);
      } else if (declare) {
        synchronized (e) {
          e.declared = true;
        }
      }
      return e;
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new ChannelClosedException("the channel registry is closed");
    }
  }

  @Override
  public List<Channel> channels() {
    List<Channel> list = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (!e.channel.isClosed()) {
        list.add(e.channel);
      }
    }
    list.sort(Comparator.comparing(Channel::name));
    return list;
  }

  @Override
  public void subscribersChanged(DefaultChannel channel) {
    tell(l -> l.viewersChanged(channel));
    Entry e = entries.get(channel.name());
    if (e == null || e.channel != channel) {
      return;
    }
    synchronized (e) {
      if (e.source == null || closed) {
        return;
      }
      if (channel.subscriberCount() > 0 && !channel.isClosed()) {
        e.stopGeneration++; // cancels a pending grace-period stop
        if (e.runner == null) {
          try {
            e.publisher = channel.openPublisher("source " + e.source);
          } catch (LimitExceededException | ChannelClosedException busy) {
            LOG.log(System.Logger.Level.INFO, "source of channel {0} not started: {1}", channel.name(),
                busy.getMessage());
            return;
          }
          Publisher p = e.publisher;
          FrameSink viaPublisher = (frame, done) -> {
            p.publish(frame);
            done.completed();
          };
          e.runner = SourceRunner.builder(e.source, viaPublisher).name(channel.name()).fps(e.fps).ticker(ticker)
              .build().start(e.previous); // its own thread waits for the previous run's close (S5), not this one
          e.previous = null;
        }
      } else if (e.runner != null) {
        long generation = ++e.stopGeneration;
        dispatcher.schedule(() -> stopIfStill(e, generation), sourceGracePeriod.toNanos());
      }
    }
  }

  private void stopIfStill(Entry e, long generation) {
    synchronized (e) {
      if (e.stopGeneration == generation && e.runner != null && e.channel.subscriberCount() == 0) {
        stopSource(e);
      }
    }
    graceChecks.incrementAndGet();
  }

  /** How many grace periods have ended (whether or not they stopped a source); for tests. */
  long graceChecksForTest() {
    return graceChecks.get();
  }

  /** How many idle sweeps have finished; for tests. */
  long idleSweepsForTest() {
    return idleSweeps.get();
  }

  @Override
  public void closed(DefaultChannel channel) {
    Entry e = entries.get(channel.name());
    if (e != null && e.channel == channel) {
      entries.remove(channel.name(), e);
      synchronized (e) {
        stopSource(e);
      }
    }
    tell(l -> l.channelClosed(channel));
  }

  /**
   * Detaches and signals the entry's runner and closes its publisher handle. Caller holds the entry's
   * monitor: no source code runs here (rule R7), the source's {@code close()} runs on the runner's thread or
   * on a stopper thread.
   */
  private void stopSource(Entry e) {
    if (e.runner != null) {
      e.runner.requestStop(this::runOnStopper);
      e.previous = e.runner.lastOpener(); // final once stopped: it opened, or it never will
      e.runner = null;
    }
    if (e.publisher != null) {
      e.publisher.close();
      e.publisher = null;
    }
  }

  /** Runs a source's {@code close()} on a stopper thread; after the registry closed, on a thread of its own. */
  private void runOnStopper(Runnable close) {
    try {
      stopper.execute(close);
    } catch (RejectedExecutionException shutDown) {
      stopperThreads.newThread(close).start();
    }
  }

  /** Rule R4: on-demand channels without viewers, publishers, sources or activity for idleTimeout go. */
  private void closeIdleChannels() {
    long idleNanos = idleTimeout.toNanos();
    for (Entry e : entries.values()) {
      boolean kept;
      synchronized (e) {
        kept = e.declared || e.source != null;
      }
      if (!kept && e.channel.closeIfIdle(idleNanos)) {
        LOG.log(System.Logger.Level.DEBUG, "closed idle channel {0}", e.channel.name());
      }
    }
    idleSweeps.incrementAndGet();
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    List<SourceRunner> runners = new ArrayList<>();
    List<Entry> all;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      all = new ArrayList<>(entries.values());
      entries.clear();
    }
    if (idleSweep != null) {
      idleSweep.cancel(false);
    }
    for (Entry e : all) {
      synchronized (e) {
        SourceRunner current = e.runner;
        if (current != null) {
          runners.add(current);
        }
        stopSource(e);
        if (e.previous != null && e.previous != current) {
          runners.add(e.previous); // the one still closing the source, whether or not a newer one waited
        }
      }
    }
    for (Entry e : all) {
      e.channel.close();
    }
    long deadline = ticker.nanoTime() + shutdownTimeout.toNanos();
    for (SourceRunner r : runners) {
      try {
        r.awaitTermination(Duration.ofNanos(Math.max(1, deadline - ticker.nanoTime())));
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    stopper.shutdown();
    if (!Thread.currentThread().getName().startsWith(stopperPrefix)) {
      try {
        if (!Waits.awaitTermination(ticker, stopper, deadline - ticker.nanoTime())) {
          LOG.log(System.Logger.Level.WARNING, "a source''s close() did not return within {0}", shutdownTimeout);
          stopper.shutdownNow();
        }
      } catch (InterruptedException ex) {
        stopper.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    if (dispatcher.ownsCurrentThread()) {
      dispatcher.shutdown(0); // cannot wait for our own thread
      return;
    }
    if (!dispatcher.shutdown(Math.max(0, deadline - ticker.nanoTime()))) {
      LOG.log(System.Logger.Level.WARNING, "delivery threads did not finish within {0}", shutdownTimeout);
    }
  }

  @Override
  public String toString() {
    return "ChannelRegistry[" + entries.size() + " channels" + (closed ? ", closed" : "") + "]";
  }
}
