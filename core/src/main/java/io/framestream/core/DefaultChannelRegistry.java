package io.framestream.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** The registry implementation: a concurrent map of entries, a dispatcher, and an idle sweep. */
final class DefaultChannelRegistry implements ChannelRegistry, DefaultChannel.Listener {

  private static final System.Logger LOG = System.getLogger(DefaultChannelRegistry.class.getName());

  private final boolean createOnDemand;
  private final int maxChannels;
  private final ChannelConfig channelDefaults;
  private final Duration idleTimeout;
  private final Duration sourceGracePeriod;
  private final Duration shutdownTimeout;
  private final Dispatcher dispatcher;
  private final ScheduledFuture<?> idleSweep;

  private final Object lock = new Object();
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private final CopyOnWriteArrayList<RegistryListener> listeners = new CopyOnWriteArrayList<>();

  /** A channel and what the registry knows about it. Mutable fields guarded by the entry. */
  private static final class Entry {
    final DefaultChannel channel;
    boolean declared;
    FrameSource source;
    double fps;
    SourceRunner runner;
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
    this.dispatcher = new Dispatcher("framestream", b.deliveryThreads);
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
          e.runner = SourceRunner.builder(e.source, viaPublisher).name(channel.name()).fps(e.fps).build().start();
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

  /** Caller holds the entry's monitor. */
  private static void stopSource(Entry e) {
    if (e.runner != null) {
      e.runner.requestStop();
      e.runner = null;
    }
    if (e.publisher != null) {
      e.publisher.close();
      e.publisher = null;
    }
  }

  private void closeIdleChannels() {
    long now = System.nanoTime();
    long idleNanos = idleTimeout.toNanos();
    for (Entry e : entries.values()) {
      boolean idle;
      synchronized (e) {
        idle = !e.declared && e.source == null && e.channel.subscriberCount() == 0
            && now - e.channel.lastActivityNanos() > idleNanos;
      }
      if (idle) {
        LOG.log(System.Logger.Level.DEBUG, "closing idle channel {0}", e.channel.name());
        e.channel.close();
      }
    }
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
        if (e.runner != null) {
          runners.add(e.runner);
        }
        stopSource(e);
      }
    }
    for (Entry e : all) {
      e.channel.close();
    }
    long deadline = System.nanoTime() + shutdownTimeout.toNanos();
    for (SourceRunner r : runners) {
      try {
        r.awaitTermination(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (dispatcher.ownsCurrentThread()) {
      dispatcher.shutdown(0); // cannot wait for our own thread
      return;
    }
    if (!dispatcher.shutdown(Math.max(0, deadline - System.nanoTime()))) {
      LOG.log(System.Logger.Level.WARNING, "delivery threads did not finish within {0}", shutdownTimeout);
    }
  }

  @Override
  public String toString() {
    return "ChannelRegistry[" + entries.size() + " channels" + (closed ? ", closed" : "") + "]";
  }
}
