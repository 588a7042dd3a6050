package io.framestream.micrometer;

import io.framestream.core.Channel;
import io.framestream.core.ChannelCounters;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelState;
import io.framestream.core.DropReason;
import io.framestream.core.RegistryListener;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRefusals;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Micrometer meters for a {@link ChannelRegistry} (and optionally the {@link AccessGate} of its entry
 * points). Bind it to a {@link MeterRegistry}: {@code FrameStreamMetrics.builder(channels).build()
 * .bindTo(meterRegistry)}.
 *
 * <h2>Meters</h2>
 *
 * Every per-channel meter has one tag, {@code channel}. Names as Micrometer writes them; a Prometheus
 * registry turns dots into underscores and adds {@code _total} to counters and the base unit ({@code
 * _bytes}, {@code _seconds}) where one is set.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>Name</th><th>Type</th><th>Tags</th><th>Meaning</th></tr>
 *   <tr><td>{@value #CHANNELS}</td><td>gauge</td><td></td><td>open channels</td></tr>
 *   <tr><td>{@value #VIEWERS}</td><td>gauge</td><td>channel</td><td>viewers (relays not counted)</td></tr>
 *   <tr><td>{@value #PUBLISHERS}</td><td>gauge</td><td>channel</td><td>open publishers</td></tr>
 *   <tr><td>{@value #ONLINE}</td><td>gauge</td><td>channel</td><td>1 while a publisher is connected,
 *       else 0 (for {@code _other}: how many of those channels are online)</td></tr>
 *   <tr><td>{@value #FRAMES_IN}, {@value #FRAMES_OUT}</td><td>counter</td><td>channel</td><td>frames
 *       published; frames completed by all viewers</td></tr>
 *   <tr><td>{@value #BYTES_IN}, {@value #BYTES_OUT}</td><td>counter (bytes)</td><td>channel</td><td>their
 *       payload bytes</td></tr>
 *   <tr><td>{@value #DROPS}</td><td>counter</td><td>channel, reason</td><td>frames not delivered to a
 *       viewer, by {@link DropReason} in lower case ({@code superseded}, {@code skipped_to_key}, {@code
 *       rate_limited}, {@code too_old}), plus {@code publish_rejected}: frames a publisher's rate limit
 *       refused</td></tr>
 *   <tr><td>{@value #EVICTIONS}</td><td>counter</td><td>channel</td><td>stalled viewers evicted</td></tr>
 *   <tr><td>{@value #SINK_FAILURES}</td><td>counter</td><td>channel</td><td>viewers whose delivery
 *       failed</td></tr>
 *   <tr><td>{@value #CHANNEL_REFUSALS}</td><td>counter</td><td>channel, cause</td><td>{@code viewer_limit},
 *       {@code publisher_limit}: refused by the channel's limits</td></tr>
 *   <tr><td>{@value #REFUSALS}</td><td>counter</td><td>cause</td><td>requests the access gate refused:
 *       {@code origin}, {@code unauthorized}, {@code forbidden}, {@code address_limit} (only with {@link
 *       Builder#accessGate(AccessGate)})</td></tr>
 *   <tr><td>{@value #LATENCY}</td><td>function timer</td><td>channel</td><td>publish-to-delivery latency:
 *       count and total time of all deliveries</td></tr>
 *   <tr><td>{@value #LATENCY_MAX}</td><td>time gauge</td><td>channel</td><td>the largest latency since the
 *       channel opened</td></tr>
 *   <tr><td>{@value #LATENCY_PERCENTILE}</td><td>time gauge</td><td>channel, percentile</td><td>{@code
 *       0.5}, {@code 0.95}, {@code 0.99}, from the channel's log-scale histogram (about 9 % resolution),
 *       over all deliveries since the channel opened; not for {@code _other}</td></tr>
 * </table>
 *
 * <h2>Channel tag cap</h2>
 *
 * Channel names come from clients when channels are created on demand, so the number of tag values is
 * capped: the first {@link Builder#maxTaggedChannels(int)} channels open at once (default {@value
 * #DEFAULT_MAX_TAGGED_CHANNELS}) get their own {@code channel} tag; any further channel is added up under
 * {@code channel="_other"}. A closed channel's meters are removed from the registry, freeing its place for
 * the next channel that opens. The {@code _other} counters keep the counts of closed channels, so they
 * never go backwards.
 *
 * <p>Every value is read when the registry asks (a scrape): each counter read is O(1) and allocation-free
 * ({@link ChannelCounters}); nothing is done per frame.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. It follows channels opening and closing through a {@link RegistryListener}, whose callbacks
 * only register or remove meters. {@link #close()} stops following and removes every meter it registered.
 *
 * @since 0.4.0
 */
public final class FrameStreamMetrics implements MeterBinder, AutoCloseable {

  /** Default for {@link Builder#maxTaggedChannels(int)}: 256. */
  public static final int DEFAULT_MAX_TAGGED_CHANNELS = 256;
  /** The tag value of the channels beyond the cap. */
  public static final String OTHER = "_other";

  /** Gauge: open channels. */
  public static final String CHANNELS = "framestream.channels";
  /** Gauge: viewers of a channel. */
  public static final String VIEWERS = "framestream.channel.viewers";
  /** Gauge: publishers of a channel. */
  public static final String PUBLISHERS = "framestream.channel.publishers";
  /** Gauge: 1 when a channel is online. */
  public static final String ONLINE = "framestream.channel.online";
  /** Counter: frames published. */
  public static final String FRAMES_IN = "framestream.frames.in";
  /** Counter: frames delivered. */
  public static final String FRAMES_OUT = "framestream.frames.out";
  /** Counter: payload bytes published. */
  public static final String BYTES_IN = "framestream.in";
  /** Counter: payload bytes delivered. */
  public static final String BYTES_OUT = "framestream.out";
  /** Counter: frames dropped, by reason. */
  public static final String DROPS = "framestream.drops";
  /** Counter: stalled viewers evicted. */
  public static final String EVICTIONS = "framestream.evictions";
  /** Counter: viewers whose delivery failed. */
  public static final String SINK_FAILURES = "framestream.sink.failures";
  /** Counter: viewers and publishers refused by a channel's limits, by cause. */
  public static final String CHANNEL_REFUSALS = "framestream.channel.refusals";
  /** Counter: requests refused by the access gate, by cause. */
  public static final String REFUSALS = "framestream.refusals";
  /** Function timer: publish-to-delivery latency. */
  public static final String LATENCY = "framestream.delivery.latency";
  /** Time gauge: the largest publish-to-delivery latency. */
  public static final String LATENCY_MAX = "framestream.delivery.latency.max";
  /** Time gauge: publish-to-delivery latency percentiles. */
  public static final String LATENCY_PERCENTILE = "framestream.delivery.latency.percentile";

  private static final double[] PERCENTILES = {0.5, 0.95, 0.99};

  private final ChannelRegistry channels;
  private final AccessGate gate;
  private final int maxTaggedChannels;
  private final Tags commonTags;
  private final List<Binding> bindings = new CopyOnWriteArrayList<>();
  private final Listener listener = new Listener();
  private boolean listening; // guarded by this
  private boolean closed; // guarded by this

  private FrameStreamMetrics(Builder b) {
    this.channels = b.channels;
    this.gate = b.gate;
    this.maxTaggedChannels = b.maxTaggedChannels;
    this.commonTags = b.tags;
  }

  /**
   * Starts a builder for the meters of a channel registry.
   *
   * @param channels the registry whose channels are measured
   * @return a new builder
   * @throws NullPointerException if {@code channels} is {@code null}
   */
  public static Builder builder(ChannelRegistry channels) {
    return new Builder(channels);
  }

  /**
   * Returns the binder for a registry's channels with the defaults (no access gate, {@value
   * #DEFAULT_MAX_TAGGED_CHANNELS} tagged channels).
   *
   * @param channels the registry whose channels are measured
   * @return a new binder
   * @throws NullPointerException if {@code channels} is {@code null}
   */
  public static FrameStreamMetrics of(ChannelRegistry channels) {
    return builder(channels).build();
  }

  /**
   * Registers the meters with a registry and follows the channels from now on. Binding to several
   * registries is allowed (each gets every meter); binding to the same one twice has no further effect.
   *
   * @param registry the meter registry
   * @throws IllegalStateException if this binder was closed
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    Binding binding;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("FrameStreamMetrics is closed");
      }
      for (Binding existing : bindings) {
        if (existing.registry == registry) {
          return;
        }
      }
      binding = new Binding(registry);
      bindings.add(binding);
      if (!listening) {
        listening = true;
        channels.addListener(listener);
      }
    }
    binding.bindGlobal();
    for (Channel c : channels.channels()) {
      binding.opened(c);
    }
  }

  /**
   * Returns the most channels that get their own tag at once.
   *
   * @return the cap
   */
  public int maxTaggedChannels() {
    return maxTaggedChannels;
  }

  /** Stops following the channels and removes every meter this binder registered. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      channels.removeListener(listener);
    }
    for (Binding b : bindings) {
      b.removeAll();
    }
    bindings.clear();
  }

  @Override
  public String toString() {
    return "FrameStreamMetrics[bindings=" + bindings.size() + ", maxTaggedChannels=" + maxTaggedChannels + "]";
  }

  private final class Listener implements RegistryListener {
    @Override
    public void channelOpened(Channel channel) {
      for (Binding b : bindings) {
        b.opened(channel);
      }
    }

    @Override
    public void channelClosed(Channel channel) {
      for (Binding b : bindings) {
        b.closed(channel);
      }
    }
  }

  /** What is measured of one channel, or of all the channels beyond the cap. */
  private interface Source {
    /** Called once per counter meter at registration, before it is read. */
    default void track(ToLongFunction<ChannelCounters> counter) {}

    long sum(ToLongFunction<ChannelCounters> counter);

    double gauge(ToDoubleFunction<Channel> value);

    long maxLatencyNanos();
  }

  /** The meters of one registry. All state is guarded by this binding's monitor. */
  private final class Binding {
    final MeterRegistry registry;
    final List<Meter> globalMeters = new ArrayList<>();
    final Map<Channel, List<Meter>> tagged = new IdentityHashMap<>();
    final Map<String, Channel> taggedByName = new LinkedHashMap<>();
    final Other other = new Other();
    List<Meter> otherMeters; // registered with the first channel beyond the cap
    boolean removed;

    Binding(MeterRegistry registry) {
      this.registry = registry;
    }

    synchronized void bindGlobal() {
      globalMeters.add(Gauge.builder(CHANNELS, channels, r -> r.channels().size()).tags(commonTags)
          .description("Open channels").strongReference(true).register(registry));
      if (gate != null) {
        AccessRefusals refusals = gate.refusals();
        for (AccessRefusals.Cause cause : AccessRefusals.Cause.values()) {
          globalMeters.add(FunctionCounter.builder(REFUSALS, refusals, r -> r.count(cause))
              .tags(commonTags).tag("cause", lower(cause.name()))
              .description("Requests refused by the access gate, by cause").register(registry));
        }
      }
    }

    synchronized void opened(Channel channel) {
      if (removed || channel.isClosed() || tagged.containsKey(channel) || other.live.containsKey(channel)) {
        return;
      }
      Channel sameName = taggedByName.get(channel.name());
      if (sameName != null) {
        forget(sameName); // a closed channel's late callback: its successor takes the tag
      }
      if (tagged.size() < maxTaggedChannels) {
        ChannelCounters c = ChannelCounters.of(channel);
        List<Meter> meters = register(Tags.of(Tag.of("channel", channel.name())), new Single(channel, c), true);
        tagged.put(channel, meters);
        taggedByName.put(channel.name(), channel);
      } else {
        other.live.put(channel, ChannelCounters.of(channel));
        if (otherMeters == null) {
          otherMeters = register(Tags.of(Tag.of("channel", OTHER)), other, false);
        }
      }
      if (channel.isClosed()) {
        closed(channel); // closed while we registered: its close callback may have come first
      }
    }

    synchronized void closed(Channel channel) {
      if (tagged.containsKey(channel)) {
        forget(channel);
        return;
      }
      ChannelCounters c = other.live.remove(channel);
      if (c != null) {
        other.retire(c);
      }
    }

    private void forget(Channel channel) {
      List<Meter> meters = tagged.remove(channel);
      if (taggedByName.get(channel.name()) == channel) {
        taggedByName.remove(channel.name());
      }
      if (meters != null) {
        meters.forEach(registry::remove);
      }
    }

    synchronized void removeAll() {
      removed = true;
      globalMeters.forEach(registry::remove);
      globalMeters.clear();
      for (List<Meter> meters : tagged.values()) {
        meters.forEach(registry::remove);
      }
      tagged.clear();
      taggedByName.clear();
      if (otherMeters != null) {
        otherMeters.forEach(registry::remove);
        otherMeters = null;
      }
    }

    private List<Meter> register(Tags channelTag, Source s, boolean percentiles) {
      Tags tags = commonTags.and(channelTag);
      List<Meter> m = new ArrayList<>();
      m.add(Gauge.builder(VIEWERS, s, x -> x.gauge(Channel::subscriberCount)).tags(tags)
          .description("Viewers of the channel").strongReference(true).register(registry));
      m.add(Gauge.builder(PUBLISHERS, s, x -> x.gauge(Channel::publisherCount)).tags(tags)
          .description("Open publishers of the channel").strongReference(true).register(registry));
      m.add(Gauge.builder(ONLINE, s, x -> x.gauge(FrameStreamMetrics::online)).tags(tags)
          .description("1 while the channel has a publisher").strongReference(true).register(registry));
      m.add(counter(FRAMES_IN, tags, s, ChannelCounters::framesIn, null, "Frames published"));
      m.add(counter(FRAMES_OUT, tags, s, ChannelCounters::framesOut, null, "Frames delivered to viewers"));
      m.add(counter(BYTES_IN, tags, s, ChannelCounters::bytesIn, BaseUnits.BYTES, "Payload bytes published"));
      m.add(counter(BYTES_OUT, tags, s, ChannelCounters::bytesOut, BaseUnits.BYTES,
          "Payload bytes delivered to viewers"));
      for (DropReason r : DropReason.values()) {
        m.add(counter(DROPS, tags.and("reason", lower(r.name())), s, c -> c.drops(r), null,
            "Frames not delivered, by reason"));
      }
      m.add(counter(DROPS, tags.and("reason", "publish_rejected"), s, ChannelCounters::publishRejected, null,
          "Frames not delivered, by reason"));
      m.add(counter(EVICTIONS, tags, s, ChannelCounters::evictions, null, "Stalled viewers evicted"));
      m.add(counter(SINK_FAILURES, tags, s, ChannelCounters::sinkFailures, null,
          "Viewers whose delivery failed"));
      m.add(counter(CHANNEL_REFUSALS, tags.and("cause", "viewer_limit"), s, ChannelCounters::subscribersRefused,
          null, "Viewers and publishers refused by the channel's limits"));
      m.add(counter(CHANNEL_REFUSALS, tags.and("cause", "publisher_limit"), s,
          ChannelCounters::publishersRefused, null, "Viewers and publishers refused by the channel's limits"));
      ToLongFunction<ChannelCounters> count = ChannelCounters::latencyCount;
      ToLongFunction<ChannelCounters> total = ChannelCounters::latencyTotalNanos;
      s.track(count);
      s.track(total);
      m.add(FunctionTimer.builder(LATENCY, s, x -> x.sum(count), x -> x.sum(total), TimeUnit.NANOSECONDS)
          .tags(tags).description("Publish-to-delivery latency").register(registry));
      m.add(TimeGauge.builder(LATENCY_MAX, s, TimeUnit.NANOSECONDS, Source::maxLatencyNanos).tags(tags)
          .description("The largest publish-to-delivery latency").strongReference(true).register(registry));
      if (percentiles) {
        Single single = (Single) s;
        for (double p : PERCENTILES) {
          m.add(TimeGauge.builder(LATENCY_PERCENTILE, single, TimeUnit.NANOSECONDS,
                  x -> x.counters.latencyQuantileNanos(p))
              .tags(tags.and("percentile", Double.toString(p)))
              .description("Publish-to-delivery latency percentiles (log-scale histogram, about 9 %)")
              .strongReference(true).register(registry));
        }
      }
      return m;
    }

    private Meter counter(String name, Tags tags, Source s, ToLongFunction<ChannelCounters> f, String unit,
        String description) {
      s.track(f);
      return FunctionCounter.builder(name, s, x -> x.sum(f)).tags(tags).baseUnit(unit).description(description)
          .register(registry);
    }
  }

  private static double online(Channel c) {
    return c.state().orElse(ChannelState.OFFLINE) == ChannelState.ONLINE ? 1 : 0;
  }

  private static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  /** One tagged channel. */
  private static final class Single implements Source {
    final Channel channel;
    final ChannelCounters counters;

    Single(Channel channel, ChannelCounters counters) {
      this.channel = channel;
      this.counters = counters;
    }

    @Override
    public long sum(ToLongFunction<ChannelCounters> counter) {
      return counter.applyAsLong(counters);
    }

    @Override
    public double gauge(ToDoubleFunction<Channel> value) {
      return value.applyAsDouble(channel);
    }

    @Override
    public long maxLatencyNanos() {
      return counters.latencyMaxNanos();
    }
  }

  /**
   * The channels beyond the cap, added up: live channels plus what closed ones counted (so counters never
   * go backwards). Guarded by the binding's monitor for changes; read under its own monitor.
   */
  private static final class Other implements Source {
    final Map<Channel, ChannelCounters> live = new IdentityHashMap<>();
    // What closed channels counted, per counter function (the functions are the binder's own, few and fixed).
    private final Map<ToLongFunction<ChannelCounters>, Long> retired = new IdentityHashMap<>();
    private long retiredMaxLatency;

    @Override
    public synchronized void track(ToLongFunction<ChannelCounters> counter) {
      retired.putIfAbsent(counter, 0L);
    }

    @Override
    public synchronized long sum(ToLongFunction<ChannelCounters> counter) {
      long total = retired.getOrDefault(counter, 0L);
      for (ChannelCounters c : live.values()) {
        total += counter.applyAsLong(c);
      }
      return total;
    }

    @Override
    public synchronized double gauge(ToDoubleFunction<Channel> value) {
      double total = 0;
      for (Channel c : live.keySet()) {
        total += value.applyAsDouble(c);
      }
      return total;
    }

    @Override
    public synchronized long maxLatencyNanos() {
      long max = retiredMaxLatency;
      for (ChannelCounters c : live.values()) {
        max = Math.max(max, c.latencyMaxNanos());
      }
      return max;
    }

    synchronized void retire(ChannelCounters closed) {
      for (Map.Entry<ToLongFunction<ChannelCounters>, Long> e : retired.entrySet()) {
        e.setValue(e.getValue() + e.getKey().applyAsLong(closed));
      }
      retiredMaxLatency = Math.max(retiredMaxLatency, closed.latencyMaxNanos());
    }
  }

  /**
   * Builds {@link FrameStreamMetrics}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe; use from one thread.
   *
   * @since 0.4.0
   */
  public static final class Builder {
    private final ChannelRegistry channels;
    private AccessGate gate;
    private int maxTaggedChannels = DEFAULT_MAX_TAGGED_CHANNELS;
    private Tags tags = Tags.empty();

    private Builder(ChannelRegistry channels) {
      this.channels = Objects.requireNonNull(channels, "channels");
    }

    /**
     * Adds the refusal counters of an access gate ({@value #REFUSALS}, by cause). For the embedded server,
     * its one gate is {@code server.webSocket().accessGate()}.
     *
     * @param accessGate the gate whose {@link AccessGate#refusals()} are measured
     * @return this builder
     * @throws NullPointerException if {@code accessGate} is {@code null}
     */
    public Builder accessGate(AccessGate accessGate) {
      this.gate = Objects.requireNonNull(accessGate, "accessGate");
      return this;
    }

    /**
     * Sets how many channels get their own {@code channel} tag at once (default {@value
     * #DEFAULT_MAX_TAGGED_CHANNELS}); channels beyond it are added up under {@code channel="_other"}.
     *
     * @param n 0 (every channel under {@code _other}) to 100,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxTaggedChannels(int n) {
      if (n < 0 || n > 100_000) {
        throw new IllegalArgumentException("maxTaggedChannels must be 0..100000, got " + n);
      }
      this.maxTaggedChannels = n;
      return this;
    }

    /**
     * Adds tags to every meter (for example the node's name in a cluster).
     *
     * @param extra the tags
     * @return this builder
     * @throws NullPointerException if {@code extra} is {@code null}
     */
    public Builder tags(Iterable<Tag> extra) {
      this.tags = this.tags.and(Objects.requireNonNull(extra, "tags"));
      return this;
    }

    /**
     * Builds the binder; nothing is registered until {@link FrameStreamMetrics#bindTo(MeterRegistry)}.
     *
     * @return the binder
     */
    public FrameStreamMetrics build() {
      return new FrameStreamMetrics(this);
    }
  }
}
