package io.framestream.cluster.nats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.Publisher;
import io.framestream.server.FrameStreamServer;
import io.framestream.server.JdkWsClient;
import io.framestream.testkit.Await;
import io.framestream.transport.sse.SseFrameSource;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cluster rules N1–N9 of docs/contract.md. Two (or three) real framestream nodes sharing channels through a real {@code nats-server} (max_payload lowered to
 * 64 KiB so that large frames are split). Each node reaches NATS through its own {@link TcpProxy}, so a test
 * can cut or stall one node's connection.
 */
class ClusterIT {

  private static final int MAX_PAYLOAD = 64 * 1024;

  private NatsServer nats;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Node a;
  private Node b;

  /** One framestream node: server, bridge, and its proxy to NATS. */
  private record Node(FrameStreamServer server, NatsBridge bridge, TcpProxy proxy) {
    URI ws(String path) {
      return server.webSocketUri().resolve(path);
    }

    URI http(String path) {
      return server.httpUri().resolve(path);
    }

    Channel channel(String name) {
      return server.registry().channel(name);
    }
  }

  @BeforeEach
  void startCluster() throws Exception {
    nats = NatsServer.startOrSkip("max_payload: " + MAX_PAYLOAD);
    a = node("a");
    b = node("b");
  }

  private Node node(String id) throws Exception {
    TcpProxy proxy = new TcpProxy(nats.port());
    closeables.add(proxy);
    FrameStreamServer server = FrameStreamServer.builder().port(0).build().start();
    closeables.add(server);
    NatsBridge bridge = NatsBridge.builder(server.registry())
        .servers(proxy.url())
        .nodeId(id)
        .heartbeatInterval(Duration.ofMillis(200))
        .offlineAfter(Duration.ofMillis(1200))
        .keyStoreInterval(Duration.ofMillis(50))
        .maxOutgoingBytes(1024 * 1024)
        .build()
        .start();
    closeables.add(bridge);
    return new Node(server, bridge, proxy);
  }

  @AfterEach
  void stopCluster() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    if (nats != null) {
      nats.close();
    }
  }

  /** A JPEG-looking payload whose bytes 3..6 carry n; every second one is larger than max_payload. */
  static byte[] jpeg(int n) {
    byte[] b = new byte[n % 2 == 0 ? 150_000 : 3_000];
    new Random(n).nextBytes(b);
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xD8;
    b[2] = (byte) 0xFF;
    ByteBuffer.wrap(b, 3, 4).putInt(n);
    return b;
  }

  static int counterOf(byte[] b) {
    return ByteBuffer.wrap(b, 3, 4).getInt();
  }

  private JdkWsClient viewer(Node n, String channel) {
    JdkWsClient c = JdkWsClient.connect(n.ws("/ws/live/" + channel));
    closeables.add(c::abort);
    return c;
  }

  /** Checks that every received payload is one of the sent ones, byte for byte, in increasing order. */
  private static void assertIdenticalInOrder(List<byte[]> received, int sent, String who) {
    int last = 0;
    for (byte[] r : received) {
      int n = counterOf(r);
      assertTrue(n > last && n <= sent, who + ": frame " + n + " after " + last);
      assertArrayEquals(jpeg(n), r, who + ": frame " + n + " differs");
      last = n;
    }
    assertEquals(sent, last, who + " did not get the newest frame");
    assertTrue(received.size() >= sent * 8 / 10, who + " got only " + received.size() + " of " + sent);
  }

  @Test
  void n1_n3_publisherOnNodeAReachesWebSocketAndSseViewersOnNodeBIdenticalAndInOrder() throws Exception {
    JdkWsClient wsViewer = viewer(b, "cam");
    List<byte[]> sseFrames = new ArrayList<>();
    AtomicBoolean sseDone = new AtomicBoolean();
    SseFrameSource sse = SseFrameSource.builder(b.http("/sse/cam")).build();
    closeables.add(sse);
    sse.open();
    int frames = 60;
    Thread sseReader = new Thread(() -> {
      try {
        for (int i = 0; i < 10 * frames && !sseDone.get(); i++) {
          Frame f = sse.nextFrame();
          synchronized (sseFrames) {
            sseFrames.add(f.copyPayload());
          }
          if (counterOf(f.copyPayload()) == frames) {
            break;
          }
        }
      } catch (Exception e) {
        // closed at the end of the test
      }
    }, "sse-reader");
    sseReader.setDaemon(true);
    sseReader.start();
    Await.until("node B imports cam", () -> b.bridge().stats().importedChannels() == 1
        && b.channel("cam").subscriberCount() == 2);

    JdkWsClient publisher = JdkWsClient.connect(a.ws("/ws/publish/cam"));
    closeables.add(publisher::abort);
    long period = TimeUnit.SECONDS.toNanos(1) / 20;
    long next = System.nanoTime();
    for (int n = 1; n <= frames; n++) {
      publisher.sendBinary(jpeg(n));
      next += period;
      Await.pace(next - System.nanoTime());
    }
    Await.until("the WS viewer on B gets the last frame",
        () -> !wsViewer.binaries().isEmpty() && counterOf(wsViewer.lastBinary()) == frames);
    Await.until("the SSE viewer on B gets the last frame", () -> {
      synchronized (sseFrames) {
        return !sseFrames.isEmpty() && counterOf(sseFrames.get(sseFrames.size() - 1)) == frames;
      }
    });
    sseDone.set(true);
    assertIdenticalInOrder(wsViewer.binaries(), frames, "WebSocket viewer on B");
    synchronized (sseFrames) {
      assertIdenticalInOrder(sseFrames, frames, "SSE viewer on B");
    }
    NatsBridgeStats out = a.bridge().stats();
    assertEquals(1, out.exportedChannels());
    assertTrue(out.framesOut() >= frames * 8 / 10, "A sent " + out.framesOut());
    assertEquals(0, b.bridge().stats().badMessages());
    System.out.printf("cluster: A sent %d frames, B received %d, dropped %d; WS viewer %d, SSE viewer %d%n",
        out.framesOut(), b.bridge().stats().framesIn(), b.bridge().stats().framesDropped(),
        wsViewer.binaryCount(), sseFrames.size());
  }

  @Test
  void n4_lateJoinerOnNodeBGetsInitAndKeyAtOnceThenWaitsForTheNextKey() throws Exception {
    Channel video = a.channel("video");
    Publisher pub = video.openPublisher("test");
    byte[] init = payload(1, 600);
    byte[] key = payload(2, 200_000); // larger than max_payload: split on the wire and in the bucket
    pub.publish(Frame.builder(init).contentType("video/mp4").kind(FrameKind.INIT).codec("avc1.42E01E").build());
    pub.publish(Frame.builder(key).contentType("video/mp4").kind(FrameKind.KEY).build());
    pub.publish(Frame.builder(payload(3, 900)).contentType("video/mp4").kind(FrameKind.DELTA).build());
    Await.until("A stored state, INIT and key frame", () -> a.bridge().stats().keyValueWrites() >= 3);

    long t0 = System.nanoTime();
    JdkWsClient late = viewer(b, "video");
    Await.until("the late joiner on B gets INIT and KEY", () -> late.binaryCount() >= 2);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    List<byte[]> got = late.binaries();
    assertArrayEquals(init, got.get(0), "INIT first");
    assertArrayEquals(key, got.get(1), "then the newest KEY, put together from chunks");
    assertTrue(ms < 5_000, "late joiner waited " + ms + " ms");
    System.out.println("cluster: late joiner on node B got INIT + KEY (200 KB) after " + ms + " ms");

    // A delta whose predecessor B never had is not delivered; the next key frame is.
    byte[] delta = payload(4, 900);
    pub.publish(Frame.builder(delta).contentType("video/mp4").kind(FrameKind.DELTA).build());
    byte[] key2 = payload(5, 5_000);
    pub.publish(Frame.builder(key2).contentType("video/mp4").kind(FrameKind.KEY).build());
    byte[] delta2 = payload(6, 900);
    pub.publish(Frame.builder(delta2).contentType("video/mp4").kind(FrameKind.DELTA).build());
    Await.until("the next key frame and its delta arrive", () -> late.binaryCount() >= 4);
    got = late.binaries();
    assertArrayEquals(key2, got.get(2), "the orphan delta was skipped");
    assertArrayEquals(delta2, got.get(3));
    assertTrue(late.texts().stream().anyMatch(t -> t.contains("\"codec\":\"avc1.42E01E\"")),
        "codec in an init message: " + late.texts());
    pub.close();
  }

  private static long usedHeapAfterGc() {
    java.lang.management.MemoryMXBean mem = java.lang.management.ManagementFactory.getMemoryMXBean();
    mem.gc();
    return mem.getHeapMemoryUsage().getUsed();
  }

  private static byte[] payload(int seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Publishes counter frames on a node at about 25 fps until stopped. */
  private AtomicInteger publishLoop(Node n, String channel, AtomicBoolean stop) {
    AtomicInteger counter = new AtomicInteger();
    Publisher p = n.channel(channel).openPublisher("loop");
    Thread t = new Thread(() -> {
      for (int i = 0; i < 100_000 && !stop.get(); i++) {
        p.publish(Frame.of("image/jpeg", jpeg(counter.incrementAndGet())));
        Await.pace(TimeUnit.MILLISECONDS.toNanos(40));
      }
      p.close();
    }, "publish-loop");
    t.setDaemon(true);
    t.start();
    closeables.add(() -> {
      stop.set(true);
      t.join(5_000);
    });
    return counter;
  }

  @Test
  void n2_nodesSubscribeOnlyWhileTheyHaveViewers() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger counter = publishLoop(a, "cam", stop);
    Await.until("A exports", () -> a.bridge().stats().framesOut() >= 10);
    assertEquals(0, b.bridge().stats().importedChannels());
    assertEquals(0, b.bridge().stats().framesIn(), "B has no viewer of cam, so no traffic");
    assertTrue(b.server().registry().find("cam").isEmpty(), "and no channel");

    JdkWsClient viewer = viewer(b, "cam");
    Await.until("the viewer gets frames", () -> viewer.binaryCount() >= 3);
    viewer.abort();
    Await.until("B unsubscribes when its last viewer leaves", () -> b.bridge().stats().importedChannels() == 0);
    long in = b.bridge().stats().framesIn();
    int at = counter.get();
    Await.until("A goes on publishing", () -> counter.get() > at + 10);
    assertEquals(in, b.bridge().stats().framesIn(), "no frames reach B without viewers");
    stop.set(true);
  }

  @Test
  void n8_viewersOnNodeBStartAnOnDemandSourceOnNodeA() {
    AtomicInteger drawn = new AtomicInteger();
    a.server().registry().attachSource("counter",
        () -> Frame.of("image/jpeg", jpeg(2 * drawn.incrementAndGet() + 1)), 20);
    Channel counter = a.channel("counter");
    assertEquals(0, counter.subscriberCount());
    JdkWsClient viewer = viewer(b, "counter");
    Await.until("the source on A runs for B's viewer, and its frames reach B", () -> viewer.binaryCount() >= 3);
    assertTrue(drawn.get() >= 3);
    assertEquals(1, counter.subscriberCount(), "A holds one viewer subscription for B's viewers");
    viewer.abort();
    Await.until("A lets go once B's viewers are gone", () -> counter.subscriberCount() == 0);
  }

  @Test
  void n9_viewersOfADeadNodeReconnectToAnotherAndResume() throws Exception {
    Node c = node("c");
    TcpProxy balancer = new TcpProxy(b.server().port());
    closeables.add(balancer);
    SseFrameSource sse = SseFrameSource.builder(URI.create("http://127.0.0.1:" + balancer.port() + "/sse/cam"))
        .build();
    closeables.add(sse);
    sse.open();
    AtomicInteger lastSeen = new AtomicInteger();
    Thread reader = new Thread(() -> {
      try {
        for (int i = 0; i < 100_000; i++) {
          lastSeen.set(counterOf(sse.nextFrame().copyPayload()));
        }
      } catch (Exception e) {
        // closed at the end of the test
      }
    }, "sse-reader");
    reader.setDaemon(true);
    reader.start();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger counter = publishLoop(a, "cam", stop);
    Await.until("the viewer gets frames through node B", () -> lastSeen.get() >= 3);

    balancer.retarget(c.server().port());
    b.bridge().close();
    b.server().close(); // node B dies; its viewer's client reconnects through the balancer to node C
    int atDeath = counter.get();
    Await.until("the viewer resumes on node C", () -> lastSeen.get() > atDeath + 5);
    assertEquals(1, c.bridge().stats().importedChannels());
    stop.set(true);
  }

  @Test
  void n6_nodeBLosingNatsResumesAndSoDoesEveryNodeAfterANatsRestart() throws Exception {
    JdkWsClient viewer = viewer(b, "cam");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger counter = publishLoop(a, "cam", stop);
    Await.until("frames flow to B", () -> viewer.binaryCount() >= 5);

    b.proxy().cut();
    Await.until("B notices", () -> !b.bridge().isConnected());
    int atCut = counter.get();
    Await.until("A goes on publishing", () -> counter.get() > atCut + 10);
    b.proxy().restore();
    int atRestore = counter.get();
    Await.until("B's viewer resumes with frames published after the reconnect",
        () -> counterOf(viewer.lastBinary()) > atRestore + 5);

    nats.kill();
    Await.until("both nodes notice the NATS restart", () -> !a.bridge().isConnected() && !b.bridge().isConnected());
    nats.start();
    int afterRestart = counter.get();
    Await.until("B's viewer resumes after NATS restarted",
        () -> counterOf(viewer.lastBinary()) > afterRestart + 5);
    long writes = a.bridge().stats().keyValueWrites();
    Await.until("A writes its key frames into the recreated bucket", () -> a.bridge().stats().keyValueWrites() > writes);
    stop.set(true);
    assertTrue(a.bridge().stats().reconnects() >= 1 && b.bridge().stats().reconnects() >= 2,
        "reconnects: A " + a.bridge().stats().reconnects() + ", B " + b.bridge().stats().reconnects());
  }

  @Test
  void n5_publisherGoneOrPublishingNodeDeadMakesTheChannelOfflineOnEveryNode() throws Exception {
    JdkWsClient viewer = viewer(b, "cam");
    JdkWsClient publisher = JdkWsClient.connect(a.ws("/ws/publish/cam"));
    closeables.add(publisher::abort);
    publisher.sendBinary(jpeg(1));
    Await.until("frame reaches B", () -> viewer.binaryCount() == 1);
    publisher.close();
    Await.until("B's viewer told offline when the publisher leaves",
        () -> viewer.texts().stream().anyMatch(t -> t.contains("\"offline\"")));

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger counter = publishLoop(a, "cam", stop);
    Await.until("B's viewer told online again, frames flow",
        () -> viewer.texts().stream().filter(t -> t.contains("\"online\"")).count() >= 1
            && counterOf(viewer.lastBinary()) > 3);
    long offlineBefore = viewer.texts().stream().filter(t -> t.contains("\"offline\"")).count();
    long t0 = System.nanoTime();
    a.proxy().cut(); // node A vanishes without a word
    Await.until("B's viewer told offline when A's node is gone",
        () -> viewer.texts().stream().filter(t -> t.contains("\"offline\"")).count() > offlineBefore);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(counter.get() > 0);
    byte[] lastSeen = viewer.lastBinary();
    JdkWsClient late = viewer(b, "cam");
    Await.until("a late joiner on B still gets the newest frame, and offline",
        () -> late.binaryCount() == 1 && late.texts().stream().anyMatch(t -> t.contains("\"offline\"")));
    assertArrayEquals(lastSeen, late.lastBinary());
    System.out.println("cluster: B marked the channel offline " + ms + " ms after node A vanished");
  }

  @Test
  void n7_stalledLinksGrowNoMemoryNorSlowLocalViewersAndDeliveryResumesAtTheNewestFrame() throws Exception {
    // Counting viewers: they keep only the newest frame, so the heap measures the node, not the test.
    JdkWsClient remoteViewer = JdkWsClient.connectCounting(b.ws("/ws/live/cam"));
    closeables.add(remoteViewer::abort);
    JdkWsClient localViewer = JdkWsClient.connectCounting(a.ws("/ws/live/cam"));
    closeables.add(localViewer::abort);
    Await.until("B imports cam", () -> b.bridge().stats().importedChannels() == 1);
    Channel cam = a.channel("cam");
    Publisher p = cam.openPublisher("fast");
    byte[] big = new byte[200_000];
    big[0] = (byte) 0xFF;
    big[1] = (byte) 0xD8;
    big[2] = (byte) 0xFF;
    p.publish(Frame.of("image/jpeg", jpeg(1)));
    Await.until("B gets the first frame", () -> remoteViewer.binaryCount() >= 1);

    a.proxy().stall(false, true); // A's bytes toward NATS are no longer read
    long heapBefore = usedHeapAfterGc();
    long maxBacklog = 0;
    int sent = 0;
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (System.nanoTime() < end && sent < 1_000) {
      ByteBuffer.wrap(big, 3, 4).putInt(++sent + 1);
      p.publish(Frame.of("image/jpeg", big));
      maxBacklog = Math.max(maxBacklog, a.bridge().stats().outgoingBacklogBytes());
      Await.pace(TimeUnit.MILLISECONDS.toNanos(10));
    }
    int published = sent + 1;
    Await.until("A's local viewer is not held back", () -> counterOf(localViewer.lastBinary()) == published);
    long heapGrowth = usedHeapAfterGc() - heapBefore;
    long limit = 1024 * 1024 + 2L * big.length;
    assertTrue(maxBacklog <= limit, "A queued " + maxBacklog + " bytes for NATS (limit " + limit + ")");
    long pushedMb = (long) sent * big.length / 1_000_000;
    assertTrue(heapGrowth < 32L * 1024 * 1024, "A's heap grew by " + heapGrowth / 1024 + " KB while "
        + pushedMb + " MB went into the stalled link");
    long dropped = cam.stats().drops().values().stream().mapToLong(Long::longValue).sum();
    assertTrue(dropped > 0, "the relay mailbox dropped to the newest frame");
    System.out.printf("cluster: %d x 200 KB frames (%d MB) into a stalled NATS link; A queued at most %d KB, "
        + "heap grew %d KB, %d frames superseded%n", sent, pushedMb, maxBacklog / 1024, heapGrowth / 1024, dropped);

    a.proxy().stall(false, false);
    Await.until("B catches up with the newest frame, not a backlog",
        () -> counterOf(remoteViewer.lastBinary()) == published);

    // Now the receiving node stalls: NATS can no longer write to B.
    b.proxy().stall(true, true);
    heapBefore = usedHeapAfterGc();
    int sentToStalled = 0;
    end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (System.nanoTime() < end && sentToStalled < 1_000) {
      ByteBuffer.wrap(big, 3, 4).putInt(published + ++sentToStalled);
      p.publish(Frame.of("image/jpeg", big));
      Await.pace(TimeUnit.MILLISECONDS.toNanos(10));
    }
    int last = published + sentToStalled;
    heapGrowth = usedHeapAfterGc() - heapBefore;
    assertTrue(heapGrowth < 32L * 1024 * 1024, "the nodes' heap grew by " + heapGrowth / 1024
        + " KB while B stalled");
    b.proxy().stall(true, false);
    Await.until("B resumes with the newest frame", () -> counterOf(remoteViewer.lastBinary()) == last);
    System.out.printf("cluster: %d x 200 KB frames while node B stalled; heap grew %d KB; B resumed at the "
        + "newest frame%n", sentToStalled, heapGrowth / 1024);
    p.close();
  }

  @Test
  void n10_hostileMessagesAndBucketEntriesAreDroppedAndCounted() throws Exception {
    try (io.nats.client.Connection evil = io.nats.client.Nats.connect(nats.url())) {
      // A foreign entry where a late joiner looks (a channel nobody publishes, so nothing overwrites it).
      evil.keyValue("framestream").put("probe.key", "not an envelope".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      viewer(b, "probe");
      Await.until(() -> "the bad entry is counted: " + b.bridge().stats(),
          () -> b.bridge().stats().badMessages() == 1, Duration.ofSeconds(20));
      assertEquals(1, b.bridge().stats().importedChannels(), "the import goes on");

      JdkWsClient viewer = viewer(b, "cam");
      JdkWsClient publisher = JdkWsClient.connect(a.ws("/ws/publish/cam"));
      closeables.add(publisher::abort);
      publisher.sendBinary(jpeg(6));
      Await.until("B's import is running", () -> viewer.binaryCount() >= 1);
      String subject = "framestream.ch.cam";
      io.nats.client.impl.Headers badStream = new io.nats.client.impl.Headers();
      badStream.put(Wire.STREAM, "x\"y/1");
      badStream.put(Wire.SEQ, "1");
      badStream.put(Wire.KIND, "KEY");
      badStream.put(Wire.TYPE, "image/jpeg");
      badStream.put(Wire.CAPTURE, "2026-11-21T10:00:00Z");
      evil.publish(subject, badStream, new byte[10]);
      io.nats.client.impl.Headers hugeChunks = new io.nats.client.impl.Headers();
      for (String k : List.of(Wire.SEQ, Wire.KIND, Wire.TYPE, Wire.CAPTURE)) {
        hugeChunks.put(k, badStream.getFirst(k));
      }
      hugeChunks.put(Wire.STREAM, "x/1");
      hugeChunks.put(Wire.CHUNK, "0/4096");
      evil.publish(subject, hugeChunks, new byte[60_000]);
      evil.publish(subject, new byte[5]); // no headers at all
      evil.publish(subject, hugeChunks, new byte[0]);
      evil.flush(Duration.ofSeconds(5));
      Await.until(() -> "the bad messages are counted: " + b.bridge().stats(),
          () -> b.bridge().stats().badMessages() >= 3, Duration.ofSeconds(20));

      publisher.sendBinary(jpeg(7));
      Await.until("a good frame still gets through", () -> viewer.binaryCount() >= 1
          && counterOf(viewer.lastBinary()) == 7);
      assertArrayEquals(jpeg(7), viewer.lastBinary());
    }
  }

  @Test
  void n6_videoResumesAfterNodeBLostNatsLongerThanOfflineAfterWithoutANewInit() throws Exception {
    Channel video = a.channel("video");
    Publisher pub = video.openPublisher("test");
    byte[] init = payload(11, 600);
    pub.publish(Frame.builder(init).contentType("video/mp4").kind(FrameKind.INIT).codec("avc1.42E01E").build());
    pub.publish(Frame.builder(payload(12, 4_000)).contentType("video/mp4").kind(FrameKind.KEY).build());
    JdkWsClient viewer = viewer(b, "video");
    Await.until("INIT and KEY reach B, and the stream is heard live (online)", () -> viewer.binaryCount() >= 2
        && viewer.texts().stream().anyMatch(t -> t.contains("\"online\"")));

    b.proxy().cut();
    Await.until(() -> "B's viewer is told offline: " + viewer.texts() + " " + b.bridge().stats(),
        () -> viewer.texts().stream().anyMatch(t -> t.contains("\"offline\"")), Duration.ofSeconds(20));
    b.proxy().restore();
    Await.until("B hears the stream again", () -> viewer.texts().stream().filter(t -> t.contains("\"online\"")).count()
        >= 2 && b.bridge().isConnected());
    byte[] key = payload(13, 4_000);
    byte[] delta = payload(14, 900);
    int before = viewer.binaryCount();
    // The same stream, no new INIT: B still has it, so the next key frame and its delta play on.
    for (int i = 0; i < 50 && viewer.binaryCount() < before + 2; i++) {
      pub.publish(Frame.builder(key).contentType("video/mp4").kind(FrameKind.KEY).build());
      pub.publish(Frame.builder(delta).contentType("video/mp4").kind(FrameKind.DELTA).build());
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      Await.until("a moment", () -> viewer.binaryCount() >= before + 2 || System.nanoTime() > until);
    }
    List<byte[]> got = viewer.binaries();
    assertTrue(got.size() >= before + 2, "the stream did not resume on B: " + got.size() + " frames");
    assertArrayEquals(key, got.get(got.size() - 2));
    assertArrayEquals(delta, got.get(got.size() - 1));
    pub.close();
  }
}
