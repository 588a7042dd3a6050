package io.framestream.cluster.nats;

import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.RegistryListener;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.KeyValueOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.ServerInfo;
import io.nats.client.api.StorageType;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * Shares the channels of a local {@link ChannelRegistry} with other framestream nodes through NATS, so
 * that a publisher on one node reaches viewers on every node.
 *
 * <p>How it works:
 *
 * <ul>
 *   <li><b>Out.</b> While a channel has a local publisher (a WebSocket or HTTP publisher, a source, or any
 *       {@link Channel#openPublisher(String)}), the bridge subscribes to it as a <em>relay</em> and sends
 *       each frame to the subject {@code <prefix>.ch.<channel>}, its metadata in NATS headers ({@code
 *       Fs-Stream}, {@code Fs-Seq}, {@code Fs-Kind}, {@code Fs-Type}, {@code Fs-Capture}, …). Frames larger
 *       than the server's {@code max_payload} are split into chunks and put together again on the other
 *       side. The relay subscription has the channel's mailbox rules, so when NATS cannot take frames as
 *       fast as they come the bridge sends the newest frame (or waits for the next key frame of a video),
 *       never a backlog. The stream's {@code online}/{@code offline} status and a heartbeat go to the same
 *       subject.
 *   <li><b>In.</b> While a channel has local viewers and no local publisher, the bridge subscribes to its
 *       subject (interest based: no viewers, no traffic) and publishes what arrives into the local channel
 *       through a publisher of its own, so the local mailbox rules apply unchanged. A delta that arrives
 *       after a gap waits for the next key frame; images that queue up behind newer ones are skipped.
 *   <li><b>Late joiners.</b> Each channel's {@code INIT} frame, newest key frame (at most one write per
 *       {@link Builder#keyStoreInterval(Duration) keyStoreInterval}) and status are kept in a JetStream
 *       key-value bucket, so the first viewer on another node gets a picture at once.
 *   <li><b>Node loss.</b> A node that stops hearing a stream's heartbeat for {@link
 *       Builder#offlineAfter(Duration) offlineAfter} closes its publisher, so viewers get {@code offline}
 *       there too; the newest frame stays. NATS outages are ridden out by the client's reconnect; frames are
 *       not buffered while disconnected.
 * </ul>
 *
 * <p>One publisher per channel across the cluster is expected. While a node imports a channel its own
 * publisher slot is taken, so with the default {@code maxPublishers} of 1 a second publisher on that node
 * is refused; two publishers on nodes that both have no viewers are not detected, and the importing nodes
 * then follow whichever stream they heard first until it goes quiet.
 *
 * <p>Frames that came from NATS carry an {@link Frame#origin() origin} and are never sent back.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #start()} and {@link #close()} may be called from any thread; the bridge does its
 * work on two threads of its own ({@code framestream-nats-<node>} and {@code framestream-nats-kv-<node>})
 * and on the NATS client's dispatcher threads, and never blocks the registry's threads.
 *
 * @since 0.1.0
 */
public final class NatsBridge implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(NatsBridge.class.getName());
  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
  private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");
  private static final int HEADROOM = 8 * 1024; // for headers, below the server's max_payload

  final ChannelRegistry registry;
  final String nodeId;
  final String subjectPrefix;
  final String bucketName;
  final long heartbeatNanos;
  final long offlineNanos;
  final long keyStoreNanos;
  final long maxOutgoingBytes;
  final long inboundPendingBytes;
  final int maxFrameBytes;
  final long bucketMaxBytes;
  private final Connection givenConnection;
  private final List<String> servers;

  volatile Connection connection;
  private volatile io.nats.client.Dispatcher wants;
  private volatile KeyValue kv;
  private volatile boolean started;
  /** Bytes handed to the client for sending, on the scale of its out-bytes counter (see backlog()). */
  private final java.util.concurrent.atomic.AtomicLong queuedBytes = new java.util.concurrent.atomic.AtomicLong();
  private volatile boolean closed;
  private volatile boolean kvClosed; // set after the last key-value writes on close
  private long lastReconnects; // bridge thread only
  private volatile boolean bucketTaskPending;
  private volatile long lastBucketAttempt = System.nanoTime();
  private volatile boolean bucketWarned;
  private static final long BUCKET_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);

  final ScheduledExecutorService exec;
  private final ScheduledExecutorService kvExec;
  private final Map<String, Link> links = new ConcurrentHashMap<>();
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  private final Set<String> wanted = ConcurrentHashMap.newKeySet();
  private final RegistryListener listener = new RegistryListener() {
    @Override
    public void channelOpened(Channel channel) {
      touch(channel.name());
    }

    @Override
    public void channelClosed(Channel channel) {
      touch(channel.name());
    }

    @Override
    public void viewersChanged(Channel channel) {
      touch(channel.name());
    }

    @Override
    public void publishersChanged(Channel channel) {
      touch(channel.name());
    }
  };

  // Key-value writes waiting for the writer thread: the newest value per key wins.
  private final Object kvLock = new Object();
  private final LinkedHashMap<String, KvWrite> kvPending = new LinkedHashMap<>();
  private boolean kvDrainScheduled;

  final LongAdder framesOut = new LongAdder();
  final LongAdder bytesOut = new LongAdder();
  final LongAdder framesIn = new LongAdder();
  final LongAdder bytesIn = new LongAdder();
  final LongAdder framesDropped = new LongAdder();
  final LongAdder badMessages = new LongAdder();
  private final LongAdder kvWrites = new LongAdder();
  final LongAdder kvFailures = new LongAdder();

  private NatsBridge(Builder b) {
    this.registry = b.registry;
    this.nodeId = b.nodeId != null ? b.nodeId : randomNodeId();
    this.subjectPrefix = b.subjectPrefix;
    this.bucketName = b.bucket;
    this.heartbeatNanos = b.heartbeatInterval.toNanos();
    this.offlineNanos = b.offlineAfter.toNanos();
    this.keyStoreNanos = b.keyStoreInterval.toNanos();
    this.maxOutgoingBytes = b.maxOutgoingBytes;
    this.inboundPendingBytes = b.inboundPendingBytes;
    this.maxFrameBytes = b.maxFrameBytes;
    this.bucketMaxBytes = b.bucketMaxBytes;
    this.givenConnection = b.connection;
    this.servers = List.copyOf(b.servers);
    this.exec = Executors.newSingleThreadScheduledExecutor(daemon("framestream-nats-" + nodeId));
    this.kvExec = Executors.newSingleThreadScheduledExecutor(daemon("framestream-nats-kv-" + nodeId));
  }

  /**
   * Starts a builder for a bridge of the given registry.
   *
   * @param registry the local channels to share
   * @return a new builder
   */
  public static Builder builder(ChannelRegistry registry) {
    return new Builder(registry);
  }

  /**
   * Connects (when the bridge owns its connection), prepares the key-value bucket, and starts following
   * the registry's channels. Channels that exist already are picked up at once.
   *
   * @return this bridge
   * @throws IOException if the NATS servers cannot be reached
   * @throws IllegalStateException if already started or closed
   */
  public NatsBridge start() throws IOException {
    synchronized (this) {
      if (started || closed) {
        throw new IllegalStateException(closed ? "bridge is closed" : "bridge already started");
      }
      started = true;
    }
    if (givenConnection != null) {
      connection = givenConnection;
    } else {
      connection = connect();
    }
    lastReconnects = connection.getStatistics().getReconnects();
    runOnKv(this::prepareBucket);
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("bridge closed while starting");
      }
      wants = connection.createDispatcher(this::onWant);
      wants.subscribe(subjectPrefix + ".want.*");
      registry.addListener(listener);
    }
    for (Channel ch : registry.channels()) {
      touch(ch.name());
    }
    exec.scheduleWithFixedDelay(() -> runSafely(this::tick), heartbeatNanos, heartbeatNanos,
        TimeUnit.NANOSECONDS);
    LOG.log(System.Logger.Level.INFO, "NATS bridge of node {0} started on {1} (subjects {2}.ch.*, bucket {3})",
        nodeId, connection.getConnectedUrl(), subjectPrefix, bucketName);
    return this;
  }

  private Connection connect() throws IOException {
    Options options = new Options.Builder()
        .servers(servers.toArray(new String[0]))
        .connectionName("framestream " + nodeId)
        .maxReconnects(-1)
        .reconnectWait(Duration.ofMillis(500))
        .reconnectJitter(Duration.ofMillis(250))
        .connectionTimeout(Duration.ofSeconds(5))
        .pingInterval(Duration.ofSeconds(5))
        .reconnectBufferSize(1024 * 1024)
        .maxMessagesInOutgoingQueue(100_000)
        .discardMessagesWhenOutgoingQueueFull()
        .errorListener(new QuietErrors())
        .connectionListener((conn, event) ->
            LOG.log(System.Logger.Level.INFO, "NATS connection of node {0}: {1}", nodeId, event))
        .build();
    try {
      return Nats.connect(options);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while connecting to NATS at " + servers, e);
    } catch (IOException e) {
      throw new IOException("cannot connect to NATS at " + servers + ": " + e.getMessage(), e);
    }
  }

  /**
   * Returns this node's id, which names its streams on the wire.
   *
   * @return the node id
   */
  public String nodeId() {
    return nodeId;
  }

  /**
   * Tells whether the NATS connection is up.
   *
   * @return {@code true} while connected
   */
  public boolean isConnected() {
    Connection c = connection;
    return c != null && c.getStatus() == Connection.Status.CONNECTED;
  }

  /**
   * Returns a snapshot of the counters.
   *
   * @return the statistics
   */
  public NatsBridgeStats stats() {
    int exported = 0;
    int imported = 0;
    for (Link l : links.values()) {
      if (l.exporting()) {
        exported++;
      }
      if (l.importing()) {
        imported++;
      }
    }
    Connection c = connection;
    return new NatsBridgeStats(nodeId, isConnected(), exported, imported, framesOut.sum(), bytesOut.sum(),
        framesIn.sum(), bytesIn.sum(), framesDropped.sum(), badMessages.sum(), kvWrites.sum(),
        kvFailures.sum(), c == null ? 0 : c.getStatistics().getReconnects(), c == null ? 0 : backlog());
  }

  /**
   * Stops sharing: local publishers' channels are announced {@code offline} to the other nodes, imported
   * channels go {@code offline} here, and the connection is closed if the bridge opened it. Bounded (a few
   * seconds at most) and idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    registry.removeListener(listener);
    if (wants != null) {
      try {
        connection.closeDispatcher(wants);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "closing the want dispatcher failed", e);
      }
    }
    if (connection != null) {
      runOnBridge(() -> {
        for (Link l : links.values()) {
          l.shutdown(true);
        }
        links.clear();
      });
      runOnKv(this::drainKv);
    }
    kvClosed = true;
    exec.shutdownNow();
    kvExec.shutdownNow();
    awaitQuietly(exec);
    awaitQuietly(kvExec);
    Connection c = connection;
    if (c != null) {
      try {
        if (c.getStatus() == Connection.Status.CONNECTED) {
          c.flush(Duration.ofSeconds(1));
        }
      } catch (TimeoutException | RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "flush on close failed", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (givenConnection == null) {
        try {
          c.close();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  // ---------------------------------------------------------------- following the registry

  /** Asks the bridge thread to look at a channel again; coalesced per name. */
  void touch(String name) {
    if (!closed && dirty.add(name)) {
      try {
        exec.execute(() -> {
          dirty.remove(name);
          runSafely(() -> reconcile(name));
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        dirty.remove(name); // closing
      }
    }
  }

  /** Bridge thread: brings one channel's export and import in line with its publishers and viewers. */
  private void reconcile(String name) {
    if (closed) {
      return;
    }
    Channel ch = registry.find(name).orElse(null);
    Link link = links.get(name);
    if (link != null && (ch == null || link.channel != ch)) {
      link.shutdown(false);
      links.remove(name, link);
      link = null;
    }
    if (ch == null) {
      return;
    }
    boolean injectingBefore = link != null && link.injecting();
    int publishers = ch.publisherCount();
    boolean injecting = link != null && link.injecting();
    if (injecting != injectingBefore) {
      touch(name); // an import opened or closed its publisher meanwhile: look again
      return;
    }
    int remoteInterest = link != null && link.servingRemoteInterest() ? 1 : 0;
    boolean localPublisher = publishers - (injecting ? 1 : 0) > 0;
    // A subscription held for other nodes' viewers never makes this node import (that would keep two
    // nodes wanting each other's channel forever).
    boolean wantImport = !localPublisher && ch.subscriberCount() - remoteInterest > 0;
    if (link == null) {
      if (!localPublisher && !wantImport) {
        return;
      }
      link = new Link(this, ch);
      links.put(name, link);
    }
    link.apply(localPublisher, wantImport);
  }

  /** Bridge thread, every heartbeat: heartbeats, offline watchdogs, reconnect handling, a full sweep. */
  private void tick() {
    Connection c = connection;
    boolean up = c.getStatus() == Connection.Status.CONNECTED;
    long reconnects = c.getStatistics().getReconnects();
    boolean retryBucket = kv == null && System.nanoTime() - lastBucketAttempt > BUCKET_RETRY_NANOS;
    if (up && (reconnects != lastReconnects || retryBucket) && !bucketTaskPending) {
      boolean wasReconnect = reconnects != lastReconnects;
      lastReconnects = reconnects;
      if (wasReconnect) {
        queuedBytes.set(c.getStatistics().getOutBytes()); // what was queued before went or was dropped
      }
      bucketTaskPending = true;
      runOnKvLater(() -> {
        try {
          prepareBucket();
          if (wasReconnect) {
            for (Link l : links.values()) {
              l.afterReconnect();
            }
          }
        } finally {
          bucketTaskPending = false;
        }
      });
    }
    long now = System.nanoTime();
    for (Link l : links.values()) {
      l.tick(now, up);
    }
    for (Channel ch : registry.channels()) {
      reconcile(ch.name());
    }
    for (String name : links.keySet()) {
      reconcile(name);
    }
  }

  // ---------------------------------------------------------------- remote interest

  /**
   * NATS dispatcher thread: another node has viewers of a channel. If the channel exists here, the bridge
   * holds a viewer subscription on it for a while, so that an attached source runs (sources run while a
   * channel is watched) and its frames reach the other node.
   */
  private void onWant(io.nats.client.Message msg) {
    String token = msg.getSubject().substring(msg.getSubject().lastIndexOf('.') + 1);
    String name = Wire.channelOf(token);
    io.nats.client.impl.Headers h = msg.getHeaders();
    String node = h == null ? null : h.getFirst(Wire.NODE);
    if (name == null || node == null) {
      badMessages.increment();
      return;
    }
    if (node.equals(nodeId) || closed || !wanted.add(name)) {
      return; // a look at this channel is already queued
    }
    try {
      exec.execute(() -> runSafely(() -> {
        wanted.remove(name);
        Channel ch = registry.find(name).orElse(null);
        if (ch == null) {
          return; // wants never create channels
        }
        Link link = links.computeIfAbsent(name, n -> new Link(this, ch));
        if (link.channel == ch) {
          link.remoteInterest(System.nanoTime());
        }
      }));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  /** Bridge thread: tells the other nodes that this node has viewers of a channel. */
  void sendWant(String channel) {
    Headers h = new Headers();
    h.put(Wire.NODE, nodeId);
    connection.publish(subjectPrefix + ".want." + Wire.token(channel), h, new byte[0]);
  }

  // ---------------------------------------------------------------- NATS helpers used by the links

  /**
   * Estimates how many bytes wait in the client to be written. The client's own count ({@code
   * outgoingPendingBytes()}) takes the writer's lock, which a writer stuck on a stalled socket holds, so
   * it cannot be asked from a delivery thread. Instead the bridge counts what it hands over and compares it
   * with the client's lock-free out-bytes counter, which grows as the writer takes messages. Other traffic
   * only makes the estimate lower, and it is clamped at zero.
   */
  long backlog() {
    long flushed = connection.getStatistics().getOutBytes();
    long queued = queuedBytes.get();
    if (queued < flushed) {
      queuedBytes.compareAndSet(queued, flushed);
      return 0;
    }
    return queued - flushed;
  }

  String subject(String channel) {
    return subjectPrefix + ".ch." + Wire.token(channel);
  }

  /** The largest payload per message: the server's max_payload less room for headers. */
  int chunkSize() {
    ServerInfo info = connection.getServerInfo();
    long max = info != null && info.getMaxPayload() > 0 ? info.getMaxPayload() : 1024 * 1024;
    return (int) Math.max(16 * 1024, Math.min(Integer.MAX_VALUE, max - HEADROOM));
  }

  /** Sends fields (and a payload, split into chunks when too large) to a subject. */
  void send(String subject, Map<String, String> fields, byte[] payload) {
    int chunk = chunkSize();
    int count = payload.length <= chunk ? 1 : (payload.length + chunk - 1) / chunk;
    for (int i = 0; i < count; i++) {
      Headers h = new Headers();
      for (Map.Entry<String, String> e : fields.entrySet()) {
        h.put(e.getKey(), e.getValue());
      }
      byte[] part;
      if (count == 1) {
        part = payload;
      } else {
        h.put(Wire.CHUNK, i + "/" + count);
        int from = i * chunk;
        part = java.util.Arrays.copyOfRange(payload, from, Math.min(payload.length, from + chunk));
      }
      connection.publish(subject, h, part);
      // A lower bound of what the client will count (it adds the HPUB line and line ends): counting
      // more than it does would make the estimate creep up for good.
      queuedBytes.addAndGet(part.length + (long) h.serializedLength());
    }
  }

  static Map<String, String> fieldsOf(Headers h) {
    Map<String, String> m = new LinkedHashMap<>();
    if (h != null) {
      for (String k : h.keySet()) {
        m.put(k, h.getFirst(k));
      }
    }
    return m;
  }

  // ---------------------------------------------------------------- key-value bucket

  /** A pending write: fields, and a frame whose payload goes with them (null for a status). */
  record KvWrite(Map<String, String> fields, Frame frame) {}

  /** Queues a write; the newest value per key wins. Urgent writes go at once, others after the interval. */
  void kvPut(String key, KvWrite write, boolean urgent) {
    if (kvClosed) {
      return;
    }
    synchronized (kvLock) {
      kvPending.remove(key);
      kvPending.put(key, write);
      if (kvDrainScheduled && !urgent) {
        return;
      }
      kvDrainScheduled = true;
    }
    try {
      kvExec.schedule(() -> runSafely(this::drainKv), urgent ? 0 : keyStoreNanos, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private void drainKv() {
    Map<String, KvWrite> batch;
    synchronized (kvLock) {
      batch = new LinkedHashMap<>(kvPending);
      kvPending.clear();
      kvDrainScheduled = false;
    }
    KeyValue bucket = kv;
    if (bucket == null || batch.isEmpty()) {
      return;
    }
    for (Map.Entry<String, KvWrite> e : batch.entrySet()) {
      try {
        writeEntry(bucket, e.getKey(), e.getValue());
        kvWrites.increment();
      } catch (IOException | JetStreamApiException | RuntimeException ex) {
        kvFailures.increment();
        LOG.log(System.Logger.Level.DEBUG, "key-value write of " + e.getKey() + " failed", ex);
      }
    }
  }

  /** Writes one entry; a frame too large for one value is split: chunks 1..n-1 first, the head last. */
  private void writeEntry(KeyValue bucket, String key, KvWrite w) throws IOException, JetStreamApiException {
    if (w.frame() == null) {
      bucket.put(key, Wire.envelope(w.fields(), new byte[0], 0, 0));
      return;
    }
    byte[] payload = w.frame().copyPayload();
    int chunk = chunkSize() - 1024;
    int count = payload.length <= chunk ? 1 : (payload.length + chunk - 1) / chunk;
    for (int i = count - 1; i >= 0; i--) {
      Map<String, String> f = new LinkedHashMap<>(w.fields());
      f.put(Wire.CHUNK, i + "/" + count);
      int from = i * chunk;
      int len = Math.min(payload.length, from + chunk) - from;
      bucket.put(i == 0 ? key : key + "." + i, Wire.envelope(f, payload, from, len));
    }
  }

  /** Reads an entry, or null if absent; a chunked frame is put back together. */
  Wire.Entry kvGet(String key) throws IOException, JetStreamApiException, Wire.WireException {
    KeyValue bucket = kv;
    if (bucket == null) {
      return null;
    }
    KeyValueEntry head = bucket.get(key);
    if (head == null || head.getValue() == null || head.getValue().length == 0) {
      return null;
    }
    Wire.Entry first = Wire.unwrap(head.getValue());
    Wire.Meta meta = Wire.parse(first.fields());
    if (meta.chunkCount() <= 1) {
      return first;
    }
    if ((long) meta.chunkCount() * chunkSize() > (long) maxFrameBytes * 2) {
      throw new Wire.WireException("entry " + key + " has too many chunks");
    }
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    all.writeBytes(first.payload());
    for (int i = 1; i < meta.chunkCount(); i++) {
      KeyValueEntry part = bucket.get(key + "." + i);
      if (part == null || part.getValue() == null) {
        return null; // being rewritten: treat as absent
      }
      Wire.Entry e = Wire.unwrap(part.getValue());
      Wire.Meta m = Wire.parse(e.fields());
      if (m.seq() != meta.seq() || !m.stream().equals(meta.stream()) || m.chunkIndex() != i) {
        return null; // a newer frame is half written
      }
      all.writeBytes(e.payload());
      if (all.size() > maxFrameBytes) {
        throw new Wire.WireException("entry " + key + " larger than " + maxFrameBytes + " bytes");
      }
    }
    return new Wire.Entry(first.fields(), all.toByteArray());
  }

  String kvKey(String channel, String what) {
    return Wire.token(channel) + "." + what;
  }

  /** Binds (creating if needed) the key-value bucket; without JetStream the bridge runs live-only. */
  private void prepareBucket() {
    Connection c = connection;
    if (c.getStatus() != Connection.Status.CONNECTED) {
      return;
    }
    try {
      KeyValueOptions kvo = KeyValueOptions.builder().jetStreamOptions(
          io.nats.client.JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(2)).build()).build();
      KeyValueManagement kvm = c.keyValueManagement(kvo);
      try {
        kvm.getStatus(bucketName);
      } catch (JetStreamApiException missing) {
        kvm.create(KeyValueConfiguration.builder()
            .name(bucketName)
            .description("framestream: INIT, newest key frame and status per channel")
            .maxHistoryPerKey(1)
            .storageType(StorageType.Memory)
            .maxBucketSize(bucketMaxBytes)
            .build());
      }
      kv = c.keyValue(bucketName, kvo);
      if (bucketWarned) {
        bucketWarned = false;
        LOG.log(System.Logger.Level.INFO, "NATS key-value bucket {0} is available", bucketName);
      }
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      kvFailures.increment();
      kv = null;
      lastBucketAttempt = System.nanoTime();
      LOG.log(bucketWarned ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
          "NATS key-value bucket {0} unavailable ({1}): is JetStream on (nats-server -js)? Until it is, late "
          + "joiners on other nodes wait for the next live key frame; retrying every 10 s", bucketName,
          e.toString());
      bucketWarned = true;
    }
  }

  // ---------------------------------------------------------------- plumbing

  /** Runs a task on the key-value thread and waits for it (bounded); for start and close. */
  private void runOnKv(Runnable task) {
    try {
      kvExec.submit(() -> runSafely(task)).get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | TimeoutException
        | java.util.concurrent.RejectedExecutionException e) {
      LOG.log(System.Logger.Level.WARNING, "NATS bridge key-value task did not finish", e);
    }
  }

  /** Queues blocking key-value work (bucket reads and set-up) on the key-value thread. */
  void runOnKvLater(Runnable task) {
    try {
      kvExec.execute(() -> runSafely(task));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  /** Runs a task on the bridge thread and waits for it (bounded); for start and close. */
  private void runOnBridge(Runnable task) {
    try {
      exec.submit(() -> runSafely(task)).get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | TimeoutException
        | java.util.concurrent.RejectedExecutionException e) {
      LOG.log(System.Logger.Level.WARNING, "NATS bridge task did not finish", e);
    }
  }

  static void runSafely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "NATS bridge task failed", e);
    }
  }

  private static void awaitQuietly(ExecutorService e) {
    try {
      if (!e.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "NATS bridge thread did not stop within 5 s");
      }
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  static String randomNodeId() {
    return "node-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFL);
  }

  static String randomEpoch() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFFFL);
  }

  @Override
  public String toString() {
    return "NatsBridge[" + nodeId + (closed ? ", closed" : "") + "]";
  }

  /** Logs the client's asynchronous errors (slow consumer and the like) quietly instead of to stderr. */
  private final class QuietErrors implements ErrorListener {
    @Override
    public void errorOccurred(Connection conn, String error) {
      LOG.log(System.Logger.Level.DEBUG, "NATS error on node {0}: {1}", nodeId, error);
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
      LOG.log(System.Logger.Level.DEBUG, "NATS exception on node " + nodeId, exp);
    }

    @Override
    public void slowConsumerDetected(Connection conn, io.nats.client.Consumer consumer) {
      LOG.log(System.Logger.Level.DEBUG, "NATS slow consumer on node {0}: frames dropped", nodeId);
    }
  }

  /**
   * Builds a {@link NatsBridge}. Give either {@link #servers(String...)} (the bridge opens and owns its
   * connection, with reconnect forever) or {@link #connection(Connection)} (yours, left open on close).
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe: use a builder from one thread.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private final ChannelRegistry registry;
    private final List<String> servers = new ArrayList<>();
    private Connection connection;
    private String nodeId;
    private String subjectPrefix = "framestream";
    private String bucket = "framestream";
    private Duration heartbeatInterval = Duration.ofSeconds(1);
    private Duration offlineAfter = Duration.ofSeconds(4);
    private Duration keyStoreInterval = Duration.ofMillis(250);
    private long maxOutgoingBytes = 8L * 1024 * 1024;
    private long inboundPendingBytes = 32L * 1024 * 1024;
    private int maxFrameBytes = 8 * 1024 * 1024;
    private long bucketMaxBytes = 256L * 1024 * 1024;

    private Builder(ChannelRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /**
     * NATS server URLs such as {@code nats://127.0.0.1:4222}; the bridge connects on {@link #start()}.
     *
     * @param urls one or more URLs
     * @return this builder
     * @throws IllegalArgumentException if none is given or one is blank
     */
    public Builder servers(String... urls) {
      if (urls.length == 0) {
        throw new IllegalArgumentException("give at least one NATS server URL");
      }
      for (String u : urls) {
        if (u == null || u.isBlank()) {
          throw new IllegalArgumentException("blank NATS server URL");
        }
        servers.add(u.trim());
      }
      return this;
    }

    /**
     * An existing connection to use instead of opening one. The bridge never closes it. Configure it to
     * reconnect and to discard rather than block when its outgoing queue is full; do not turn on {@code
     * useDispatcherWithExecutor()}, which hands each message to the executor on its own and so loses their
     * order (jnats 2.26).
     *
     * @param conn the connection
     * @return this builder
     */
    public Builder connection(Connection conn) {
      this.connection = Objects.requireNonNull(conn, "connection");
      return this;
    }

    /**
     * This node's id, unique in the cluster; default {@code node-} and random hex.
     *
     * @param id 1 to 32 characters of {@code A-Z a-z 0-9 _ -}
     * @return this builder
     */
    public Builder nodeId(String id) {
      if (id == null || !NODE_ID.matcher(id).matches()) {
        throw new IllegalArgumentException("nodeId must be 1..32 of A-Z a-z 0-9 _ -, got " + id);
      }
      this.nodeId = id;
      return this;
    }

    /**
     * The subject prefix; frames go to {@code <prefix>.ch.<channel>}. Default {@code framestream}. Nodes
     * share channels only when they use the same prefix and bucket.
     *
     * @param prefix dot-separated tokens of {@code A-Z a-z 0-9 _ -}
     * @return this builder
     */
    public Builder subjectPrefix(String prefix) {
      if (prefix == null || !PREFIX.matcher(prefix).matches()) {
        throw new IllegalArgumentException("bad subject prefix: " + prefix);
      }
      this.subjectPrefix = prefix;
      return this;
    }

    /**
     * The JetStream key-value bucket for late-joiner state; default {@code framestream}. Created in memory
     * storage with one value per key if missing.
     *
     * @param name a bucket name ({@code A-Z a-z 0-9 _ -})
     * @return this builder
     */
    public Builder bucket(String name) {
      if (name == null || !BUCKET.matcher(name).matches()) {
        throw new IllegalArgumentException("bad bucket name: " + name);
      }
      this.bucket = name;
      return this;
    }

    /**
     * How often a publishing node says a stream is still online; default 1 s.
     *
     * @param interval positive
     * @return this builder
     */
    public Builder heartbeatInterval(Duration interval) {
      this.heartbeatInterval = positive(interval, "heartbeatInterval");
      return this;
    }

    /**
     * After how long without a frame or heartbeat a stream counts as offline (its publisher's node died or
     * lost NATS); default 4 s. Must be larger than the heartbeat interval.
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder offlineAfter(Duration timeout) {
      this.offlineAfter = positive(timeout, "offlineAfter");
      return this;
    }

    /**
     * The shortest time between two key-frame writes of one channel to the bucket (the newest frame is
     * written at the end of the interval); INIT frames and status are written at once. Default 250 ms.
     *
     * @param interval zero (every key frame) or positive
     * @return this builder
     */
    public Builder keyStoreInterval(Duration interval) {
      Objects.requireNonNull(interval, "keyStoreInterval");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("keyStoreInterval must not be negative");
      }
      this.keyStoreInterval = interval;
      return this;
    }

    /**
     * How many bytes may wait in the NATS client's outgoing buffer before the bridge stops taking frames
     * from a channel (its relay mailbox then keeps only the newest); default 8 MiB.
     *
     * @param bytes at least 64 KiB
     * @return this builder
     */
    public Builder maxOutgoingBytes(long bytes) {
      this.maxOutgoingBytes = atLeast(bytes, 64 * 1024, "maxOutgoingBytes");
      return this;
    }

    /**
     * How many bytes of one imported channel may wait in the NATS client before it drops messages (a node
     * too slow to keep up); default 32 MiB.
     *
     * @param bytes at least 64 KiB
     * @return this builder
     */
    public Builder inboundPendingBytes(long bytes) {
      this.inboundPendingBytes = atLeast(bytes, 64 * 1024, "inboundPendingBytes");
      return this;
    }

    /**
     * The largest frame put back together from chunks; default 8 MiB, the default frame limit.
     *
     * @param bytes at least 1 KiB
     * @return this builder
     */
    public Builder maxFrameBytes(int bytes) {
      this.maxFrameBytes = (int) atLeast(bytes, 1024, "maxFrameBytes");
      return this;
    }

    /**
     * The size limit of the key-value bucket when the bridge creates it; default 256 MiB.
     *
     * @param bytes at least 1 MiB
     * @return this builder
     */
    public Builder bucketMaxBytes(long bytes) {
      this.bucketMaxBytes = atLeast(bytes, 1024 * 1024, "bucketMaxBytes");
      return this;
    }

    /**
     * Builds the bridge; call {@link NatsBridge#start()} next.
     *
     * @return the bridge
     * @throws IllegalStateException if neither or both of servers and connection are set, or offlineAfter
     *     is not larger than heartbeatInterval
     */
    public NatsBridge build() {
      if (servers.isEmpty() == (connection == null)) {
        throw new IllegalStateException("set either servers(...) or connection(...)");
      }
      if (offlineAfter.compareTo(heartbeatInterval) <= 0) {
        throw new IllegalStateException("offlineAfter (" + offlineAfter + ") must be larger than "
            + "heartbeatInterval (" + heartbeatInterval + ")");
      }
      return new NatsBridge(this);
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }

    private static long atLeast(long v, long min, String what) {
      if (v < min) {
        throw new IllegalArgumentException(String.format(Locale.ROOT, "%s must be at least %d, got %d", what,
            min, v));
      }
      return v;
    }
  }
}
