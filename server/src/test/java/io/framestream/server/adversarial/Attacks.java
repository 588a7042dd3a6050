package io.framestream.server.adversarial;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.edge.ViewerTickets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One wave of attacks on the server, for a bounded time, from raw sockets on loopback: slow request headers,
 * slow POST bodies, slow WebSocket frames, oversize frames announced in headers, garbage after a valid
 * header, connections opened and dropped, stalled readers on both transports, two publishers racing for one
 * slot, tampered tickets. {@link #run()} sends them (concurrently, some in waves) and returns when the time
 * is up; {@link #finish()} records how the server answered each and closes every attacking connection. Each
 * attack keeps a {@link Tally}: what was sent, the answers, and the answers that break the contract.
 *
 * <h2>Thread safety</h2>
 *
 * {@link #run()} and {@link #finish()} from one thread, one after the other; the attacks run on the
 * instance's own threads meanwhile and write their tallies under the tallies' locks.
 */
final class Attacks {

  /** How long after its header an oversize frame, or after garbage, the connection must have been refused. */
  static final Duration REFUSE_WITHIN = Duration.ofSeconds(5);
  /** The other channel whose publisher slot two publishers race for. */
  static final String RACE_CHANNEL = "race";

  /** One kind of attack: what was sent and how the server answered. */
  static final class Tally {
    final String name;
    /** Whether the contract prescribes an answer that this attack checks (else it must only harm no one). */
    final boolean checked;
    private String sent = "";
    private final Map<String, long[]> answers = new TreeMap<>(); // answer -> {count, slowest close in ms}
    private final List<String> violations = new ArrayList<>();

    Tally(String name, boolean checked) {
      this.name = name;
      this.checked = checked;
    }

    synchronized void sent(String what) {
      sent = what;
    }

    synchronized void answer(String what, long closedAfterMillis) {
      answer(what, closedAfterMillis, 1);
    }

    synchronized void answer(String what, long closedAfterMillis, int times) {
      long[] a = answers.computeIfAbsent(what, k -> new long[] {0, -1});
      a[0] += times;
      a[1] = Math.max(a[1], closedAfterMillis);
    }

    synchronized void violation(String what) {
      if (violations.size() < 5) {
        violations.add(what);
      } else if (violations.size() == 5) {
        violations.add("...");
      }
    }

    synchronized String sentText() {
      return sent;
    }

    /** The answers as {@code 12 × HTTP 400, EOF (closed within 35 ms)}; ... */
    synchronized String answersText() {
      StringBuilder b = new StringBuilder();
      for (Map.Entry<String, long[]> e : answers.entrySet()) {
        if (b.length() > 0) {
          b.append("; ");
        }
        b.append(e.getValue()[0]).append(" × ").append(e.getKey());
        if (e.getValue()[1] >= 0) {
          b.append(" (closed within ").append(e.getValue()[1]).append(" ms)");
        }
      }
      return b.toString();
    }

    synchronized List<String> violations() {
      return new ArrayList<>(violations);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final int port;
  private final String token;
  private final String auth; // the publish token's header line
  private final String liveView; // path and query of a valid WebSocket view of the streamed channel
  private final ViewerTickets tickets;
  private final long lengthNanos;
  private final boolean small;
  private final Random random = new Random(99);
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final ExecutorService pool = Executors.newCachedThreadPool(daemon("adversarial-attack"));
  private final ScheduledExecutorService trickle = Executors.newScheduledThreadPool(2, daemon("adversarial-trickle"));
  private final List<RawPeer> open = new ArrayList<>(); // every attacking connection, closed by finish()
  private long start;
  private long end;

  final Tally slowHeaders = new Tally("slow request headers (slowloris)", false);
  final Tally slowBodies = new Tally("slow POST bodies", false);
  final Tally slowFrames = new Tally("slow WebSocket frames", false);
  final Tally oversize = new Tally("oversize frames announced in headers", true);
  final Tally garbage = new Tally("garbage after a valid header", true);
  final Tally dropped = new Tally("connections opened and dropped", false);
  final Tally stalled = new Tally("stalled readers", true);
  final Tally race = new Tally("two publishers racing for one slot", true);
  final Tally forged = new Tally("tampered tickets", true);
  /** Attacks left out with {@code -Dadversarial.skip=slowBodies,oversize,...} (to tell effects apart). */
  private final java.util.Set<String> skip = java.util.Set.of(System.getProperty("adversarial.skip", "").split(","));

  private final List<RawPeer> slowHeaderPeers = new ArrayList<>();
  private final List<RawPeer> slowBodyPeers = new ArrayList<>();
  private final List<RawPeer> slowFramePeers = new ArrayList<>();
  private final List<RawPeer> oversizePeers = new ArrayList<>();
  private final List<RawPeer> garbagePeers = new ArrayList<>();
  private final List<RawPeer> stalledPeers = new ArrayList<>();

  /**
   * Prepares a wave.
   *
   * @param port the server's port
   * @param token the publish token (attackers that hold it get past authorization)
   * @param tickets signs viewer tickets with the server's key
   * @param length how long the wave lasts
   * @param small a few of each attack (to warm the server up) instead of the full wave
   */
  Attacks(int port, String token, ViewerTickets tickets, Duration length, boolean small) {
    this.port = port;
    this.token = token;
    this.tickets = tickets;
    this.auth = "Authorization: Bearer " + token;
    this.liveView = "/ws/live/" + AdversarialServerMain.CHANNEL + "?ticket="
        + tickets.issue(AdversarialServerMain.CHANNEL, Duration.ofHours(1));
    this.lengthNanos = length.toNanos();
    this.small = small;
  }

  /** Every tally, in the order of the issue's list. */
  List<Tally> tallies() {
    return List.of(slowHeaders, slowBodies, slowFrames, oversize, garbage, dropped, stalled, race, forged);
  }

  /**
   * Sends the wave and returns when its time is up and every attack task has ended (bounded).
   *
   * @throws Exception if waiting is interrupted
   */
  void run() throws Exception {
    start = System.nanoTime();
    end = start + lengthNanos;
    List<Future<?>> tasks = new ArrayList<>();
    launch(tasks, "stalled", stalled, this::stalledReaders);
    launch(tasks, "slowHeaders", slowHeaders, this::slowHeaders);
    launch(tasks, "slowBodies", slowBodies, this::slowBodies);
    launch(tasks, "slowFrames", slowFrames, this::slowFrames);
    launch(tasks, "oversize", oversize, this::oversize);
    launch(tasks, "garbage", garbage, this::garbage);
    launch(tasks, "dropped", dropped, this::openAndDrop);
    launch(tasks, "race", race, this::race);
    launch(tasks, "tickets", forged, this::forgedTickets);
    for (Future<?> f : tasks) {
      try {
        f.get(Math.max(1, end - System.nanoTime()) + TimeUnit.SECONDS.toNanos(20), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        f.cancel(true);
      }
    }
    parkUntil(end);
    trickle.shutdownNow();
  }

  private void launch(List<Future<?>> tasks, String key, Tally tally, Attack attack) {
    if (skip.contains(key)) {
      tally.sent("left out (-Dadversarial.skip=" + key + ")");
    } else {
      tasks.add(pool.submit(() -> guarded(tally, attack)));
    }
  }

  /**
   * Records how the server answered the connections still held, then closes every attacking connection.
   *
   * @throws Exception if waiting is interrupted
   */
  void finish() throws Exception {
    for (RawPeer p : snapshot(slowHeaderPeers)) {
      slowHeaders.answer(p.answer(), p.closedAfterMillis());
    }
    for (RawPeer p : snapshot(slowBodyPeers)) {
      slowBodies.answer(p.answer(), p.closedAfterMillis());
    }
    for (RawPeer p : snapshot(slowFramePeers)) {
      slowFrames.answer(p.answer(), p.closedAfterMillis());
    }
    for (RawPeer p : snapshot(oversizePeers)) {
      refusedInTime(oversize, p, "an oversize frame was not refused within " + REFUSE_WITHIN.toSeconds()
          + " s of its header");
    }
    for (RawPeer p : snapshot(garbagePeers)) {
      refusedInTime(garbage, p, "garbage was not refused within " + REFUSE_WITHIN.toSeconds() + " s");
    }
    List<Future<String>> drains = new ArrayList<>();
    for (RawPeer p : snapshot(stalledPeers)) {
      drains.add(pool.submit(() -> p.drainToEnd(Duration.ofSeconds(2))));
    }
    for (Future<String> d : drains) {
      String how = d.get(30, TimeUnit.SECONDS);
      stalled.answer(how, -1);
      if (!how.endsWith("closed by server")) {
        stalled.violation("stalled reader not evicted: " + how + " at the end of the attack");
      }
    }
    for (RawPeer p : snapshot(open)) {
      p.reset();
    }
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
  }

  /** Records the peer's answer, and a violation unless the server closed it within {@link #REFUSE_WITHIN}. */
  private static void refusedInTime(Tally tally, RawPeer p, String violation) {
    long after = p.closedAfterMillis();
    tally.answer(p.answer(), after);
    if (after < 0 || after > REFUSE_WITHIN.toMillis()) {
      tally.violation(violation + " (" + p.answer()
          + (after < 0 ? ", still open at the end" : ", closed after " + after + " ms") + ")");
    }
  }

  // ---- the attacks -------------------------------------------------------------------------------------

  /** WebSocket and SSE viewers that never read, with a 4 KiB receive buffer. */
  private void stalledReaders() throws Exception {
    int n = small ? 1 : 3;
    String ticket = tickets.issue(AdversarialServerMain.CHANNEL, Duration.ofHours(1));
    for (int i = 0; i < n; i++) {
      RawPeer ws = held(stalledPeers, RawPeer.connect(port, 4096)).label("WebSocket");
      ws.send(RawPeer.upgrade(liveView));
      RawPeer sse = held(stalledPeers, RawPeer.connect(port, 4096)).label("SSE");
      sse.send("GET /sse/" + AdversarialServerMain.CHANNEL + "?ticket=" + ticket
          + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    }
    stalled.sent(n + " WebSocket + " + n + " SSE viewers with a 4 KiB receive buffer that never read");
  }

  /** Request headers that never end: a byte a second. */
  private void slowHeaders() throws Exception {
    int n = small ? 4 : 64;
    for (int i = 0; i < n && System.nanoTime() < end; i++) {
      RawPeer p = held(slowHeaderPeers, RawPeer.connect(port, 0)).watch();
      p.send("GET /api/channels HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
      p.mark();
      trickle(p, "abcdefghijklmnopqrstuvwxyz0123456789".repeat(2).getBytes(StandardCharsets.US_ASCII), 1000);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30)); // paces the load generator: ~2 s for all
    }
    slowHeaders.sent(n + " connections, request headers at 1 byte/s, never finished");
  }

  /** Authorized uploads announcing 100 KB and sending a byte at a time. */
  private void slowBodies() throws Exception {
    int n = small ? 1 : 16;
    for (int i = 0; i < n && System.nanoTime() < end; i++) {
      RawPeer p = held(slowBodyPeers, RawPeer.connect(port, 0)).watch();
      p.send("POST /api/channels/upload/frames HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
          + "\r\nContent-Type: image/jpeg\r\nContent-Length: " + HealthyClients.FRAME_BYTES + "\r\n\r\n");
      p.mark();
      trickle(p, HealthyClients.frame(i), 500);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // paces the load generator
    }
    slowBodies.sent(n + " authorized POST /api/channels/upload/frames, Content-Length "
        + HealthyClients.FRAME_BYTES + ", body at 2 bytes/s");
  }

  /** Publisher and viewer connections that send one frame a byte at a time. */
  private void slowFrames() throws Exception {
    int n = small ? 1 : 2;
    for (int i = 0; i < n; i++) {
      RawPeer pub = upgraded(slowFramePeers, "publisher", "/ws/publish/slowpub-" + i, auth);
      if (pub != null) {
        pub.mark();
        trickle(pub, RawPeer.clientFrame(0x82, HealthyClients.FRAME_BYTES, HealthyClients.frame(i)), 200);
      }
      RawPeer viewer = upgraded(slowFramePeers, "viewer", liveView);
      if (viewer != null) {
        viewer.mark();
        trickle(viewer, RawPeer.clientFrame(0x81, 200, "x".repeat(200).getBytes(StandardCharsets.US_ASCII)), 200);
      }
    }
    slowFrames.sent(n + " publishers (100 KB binary frame) + " + n + " viewers (200 B text frame), 5 bytes/s");
  }

  /** Frame headers announcing 200 MiB (publisher) and 1 MiB (viewer), then a few bytes. */
  private void oversize() throws Exception {
    parkUntil(start + TimeUnit.SECONDS.toNanos(1));
    int n = small ? 1 : 2;
    for (int i = 0; i < n; i++) {
      RawPeer pub = upgraded(oversizePeers, "publisher, 200 MiB", "/ws/publish/big-" + i, auth);
      if (pub != null) {
        pub.send(RawPeer.clientFrame(0x82, 200L << 20, HealthyClients.frame(i + 1_000_000)));
        pub.mark();
      }
      RawPeer viewer = upgraded(oversizePeers, "viewer, 1 MiB", liveView);
      if (viewer != null) {
        viewer.send(RawPeer.clientFrame(0x81, 1L << 20, "y".repeat(64).getBytes(StandardCharsets.US_ASCII)));
        viewer.mark();
      }
    }
    oversize.sent(n + " publishers announcing 200 MiB + " + n + " viewers announcing 1 MiB, then a few bytes; held");
  }

  /** Valid request lines and frame headers followed by garbage, twice. */
  private void garbage() throws Exception {
    parkUntil(start + TimeUnit.SECONDS.toNanos(3));
    int rounds = small ? 1 : 2;
    for (int r = 0; r < rounds; r++) {
      if (r > 0) {
        parkUntil(start + lengthNanos / 2);
      }
      byte[] junk = new byte[16 * 1024]; // twice Grizzly's default limit for a request head
      random.nextBytes(junk);
      RawPeer line = held(garbagePeers, RawPeer.connect(port, 0)).label("HTTP request line + garbage").watch();
      line.send("GET /api/channels HTTP/1.1\r\n");
      line.send(junk);
      line.mark();
      RawPeer chunks = held(garbagePeers, RawPeer.connect(port, 0)).label("bad chunk size").watch();
      chunks.send("POST /api/channels/garbage/frames HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
          + "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
      chunks.send(junk);
      chunks.mark();
      RawPeer rsv = upgraded(garbagePeers, "RSV1-3 set", liveView);
      if (rsv != null) {
        rsv.send(RawPeer.clientFrame(0xF1, 5, "hello".getBytes(StandardCharsets.US_ASCII))); // RSV1-3 set
        rsv.mark();
      }
      RawPeer opcode = upgraded(garbagePeers, "reserved opcode", "/ws/publish/garbage-" + r, auth);
      if (opcode != null) {
        opcode.send(RawPeer.clientFrame(0x83, 10, new byte[10])); // reserved opcode 3
        opcode.mark();
      }
      RawPeer raw = upgraded(garbagePeers, "random bytes after upgrade", liveView);
      if (raw != null) {
        raw.send(junk);
        raw.mark();
      }
    }
    garbage.sent(rounds + " × (HTTP request line + 16 KiB binary; chunked POST with a bad chunk size; WebSocket"
        + " frame with RSV1-3 set; reserved opcode 3; 16 KiB of random bytes after the upgrade)");
  }

  /** 1,000 connections, one after the other: closed at once, after half a request, or reset. */
  private void openAndDrop() throws Exception {
    parkUntil(start + TimeUnit.SECONDS.toNanos(2));
    int n = small ? 50 : 1000;
    long spread = Math.max(TimeUnit.SECONDS.toNanos(1), end - System.nanoTime() - TimeUnit.SECONDS.toNanos(5));
    long next = System.nanoTime();
    int refused = 0;
    int done = 0;
    for (int i = 0; i < n && System.nanoTime() < end; i++) {
      try {
        RawPeer p = RawPeer.connect(port, 0);
        switch (i % 4) {
          case 0 -> p.close();
          case 1 -> {
            p.send("GET /api/chan");
            p.close();
          }
          case 2 -> {
            p.send("GET /sse/" + AdversarialServerMain.CHANNEL + " HTTP/1.1\r\nHost: 127.");
            p.reset();
          }
          default -> {
            p.send("GET /ws/live/" + AdversarialServerMain.CHANNEL + " HTTP/1.1\r\nUpgrade: websocket\r\n");
            p.reset();
          }
        }
        done++;
      } catch (java.io.IOException e) {
        refused++;
      }
      next += spread / n;
      LockSupport.parkNanos(Math.max(0, next - System.nanoTime())); // paces the load generator
    }
    dropped.sent(done + refused + " connections, one at a time: closed at once, closed after half a request line,"
        + " or reset (RST) after half an SSE or WebSocket request");
    dropped.answer("connected and dropped", -1, done);
    if (refused > 0) {
      dropped.answer("connect failed", -1, refused);
    }
  }

  /** Two publishers for the same free slot, the second a moment after the first, round after round. */
  private void race() throws Exception {
    parkUntil(start + TimeUnit.SECONDS.toNanos(2));
    int rounds = small ? 2 : 20;
    String request = RawPeer.upgrade("/ws/publish/" + RACE_CHANNEL, auth);
    int done = 0;
    int firstWon = 0;
    for (int r = 0; r < rounds && System.nanoTime() < end - TimeUnit.SECONDS.toNanos(3); r++) {
      long roundStart = System.nanoTime();
      RawPeer first = RawPeer.connect(port, 0).watch();
      RawPeer second = RawPeer.connect(port, 0).watch();
      first.send(request);
      second.send(request);
      int a = first.awaitStatus(bounded(5));
      int b = second.awaitStatus(bounded(5));
      String outcome;
      if (a == 101 && b == 101) {
        first.awaitServerClose(Duration.ofSeconds(2));
        second.awaitServerClose(Duration.ofMillis(200));
        outcome = "both 101; first " + first.answer() + ", second " + second.answer();
        race.violation("round " + r + ": both publishers were upgraded (101) before one was refused (" + outcome + ")");
        firstWon += !first.serverClosed() && second.serverClosed() ? 1 : 0;
      } else {
        outcome = "first HTTP " + a + ", second HTTP " + b;
        boolean oneWinner = (a == 101) != (b == 101);
        int loser = a == 101 ? b : a;
        if (!oneWinner || loser != 409) {
          race.violation("round " + r + ": expected one 101 and one 409, got " + outcome);
        }
        firstWon += a == 101 && b != 101 ? 1 : 0;
      }
      race.answer(outcome, -1);
      first.reset();
      second.reset();
      done++;
      // The next round needs the slot free again.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (publishers(RACE_CHANNEL) > 0 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      parkUntil(roundStart + TimeUnit.MILLISECONDS.toNanos(1500));
    }
    race.sent(done + " rounds on channel '" + RACE_CHANNEL + "' (the first request sent wins " + firstWon + " of "
        + done + ")");
  }

  /** Tickets with a flipped character, expired, and for another channel, over both transports. */
  private void forgedTickets() throws Exception {
    parkUntil(start + TimeUnit.SECONDS.toNanos(4));
    int rounds = small ? 1 : 8;
    String channel = AdversarialServerMain.CHANNEL;
    ViewerTickets past = tickets.withClock(Clock.offset(Clock.systemUTC(), Duration.ofHours(-2)));
    int done = 0;
    for (int r = 0; r < rounds && System.nanoTime() < end - TimeUnit.SECONDS.toNanos(2); r++) {
      long roundStart = System.nanoTime();
      String valid = tickets.issue(channel, Duration.ofHours(1));
      int at = valid.indexOf('.') + 5; // a character of the signature
      String flipped = valid.substring(0, at) + (valid.charAt(at) == 'A' ? 'B' : 'A') + valid.substring(at + 1);
      String[][] cases = {
          {"flipped character", flipped, "401"},
          {"expired", past.issue(channel, Duration.ofHours(1)), "401"},
          {"for another channel", tickets.issue("other", Duration.ofHours(1)), "403"},
      };
      for (String[] k : cases) {
        for (boolean ws : new boolean[] {true, false}) {
          RawPeer p = RawPeer.connect(port, 0).watch();
          p.send(ws ? RawPeer.upgrade("/ws/live/" + channel + "?ticket=" + k[1])
              : "GET /sse/" + channel + "?ticket=" + k[1] + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
          int status = p.awaitStatus(bounded(5));
          p.reset();
          String what = (ws ? "WebSocket" : "SSE") + ", " + k[0];
          forged.answer(what + ": HTTP " + status, -1);
          if (status != Integer.parseInt(k[2])) {
            forged.violation(what + ": expected HTTP " + k[2] + ", got " + status
                + (status == 101 || status == 200 ? " (admitted!)" : ""));
          }
          done++;
        }
      }
      parkUntil(roundStart + TimeUnit.SECONDS.toNanos(4));
    }
    forged.sent(done + " viewer requests: ticket with one character changed, expired ticket, ticket for another"
        + " channel; WebSocket and SSE");
  }

  // ---- helpers -------------------------------------------------------------------------------------

  /** Connects, sends an upgrade and waits (bounded) for its status; null (and a note) unless upgraded. */
  private RawPeer upgraded(List<RawPeer> group, String label, String path, String... headers) throws Exception {
    RawPeer p = held(group, RawPeer.connect(port, 0)).label(label).watch();
    p.send(RawPeer.upgrade(path, headers));
    int status = p.awaitStatus(bounded(5));
    if (status != 101) {
      synchronized (group) {
        group.remove(p);
      }
      Tally t = tallyOf(group);
      t.answer("upgrade not accepted: " + p.answer(), -1);
      if (t.checked) {
        t.violation("the upgrade before the attack was not accepted (" + p.answer() + ")");
      }
      return null;
    }
    return p;
  }

  /** The given seconds, but no later than 2 s after the end of the wave (and at least 100 ms). */
  private Duration bounded(int seconds) {
    long left = end + TimeUnit.SECONDS.toNanos(2) - System.nanoTime();
    long nanos = Math.min(TimeUnit.SECONDS.toNanos(seconds), left);
    return Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(100), nanos));
  }

  private Tally tallyOf(List<RawPeer> group) {
    return group == slowFramePeers ? slowFrames : group == oversizePeers ? oversize : garbage;
  }

  private RawPeer held(List<RawPeer> group, RawPeer p) {
    synchronized (group) {
      group.add(p);
    }
    synchronized (open) {
      open.add(p);
    }
    return p;
  }

  private static List<RawPeer> snapshot(List<RawPeer> group) {
    synchronized (group) {
      return new ArrayList<>(group);
    }
  }

  /** Sends {@code bytes} one at a time, one every {@code periodMillis}, until sent, refused or the end. */
  private void trickle(RawPeer p, byte[] bytes, long periodMillis) {
    AtomicInteger next = new AtomicInteger();
    trickle.scheduleAtFixedRate(() -> {
      int i = next.getAndIncrement();
      if (i >= bytes.length || System.nanoTime() > end || !p.send(new byte[] {bytes[i]})) {
        throw new CancellationException("done"); // ends this periodic task
      }
    }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  /** The channel's publisher count from the API, or -1 when the API does not answer within 2 s. */
  private int publishers(String channel) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/api/channels/" + channel)).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 404 ? 0 : JSON.readTree(r.body()).path("publishers").asInt(-1);
    } catch (Exception e) {
      return -1;
    }
  }

  private interface Attack {
    void run() throws Exception;
  }

  /** Runs an attack; an exception in the attacker is recorded in its tally, not thrown. */
  private static void guarded(Tally t, Attack a) {
    try {
      a.run();
    } catch (Exception | AssertionError e) {
      t.answer("attack stopped: " + e, -1);
    }
  }

  /** Parks until the given time; paces the attack waves, never synchronises anything. */
  private static void parkUntil(long nanoTime) {
    for (int i = 0; i < 10_000; i++) {
      long wait = nanoTime - System.nanoTime();
      if (wait <= 0) {
        return;
      }
      LockSupport.parkNanos(wait);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
