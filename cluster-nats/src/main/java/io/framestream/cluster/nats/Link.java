package io.framestream.cluster.nats;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.ChannelState;
import io.framestream.core.CloseReason;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSink;
import io.framestream.core.LimitExceededException;
import io.framestream.core.Publisher;
import io.framestream.core.SendCallback;
import io.framestream.core.SubscriberOptions;
import io.framestream.core.Subscription;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the bridge does for one local channel: the exporter (local publisher → NATS) and the importer (NATS
 * → local viewers). A link lives as long as its channel instance and names that instance's stream on the
 * wire ({@code node/epoch}), so a channel closed and opened again is a new stream.
 *
 * <h2>Thread safety</h2>
 *
 * {@link #apply}, {@link #tick}, {@link #afterReconnect} and {@link #shutdown} run on the bridge thread.
 * The exporter's sink methods run on delivery threads (serially, by the sink contract); the importer's
 * message handler on a NATS dispatcher thread. Each of the two guards its mutable state with its own
 * monitor.
 */
final class Link {

  private static final System.Logger LOG = System.getLogger(Link.class.getName());
  /** An image frame is skipped when at least this much newer data waits behind it. */
  private static final long SUPERSEDED_BYTES = 4096;
  private static final int MAX_BUFFERED = 256;

  private final NatsBridge bridge;
  final Channel channel;
  private final String name;
  private final String subject;
  private final String stream;
  private volatile Exporter exporter; // written on the bridge thread, read by stats()
  private volatile Importer importer; // written on the bridge thread, read by stats()
  private Subscription interest; // bridge thread: held for other nodes' viewers
  private long lastWant; // bridge thread

  Link(NatsBridge bridge, Channel channel) {
    this.bridge = bridge;
    this.channel = channel;
    this.name = channel.name();
    this.subject = bridge.subject(name);
    this.stream = bridge.nodeId + "/" + NatsBridge.randomEpoch();
  }

  boolean exporting() {
    Exporter e = exporter;
    return e != null && !e.done;
  }

  boolean importing() {
    return importer != null;
  }

  /** Bridge thread. */
  boolean servingRemoteInterest() {
    return interest != null && !interest.isClosed();
  }

  /**
   * Bridge thread: another node wants this channel. Holds a viewer subscription (which discards what it
   * gets) until the wants stop for {@code offlineAfter}, so an on-demand source here runs for them.
   */
  void remoteInterest(long now) {
    lastWant = now;
    if (!servingRemoteInterest()) {
      try {
        interest = channel.subscribe((frame, done) -> done.completed());
      } catch (ChannelClosedException | LimitExceededException e) {
        interest = null;
      }
    }
  }

  boolean injecting() {
    Importer i = importer;
    return i != null && i.hasInjector();
  }

  /** Bridge thread: starts or stops exporting and importing. */
  void apply(boolean localPublisher, boolean wantImport) {
    // Not while the client still holds a backlog: a new relay would queue its late-joiner frames again.
    if (localPublisher && (exporter == null || exporter.done) && bridge.backlog() <= bridge.maxOutgoingBytes) {
      exporter = new Exporter();
      exporter.start();
    }
    if (wantImport && importer == null) {
      importer = new Importer();
      importer.start();
      if (bridge.isConnected()) {
        bridge.sendWant(name); // at once: a source on another node may have to start first
      }
    } else if (!wantImport && importer != null) {
      importer.close();
      importer = null;
    }
  }

  /** Bridge thread, each heartbeat. */
  void tick(long now, boolean connected) {
    Exporter e = exporter;
    if (e != null && connected && channel.state().orElse(null) == ChannelState.ONLINE) {
      e.heartbeat();
    }
    Importer i = importer;
    if (i != null) {
      i.watchdog(now);
      if (connected) {
        bridge.sendWant(name);
        if (i.missingPicture()) {
          i.loadLater(); // a key frame sent before our subscription reached the server is only there
        }
      }
    }
    if (interest != null && now - lastWant > bridge.offlineNanos) {
      interest.close();
      interest = null;
    }
  }

  /** Bridge thread: NATS came back (perhaps a restarted server that lost the bucket). */
  void afterReconnect() {
    Exporter e = exporter;
    if (e != null && !e.done) {
      e.restoreBucket();
    }
    Importer i = importer;
    if (i != null) {
      i.loadFromBucket();
    }
  }

  /** Bridge thread: ends both directions; on bridge close, tells the other nodes the stream is offline. */
  void shutdown(boolean announce) {
    Exporter e = exporter;
    if (e != null) {
      e.end(announce);
    }
    exporter = null;
    if (importer != null) {
      importer.close();
      importer = null;
    }
    if (interest != null) {
      interest.close();
      interest = null;
    }
  }

  // ---------------------------------------------------------------- out: local publisher → NATS

  /** A relay subscription on the channel that sends what the local publisher publishes. */
  private final class Exporter implements FrameSink {
    volatile boolean done;
    private volatile Subscription subscription;

    void start() {
      try {
        subscription = channel.subscribe(this, SubscriberOptions.RELAY);
      } catch (ChannelClosedException | LimitExceededException e) {
        done = true;
        return;
      }
      boolean endedAlready;
      synchronized (this) {
        endedAlready = done; // the publisher may have left while subscribing
        if (!endedAlready) {
          sendStatus(Wire.ONLINE, true);
        }
      }
      if (endedAlready) {
        subscription.close();
      }
    }

    /** Stops exporting; with {@code announce}, first tells the other nodes the stream is offline. */
    void end(boolean announce) {
      synchronized (this) {
        if (done) {
          return;
        }
        if (announce) {
          sendStatus(Wire.OFFLINE, true);
        }
        done = true;
      }
      if (subscription != null) {
        subscription.close();
      }
    }

    /** The periodic "still online"; never after the stream said offline (same lock as end). */
    synchronized void heartbeat() {
      if (!done) {
        sendStatus(Wire.ONLINE, false);
      }
    }

    /** Caller holds this, or the exporter is starting. */
    private void sendStatus(String status, boolean store) {
      Map<String, String> fields = Wire.statusFields(stream, status);
      if (bridge.isConnected()) {
        try {
          bridge.send(subject, fields, new byte[0]);
        } catch (RuntimeException ex) {
          LOG.log(System.Logger.Level.DEBUG, "status send failed", ex);
        }
      }
      if (store) {
        bridge.kvPut(bridge.kvKey(name, "state"), new NatsBridge.KvWrite(fields, null), true);
      }
    }

    /** Writes this channel's state, INIT and newest key frame again (after a reconnect). */
    synchronized void restoreBucket() {
      if (done) {
        return;
      }
      sendStatus(Wire.ONLINE, true);
      // Only this node's own frames: an imported one would be stored under this node's stream.
      channel.initFrame().filter(f -> f.origin().isEmpty()).ifPresent(f -> store("init", f, true));
      channel.latestKeyFrame().filter(f -> f.origin().isEmpty()).ifPresent(f -> store("key", f, true));
    }

    private void store(String what, Frame f, boolean urgent) {
      bridge.kvPut(bridge.kvKey(name, what), new NatsBridge.KvWrite(Wire.frameFields(stream, f), f), urgent);
    }

    @Override
    public void send(Frame frame, SendCallback callback) {
      if (done || frame.origin().isPresent()) {
        callback.completed(); // a frame that came from NATS is never sent back
        return;
      }
      if (!bridge.isConnected()) {
        bridge.framesDropped.increment(); // not buffered: stale by the time NATS is back
        callback.completed();
        return;
      }
      try {
        bridge.send(subject, Wire.frameFields(stream, frame), frame.copyPayload());
        bridge.framesOut.increment();
        bridge.bytesOut.add(frame.size());
      } catch (RuntimeException e) {
        bridge.framesDropped.increment();
        LOG.log(System.Logger.Level.DEBUG, "frame send failed", e);
      }
      if (frame.kind() == FrameKind.INIT) {
        store("init", frame, true);
      } else if (frame.kind() == FrameKind.KEY) {
        store("key", frame, false);
      }
      awaitRoom(callback);
    }

    /** Completes the send once the client's outgoing buffer is below the limit (or NATS is down). */
    private void awaitRoom(SendCallback callback) {
      Connection c = bridge.connection;
      if (done || c.getStatus() != Connection.Status.CONNECTED || bridge.backlog() <= bridge.maxOutgoingBytes) {
        callback.completed();
        return;
      }
      try {
        bridge.exec.schedule(() -> awaitRoom(callback), 2, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        callback.completed();
      }
    }

    @Override
    public void status(ChannelState state) {
      if (done) {
        return;
      }
      if (state == ChannelState.OFFLINE) {
        end(true);
        reconcileLater();
      } else {
        synchronized (this) {
          if (!done) {
            sendStatus(Wire.ONLINE, true);
          }
        }
      }
    }

    @Override
    public void closed(CloseReason reason) {
      end(reason.code() == CloseReason.Code.CHANNEL_CLOSED);
      reconcileLater();
    }

    private void reconcileLater() {
      bridge.touch(name);
    }
  }

  // ---------------------------------------------------------------- in: NATS → local viewers

  /** A live message that arrived before the import's first bucket read. */
  private record Waiting(Wire.Meta meta, byte[] data) {}

  /** A subscription to the channel's subject that publishes what arrives into the local channel. */
  private final class Importer {
    private Dispatcher dispatcher;
    // Guarded by this.
    private boolean closed;
    private boolean loaded; // the bucket has been read once; until then live frames wait in buffered
    private boolean loadQueued;
    private boolean codecStream; // the stream has INIT frames (video): a key frame needs this stream's INIT
    private final List<Waiting> buffered = new ArrayList<>();
    private long bufferedBytes;
    private String current; // the stream being followed, or null
    private String known; // the stream that lastSeq, sawInit and codecStream describe
    private long lastSeq;
    private boolean needKey = true;
    private boolean sawInit;
    private long lastHeard;
    private Publisher injector;
    // Chunks of one frame being put together.
    private Wire.Meta partialMeta;
    private ByteArrayOutputStream partial;
    private int nextChunk;

    void start() {
      Connection c = bridge.connection;
      dispatcher = c.createDispatcher(this::onMessage);
      dispatcher.setPendingLimits(100_000, bridge.inboundPendingBytes);
      dispatcher.subscribe(subject);
      loadLater();
    }

    /** Reads the bucket on the key-value thread (it blocks on JetStream); at most one read queued. */
    void loadLater() {
      synchronized (this) {
        if (loadQueued || closed) {
          return;
        }
        loadQueued = true;
      }
      bridge.runOnKvLater(() -> {
        synchronized (this) {
          loadQueued = false;
        }
        loadFromBucket();
      });
    }

    synchronized boolean hasInjector() {
      return injector != null;
    }

    /** True while a live stream is followed but no usable key frame has been put in yet. */
    synchronized boolean missingPicture() {
      return loaded && current != null && injector != null
          && (needKey || lastSeq == 0 || codecStream && !sawInit);
    }

    /** NATS dispatcher thread. */
    private void onMessage(Message msg) {
      Wire.Meta m;
      try {
        m = Wire.parse(NatsBridge.fieldsOf(msg.getHeaders()));
      } catch (Wire.WireException e) {
        bridge.badMessages.increment();
        LOG.log(System.Logger.Level.DEBUG, "bad message on {0}: {1}", subject, e.getMessage());
        return;
      }
      if (m.node().equals(bridge.nodeId)) {
        return;
      }
      byte[] data = msg.getData() == null ? new byte[0] : msg.getData();
      try {
        receive(m, data);
      } catch (RuntimeException e) {
        bridge.badMessages.increment(); // input the checks let through but the frame builder refused
        LOG.log(System.Logger.Level.DEBUG, "message on " + subject + " refused", e);
      }
    }

    private void receive(Wire.Meta m, byte[] data) {
      synchronized (this) {
        if (closed) {
          return;
        }
        if (!m.isStatus() && m.chunkCount() > 1) {
          data = addChunk(m, data);
          if (data == null) {
            return;
          }
        }
        if (!loaded) {
          if (buffered.size() >= MAX_BUFFERED || bufferedBytes + data.length > bridge.inboundPendingBytes) {
            bridge.framesDropped.add(buffered.size());
            buffered.clear();
            bufferedBytes = 0;
          }
          buffered.add(new Waiting(m, data));
          bufferedBytes += data.length;
          return;
        }
        deliver(m, data, dispatcher.getPendingByteCount());
      }
    }

    /** Caller holds this. Returns the whole payload once the last chunk is in, else null. */
    private byte[] addChunk(Wire.Meta m, byte[] data) {
      if (m.chunkIndex() == 0) {
        dropPartial(); // an unfinished frame before this one lost a chunk
        partialMeta = m;
        partial = new ByteArrayOutputStream((int) Math.min(bridge.maxFrameBytes, (long) data.length * m.chunkCount()));
        nextChunk = 0;
      } else if (partialMeta == null || partialMeta.seq() != m.seq() || !partialMeta.stream().equals(m.stream())
          || m.chunkIndex() != nextChunk || m.chunkCount() != partialMeta.chunkCount()) {
        dropPartial();
        return null;
      }
      if (partial.size() + (long) data.length > bridge.maxFrameBytes) {
        dropPartial();
        return null;
      }
      partial.writeBytes(data);
      nextChunk++;
      if (nextChunk < m.chunkCount()) {
        return null;
      }
      byte[] whole = partial.toByteArray();
      partial = null;
      partialMeta = null;
      return whole;
    }

    private void dropPartial() {
      if (partial != null) {
        bridge.framesDropped.increment();
      }
      partial = null;
      partialMeta = null;
    }

    /** Caller holds this: follows streams and statuses, checks order, publishes locally. */
    private void deliver(Wire.Meta m, byte[] data, long pendingBehind) {
      long now = System.nanoTime();
      if (!m.stream().equals(current)) {
        boolean currentAlive = current != null && injector != null && now - lastHeard < bridge.offlineNanos;
        if (currentAlive) {
          if (!m.isStatus()) {
            bridge.framesDropped.increment(); // another node's stream while ours is live
          }
          return;
        }
        if (!m.stream().equals(known)) { // a new stream; the same one back after offline keeps its state
          known = m.stream();
          lastSeq = 0;
          needKey = true;
          sawInit = false;
          codecStream = false;
        }
        current = m.stream();
      }
      lastHeard = now;
      if (m.isStatus()) {
        if (Wire.OFFLINE.equals(m.status())) {
          closeInjector();
          current = null;
        } else {
          openInjector();
        }
        return;
      }
      if (m.seq() <= lastSeq) {
        return; // a repeat (an exporter that started again sends its late-joiner frames once more)
      }
      boolean gap = lastSeq != 0 && m.seq() != lastSeq + 1;
      lastSeq = m.seq();
      boolean codec = m.contentType().startsWith("video/") || m.contentType().startsWith("audio/")
          || !m.codec().isEmpty() || m.kind() == FrameKind.INIT;
      codecStream |= codec;
      switch (m.kind()) {
        case INIT:
          sawInit = true;
          needKey = true;
          break;
        case KEY:
          if (codecStream && !sawInit) {
            needKey = true;
            bridge.framesDropped.increment(); // this stream's INIT is not here yet (the bucket has it)
            return;
          }
          if (!codecStream && pendingBehind >= SUPERSEDED_BYTES) {
            bridge.framesDropped.increment(); // an image with a newer one queued behind it
            return;
          }
          break;
        case DELTA:
        default:
          if (gap || needKey) {
            needKey = true;
            bridge.framesDropped.increment(); // its reference was lost: wait for the next key frame
            return;
          }
          break;
      }
      boolean ok = inject(m.toFrame(data, "nats:" + m.stream()), data.length);
      if (m.kind() == FrameKind.KEY) {
        needKey = !ok;
      } else if (!ok) {
        needKey = true; // what follows would lack this frame
      }
    }

    /** Caller holds this. Publishes through the import's publisher (opened on the first live message). */
    private boolean inject(Frame f, int size) {
      if (!openInjector()) {
        bridge.framesDropped.increment();
        return false;
      }
      if (injector.publish(f)) {
        bridge.framesIn.increment();
        bridge.bytesIn.add(size);
        return true;
      }
      bridge.framesDropped.increment(); // refused by the channel's publish limits
      return false;
    }

    /**
     * Caller holds this. Puts a frame from the bucket into the channel: through the import's publisher when
     * the stream counts as online, else straight into the channel without claiming any status.
     */
    private boolean putFromBucket(Frame f, int size) {
      try {
        if (injector != null) {
          return inject(f, size);
        }
        channel.publish(f);
        bridge.framesIn.increment();
        bridge.bytesIn.add(size);
        return true;
      } catch (ChannelClosedException e) {
        return false;
      }
    }

    /** Caller holds this. */
    private boolean openInjector() {
      if (injector != null) {
        return true;
      }
      try {
        injector = channel.openPublisher("nats " + current);
        return true;
      } catch (LimitExceededException | ChannelClosedException e) {
        return false; // a local publisher holds the slot, or the channel is gone: the bridge re-checks
      }
    }

    /** Caller holds this. */
    private void closeInjector() {
      if (injector != null) {
        injector.close();
        injector = null;
      }
    }

    /** Bridge thread: a stream silent for too long is offline (its node died or lost NATS). */
    synchronized void watchdog(long now) {
      if (injector != null && now - lastHeard > bridge.offlineNanos) {
        LOG.log(System.Logger.Level.INFO, "channel {0}: stream {1} silent for {2} ms, now offline", name,
            current, TimeUnit.NANOSECONDS.toMillis(now - lastHeard));
        closeInjector();
        current = null;
      }
    }

    /** Bridge thread: reads state, INIT and key frame from the bucket, then lets buffered live frames in. */
    void loadFromBucket() {
      Wire.Entry state = null;
      Wire.Entry init = null;
      Wire.Entry key = null;
      if (bridge.isConnected()) {
        try {
          state = bridge.kvGet(bridge.kvKey(name, "state"));
          init = bridge.kvGet(bridge.kvKey(name, "init"));
          key = bridge.kvGet(bridge.kvKey(name, "key"));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
          bridge.kvFailures.increment();
          LOG.log(System.Logger.Level.DEBUG, "bucket read for channel " + name + " failed", e);
        } catch (Wire.WireException e) {
          bridge.badMessages.increment();
        }
      }
      synchronized (this) {
        if (closed) {
          return;
        }
        try {
          applyBucket(state, init, key);
        } catch (RuntimeException e) {
          bridge.badMessages.increment(); // an entry the checks let through but the frame builder refused
          LOG.log(System.Logger.Level.DEBUG, "bucket entry for " + name + " refused", e);
        } finally {
          loaded = true;
        }
        for (Waiting w : buffered) {
          try {
            deliver(w.meta(), w.data(), 0);
          } catch (RuntimeException e) {
            bridge.badMessages.increment();
          }
        }
        buffered.clear();
        bufferedBytes = 0;
      }
    }

    /** Caller holds this. */
    private void applyBucket(Wire.Entry state, Wire.Entry init, Wire.Entry key) {
      try {
        Wire.Meta in = init == null ? null : Wire.parse(init.fields());
        Wire.Meta k = key == null ? null : Wire.parse(key.fields());
        String stream = k != null ? k.stream() : in != null ? in.stream() : null;
        if (stream == null || stream.startsWith(bridge.nodeId + "/")) {
          return;
        }
        if (current != null && !current.equals(stream)) {
          return; // following another live stream already
        }
        Wire.Meta st = state == null ? null : Wire.parse(state.fields());
        current = stream;
        if (st != null && st.stream().equals(stream) && Wire.ONLINE.equals(st.status()) && injector == null) {
          // The bucket says online: believe it for offlineAfter (the watchdog counts from now), so that an
          // offline message or the silence of a dead node can end it. A stream stored as offline gets its
          // picture in without any status.
          lastHeard = System.nanoTime();
          openInjector();
        }
        boolean initUsable = in != null && in.stream().equals(stream) && in.kind() == FrameKind.INIT
            && (k == null || in.seq() < k.seq());
        if (!stream.equals(known)) {
          known = stream;
          lastSeq = 0;
          needKey = true;
          sawInit = false;
          codecStream = false;
        }
        if (initUsable) {
          codecStream = true;
        }
        // This stream's INIT goes in whenever the channel lacks it, even if later frames passed meanwhile
        // (they were dropped for want of it): without it no key frame of the stream is usable.
        if (initUsable && (!sawInit || in.seq() > lastSeq)) {
          if (!putFromBucket(in.toFrame(init.payload(), "nats:" + stream), init.payload().length)) {
            return;
          }
          sawInit = true;
          lastSeq = Math.max(lastSeq, in.seq());
          needKey = true;
        }
        boolean keyFits = initUsable ? sawInit : !codecStream && in == null;
        if (k != null && k.kind() == FrameKind.KEY && k.seq() > lastSeq && keyFits) {
          if (putFromBucket(k.toFrame(key.payload(), "nats:" + stream), key.payload().length)) {
            lastSeq = k.seq();
            needKey = false;
          }
        }
      } catch (Wire.WireException e) {
        bridge.badMessages.increment();
      }
    }

    /** Bridge thread. */
    void close() {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        closeInjector();
        buffered.clear();
        partial = null;
      }
      try {
        bridge.connection.closeDispatcher(dispatcher);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "closing dispatcher failed", e);
      }
    }
  }
}
