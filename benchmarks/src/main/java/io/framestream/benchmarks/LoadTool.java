package io.framestream.benchmarks;

import io.framestream.benchmarks.ViewerClients.Kind;
import io.framestream.benchmarks.ViewerClients.Viewer;
import io.framestream.benchmarks.peers.NettyRelay;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The end-to-end load tool: starts {@link BenchServer} in its own JVM, one publisher and many viewers on a
 * few selector threads ({@link ViewerClients}), measures delivery, latency, gaps, evictions and the server's
 * CPU, RSS, heap and allocation, then runs the same fan-out through {@link RawFanoutServer} for a baseline,
 * and prints a table, then one table per scenario with a row per peer (framestream, the Node and Netty relays,
 * raw TCP) and the ratios of each to the Node relay. The cross-node scenario ({@code X2}) starts a {@code nats-server} and two servers
 * joined through it, publishes to the first and splits the viewers between both, so that the latency the
 * NATS hop adds is the difference between the two nodes' viewers in the same run.
 *
 * <pre>
 * --scenarios S1,S2,...   standard scenarios (default: S1..S6); SMOKE is a short sanity run; X2 is S2's load
 *                         over two nodes joined through a nats-server (skipped if nats-server is missing); S4N is
 *                         S4 without its stalled viewers, in as long a window (the baseline of S4's p99;
 *                         framestream only)
 * --ws N --sse M --stalled-ws K --stalled-sse K --size BYTES --fps F --seconds S [--raw]   a custom scenario
 * --scale X               multiplies every duration (e.g. 0.3 while developing)
 * --repeat N              runs each scenario N times, the peers in the order of the next row of a balanced
 *                         Latin square each time (no peer always first, or always after the same one)
 * --portable              serves WebSocket viewers through the portable Jakarta send path (no fast path)
 * --compare               runs each scenario with the fast path and with the portable path
 * --threads N             viewer selector threads (default 2)
 * --max-in-flight N       frames in flight per viewer on the server's channel (default 1, as shipped)
 * --timeline              prints, per second of each measured window, how many frames some viewer got later
 *                         than the window's p99 (where in the window the slow frames were)
 * --ramp-p99-ms MS        a ramp step counts as sustained only if 99 % of its frames reached their viewers within
 *                         MS (default 50), a missed frame counting as never arrived: one rule for a relay that
 *                         drops under overload (framestream) and one that queues (raw TCP)
 * --warmup S              seconds of load before measuring (default 5; the server's JIT needs them)
 * --tool-warmup S         seconds of load that warm the load tool itself before its first scenario (default
 *                         10; 0 skips): without them the first peer measured (framestream) shares the cores
 *                         with a tool still compiling its readers, which costs it latency the others do not pay
 * --peers a,b,...         what runs side by side in each scenario (default: framestream,node,netty,raw):
 *                         framestream, framestream-jetty (framestream's endpoints on an embedded Jetty 12), node (a
 *                         relay on the npm ws package, benchmarks/node-relay; skipped with one line where node is
 *                         missing), netty (the plain Netty relay), raw (the raw TCP relay, where the scenario has
 *                         its baseline); the Node relay also serves SSE, the Netty relay WebSocket only, so
 *                         scenarios with SSE viewers show Netty as n/a
 * </pre>
 *
 * <h2>Thread safety</h2>
 *
 * A main class; runs scenarios one after another on the calling thread.
 */
public final class LoadTool {

  private final int threads;
  private final PrintStream out;
  private final long warmupMillis;
  private final int maxInFlight;
  private final double rampP99BoundMillis;
  private boolean timeline;

  LoadTool(int threads, PrintStream out, double warmupSeconds, int maxInFlight, double rampP99BoundMillis) {
    this.maxInFlight = maxInFlight;
    this.rampP99BoundMillis = rampP99BoundMillis;
    this.threads = threads;
    this.out = out;
    this.warmupMillis = (long) (warmupSeconds * 1000);
  }

  /**
   * Runs the tool.
   *
   * @param args see the class description
   * @throws Exception if a server cannot be started
   */
  public static void main(String[] args) throws Exception {
    List<Result> results = run(args, System.out);
    System.out.println();
    if (results.stream().anyMatch(r -> !r.peer)) {
      System.out.println(table(results));
    }
    String peers = peerTables(results);
    if (!peers.isEmpty()) {
      System.out.println(peers);
    }
    String medians = medianTable(results);
    if (!medians.isEmpty()) {
      System.out.println(medians);
    }
    String crossNode = crossNodeTable(results);
    if (!crossNode.isEmpty()) {
      System.out.println(crossNode);
    }
    System.exit(0);
  }

  /** Runs what {@code args} asks for and returns every result (also used by the smoke test). */
  static List<Result> run(String[] args, PrintStream out) throws Exception {
    String scenarios = "S1,S2,S3,S4,S5,S6";
    double scale = 1;
    int repeat = 1;
    int threads = 2;
    boolean portable = false;
    boolean compare = false;
    int ws = -1;
    int sse = 0;
    int stalledWs = 0;
    int stalledSse = 0;
    int size = 50_000;
    double fps = 30;
    double seconds = 10;
    boolean raw = false;
    double warmup = 5;
    double toolWarmup = 10;
    boolean timeline = false;
    int maxInFlight = 1;
    double rampP99 = 50;
    Set<String> peers = Peers.parse(String.join(",", Peers.DEFAULT));
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--scenarios": scenarios = args[++i]; break;
        case "--scale": scale = Double.parseDouble(args[++i]); break;
        case "--repeat": repeat = Integer.parseInt(args[++i]); break;
        case "--threads": threads = Integer.parseInt(args[++i]); break;
        case "--portable": portable = true; break;
        case "--compare": compare = true; break;
        case "--ws": ws = Integer.parseInt(args[++i]); break;
        case "--sse": sse = Integer.parseInt(args[++i]); break;
        case "--stalled-ws": stalledWs = Integer.parseInt(args[++i]); break;
        case "--stalled-sse": stalledSse = Integer.parseInt(args[++i]); break;
        case "--size": size = Integer.parseInt(args[++i]); break;
        case "--fps": fps = Double.parseDouble(args[++i]); break;
        case "--seconds": seconds = Double.parseDouble(args[++i]); break;
        case "--raw": raw = true; break;
        case "--warmup": warmup = Double.parseDouble(args[++i]); break;
        case "--tool-warmup": toolWarmup = Double.parseDouble(args[++i]); break;
        case "--max-in-flight": maxInFlight = Integer.parseInt(args[++i]); break;
        case "--ramp-p99-ms": rampP99 = Double.parseDouble(args[++i]); break;
        case "--timeline": timeline = true; break;
        case "--peers": peers = Peers.parse(args[++i]); break;
        default: throw new IllegalArgumentException("unknown argument " + args[i] + " (see LoadTool's Javadoc)");
      }
    }
    List<Scenario> list = new ArrayList<>();
    if (ws >= 0) {
      list.add(new Scenario("CUSTOM", ws, sse, stalledWs, stalledSse, size, fps, seconds, raw, false));
    } else {
      Map<String, Scenario> std = Scenario.standard();
      for (String n : scenarios.split(",")) {
        Scenario s = std.get(n.trim().toUpperCase(Locale.ROOT));
        if (s == null) {
          throw new IllegalArgumentException("unknown scenario " + n + "; known: " + std.keySet());
        }
        list.add(s.scaled(scale));
      }
    }
    LoadTool tool = new LoadTool(threads, out, warmup, maxInFlight, rampP99);
    tool.timeline = timeline;
    Optional<Path> nodeRelay = peers.contains(Peers.NODE) ? Peers.prepareNode(out) : Optional.empty();
    if (toolWarmup > 0 && !list.isEmpty()) {
      tool.warmUpTool((long) (toolWarmup * 1000));
    }
    List<Result> results = new ArrayList<>();
    for (int r = 0; r < repeat; r++) {
      for (Scenario s : list) {
        if (s.nodes() > 1) {
          results.addAll(tool.crossNode(s));
          continue;
        }
        List<Result> rows = tool.repetition(s, r, peers, portable, compare, nodeRelay);
        for (Result row : rows) {
          row.repetition = r;
        }
        results.addAll(rows);
      }
    }
    return results;
  }

  /**
   * Runs one repetition of a scenario on every peer asked for and returns their rows in the canonical order
   * (framestream's paths, raw TCP, the Node relay, the Netty relay). The peers run in the order of row {@code
   * repetition} of a balanced Latin square over them ({@link #runOrder}): a peer measured right after another
   * starts on the machine that one left (its sockets in TIME_WAIT, the kernel's caches, another tenant's burst),
   * and a fixed order gave framestream the first place, and each peer the same predecessor, every time. Over as
   * many repetitions as there are peers (twice as many for an odd count) each peer runs equally often in every
   * place and after every other peer; fewer repetitions balance part of that (with {@code --repeat 3} and four
   * peers, three of them go first once each).
   */
  private List<Result> repetition(Scenario s, int repetition, Set<String> peers, boolean portable, boolean compare,
      Optional<Path> nodeRelay) throws Exception {
    List<Result> fs = new ArrayList<>();
    Result[] baseline = new Result[1];
    List<Result> relays = new ArrayList<>();
    List<Step> steps = new ArrayList<>();
    if (peers.contains(Peers.FRAMESTREAM) && (compare || !portable)) {
      steps.add(() -> fs.add(frameStream(s, false)));
    }
    if (peers.contains(Peers.FRAMESTREAM) && (compare || portable)) {
      steps.add(() -> fs.add(frameStream(s, true)));
    }
    if (peers.contains(Peers.FRAMESTREAM_JETTY)) {
      steps.add(() -> fs.add(frameStream(s, false, true)));
    }
    boolean anyFrameStream = !steps.isEmpty();
    boolean relaysRun = !s.frameStreamOnly();
    if (relaysRun && s.raw() && (peers.contains(Peers.RAW) || anyFrameStream)) {
      steps.add(() -> baseline[0] = rawBaseline(s));
    }
    if (relaysRun && peers.contains(Peers.NODE) && nodeRelay.isPresent()) {
      steps.add(() -> relays.add(relay(s, Peers.NODE_MODE, nodeRelay.get())));
    }
    if (relaysRun && peers.contains(Peers.NETTY)) {
      steps.add(() -> relays.add(relay(s, Peers.NETTY_MODE, null)));
    }
    for (int i : runOrder(steps.size(), repetition)) {
      steps.get(i).run();
    }
    // fs and relays were filled in run order: put them back in the canonical one.
    fs.sort(java.util.Comparator.comparingInt(LoadTool::frameStreamOrder));
    relays.sort(java.util.Comparator.comparingInt(row -> Peers.NODE_MODE.equals(row.mode) ? 0 : 1));
    for (Result f : fs) {
      f.rawCpuPerGb = baseline[0] == null ? Double.NaN : baseline[0].cpuPerGb();
      // A raw relay that sustained no step (one latency spike in its first) gives no ratio, not an infinite one.
      f.rawMaxMbPerSecond = baseline[0] == null || !(baseline[0].maxMbPerSecond > 0) ? Double.NaN
          : baseline[0].maxMbPerSecond;
    }
    List<Result> rows = new ArrayList<>(fs);
    if (!relaysRun) {
      String why = "n/a: " + s.name() + " is the baseline of framestream's stalled-viewer p99";
      for (String[] peer : new String[][] {{Peers.RAW, Peers.RAW_MODE}, {Peers.NODE, Peers.NODE_MODE},
          {Peers.NETTY, Peers.NETTY_MODE}}) {
        if (peers.contains(peer[0])) {
          rows.add(notRun(s, peer[1], why));
        }
      }
      return rows;
    }
    if (peers.contains(Peers.RAW) && baseline[0] != null) {
      baseline[0].peer = true;
      rows.add(baseline[0]);
    } else if (peers.contains(Peers.RAW)) {
      rows.add(notRun(s, Peers.RAW_MODE, s.stalledWs() + s.stalledSse() > 0
          ? "n/a: its blocking writes would wait on the stalled viewers" : "n/a: no raw baseline in this scenario"));
    }
    if (peers.contains(Peers.NODE) && nodeRelay.isEmpty()) {
      rows.add(notRun(s, Peers.NODE_MODE, "skipped: node not found or not installed"));
    }
    rows.addAll(relays);
    return rows;
  }

  /**
   * Row {@code repetition} of a Williams design for {@code n} treatments: a Latin square in which, over its rows,
   * every treatment takes every place equally often and follows every other treatment equally often ({@code n}
   * rows for even {@code n}; for odd {@code n}, those rows and their reverses, {@code 2n}). Row 0 is 0, 1, n-1,
   * 2, n-2, ...; row r adds r to each entry, modulo n. Rows repeat after the last.
   */
  static int[] runOrder(int n, int repetition) {
    int[] base = new int[n];
    for (int j = 1; j < n; j++) {
      base[j] = j % 2 == 1 ? (j + 1) / 2 : n - j / 2;
    }
    int rows = n % 2 == 0 ? n : 2 * n;
    int r = n == 0 ? 0 : Math.floorMod(repetition, rows);
    int[] order = new int[n];
    for (int j = 0; j < n; j++) {
      order[j] = r < n ? (base[j] + r) % n : (base[n - 1 - j] + r - n) % n; // past n: row r - n reversed
    }
    return order;
  }

  /** framestream's rows in the order their steps are made: the fast path, the portable path, on Jetty. */
  private static int frameStreamOrder(Result row) {
    return row.mode.endsWith("portable") ? 1 : row.mode.contains("jetty") ? 2 : 0;
  }

  /** One peer's run within a repetition. */
  @FunctionalInterface
  private interface Step {
    void run() throws Exception;
  }

  /**
   * Warms the tool's own code (publisher, WebSocket and SSE readers, histograms) with a load on the framestream
   * server that nothing measures, so that every peer, the first included, is measured by a compiled tool. It
   * uses the framestream server whatever {@code --peers} says (it serves both viewer kinds), and is not scaled.
   */
  void warmUpTool(long millis) throws Exception {
    out.printf(Locale.ROOT, "warming up the load tool: 20 WS + 20 SSE viewers, 50000 B at 30 fps, %d s, not measured%n",
        millis / 1000);
    try (ServerProcess server = ServerProcess.launch(BenchServer.class, "512m");
        ViewerClients clients = new ViewerClients(threads);
        Publisher pub = Publisher.webSocket(server.address(), "/ws/publish/" + BenchServer.CHANNEL, 50_000, 30)) {
      List<Viewer> viewers = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        viewers.add(clients.open(Kind.WS, server.address(), "/ws/live/" + BenchServer.CHANNEL, false));
        viewers.add(clients.open(Kind.SSE, server.address(), "/sse/" + BenchServer.CHANNEL + "?format=base64", false));
      }
      awaitConnected(viewers, 60_000);
      clients.window(pub.nextSeq()); // counts and records, as a measured window does
      sleep(millis);
    }
  }

  /** A peer's row for a scenario it does not run in. */
  private static Result notRun(Scenario s, String mode, String why) {
    Result r = new Result();
    r.scenario = s.name();
    r.mode = mode;
    r.peer = true;
    r.note = why;
    return r;
  }

  /**
   * One scenario against a relay peer in its own process: the Node relay (started in {@code nodeDirectory})
   * or the Netty relay (in its own JVM with the framestream server's heap flags). The Node relay serves SSE
   * too (at the same path and query as framestream, {@code /sse/{channel}?format=base64}), healthy and
   * stalled SSE viewers included; the Netty relay serves WebSocket only: scenarios with healthy SSE viewers
   * give it an "n/a" row and its stalled SSE viewers are left out. Ramps give an "n/a" row for both.
   */
  Result relay(Scenario s, String mode, Path nodeDirectory) throws Exception {
    boolean sse = nodeDirectory != null;
    if (!sse && (s.sse() > 0 || s.ws() == 0)) {
      return notRun(s, mode, "n/a: WebSocket-only relay, the scenario has SSE viewers");
    }
    if (s.ramp()) {
      return notRun(s, mode, "n/a: ramps run framestream and raw TCP only");
    }
    int sseViewers = sse ? s.sse() : 0;
    int stalledSse = sse ? s.stalledSse() : 0;
    out.printf(Locale.ROOT, "%s on %s: %d WS + %d SSE viewers, %d+%d stalled, %d B at %.0f fps, %.0f s%n", s.name(),
        mode, s.ws(), sseViewers, s.stalledWs(), stalledSse, s.size(), s.fps(), s.seconds());
    ServerProcess server = sse ? Peers.launchNode(nodeDirectory)
        : ServerProcess.launch(NettyRelay.class, heapMb(s) + "m", "0");
    try (server;
        ViewerClients clients = new ViewerClients(threads);
        Publisher pub = Publisher.webSocket(server.address(), "/ws/publish/" + BenchServer.CHANNEL, s.size(), s.fps())) {
      String live = "/ws/live/" + BenchServer.CHANNEL;
      String events = "/sse/" + BenchServer.CHANNEL + "?format=base64";
      sleep(500);
      List<Viewer> healthy = new ArrayList<>();
      List<Viewer> stalled = new ArrayList<>();
      for (int i = 0; i < s.ws(); i++) {
        healthy.add(clients.open(Kind.WS, server.address(), live, false));
      }
      for (int i = 0; i < sseViewers; i++) {
        healthy.add(clients.open(Kind.SSE, server.address(), events, false));
      }
      for (int i = 0; i < s.stalledWs(); i++) {
        stalled.add(clients.open(Kind.WS, server.address(), live, true));
      }
      for (int i = 0; i < stalledSse; i++) {
        stalled.add(clients.open(Kind.SSE, server.address(), events, true));
      }
      awaitConnected(healthy, 60_000);
      sleep(warmupMillis);
      Result r = measure(s, mode, server, clients, healthy, stalled, pub, s.seconds(), false);
      r.peer = true;
      r.stalled = stalled.size();
      r.startupMillis = server.startupMillis();
      if (pub.failure() != null) {
        out.println("  publisher failed: " + pub.failure());
      }
      out.println("  " + summary(r));
      return r;
    }
  }

  private static int heapMb(Scenario s) {
    return s.healthy() > 500 ? 1024 : 512;
  }

  /** One scenario against the embedded framestream server. */
  Result frameStream(Scenario s, boolean portable) throws Exception {
    return frameStream(s, portable, false);
  }

  /**
   * One scenario against framestream: the embedded server ({@link BenchServer}) or, with {@code jetty},
   * its endpoints on an embedded Jetty ({@link JettyBenchServer}, mode {@code framestream-jetty}).
   */
  Result frameStream(Scenario s, boolean portable, boolean jetty) throws Exception {
    String mode = jetty ? Peers.FRAMESTREAM_JETTY : "framestream" + (portable ? "/portable" : "");
    out.printf(Locale.ROOT, "%s on %s: %d WS + %d SSE viewers, %d+%d stalled, %d B at %.0f fps, %.0f s%n", s.name(),
        mode, s.ws(), s.sse(), s.stalledWs(), s.stalledSse(), s.size(), s.fps(), s.seconds());
    Result result;
    int heapMb = heapMb(s);
    List<String> serverArgs = new ArrayList<>(List.of("--max-in-flight", Integer.toString(maxInFlight)));
    if (portable) {
      serverArgs.add("--portable");
    }
    try (ServerProcess server = ServerProcess.launch(jetty ? JettyBenchServer.class : BenchServer.class, heapMb + "m",
        serverArgs.toArray(new String[0]));
        ViewerClients clients = new ViewerClients(threads)) {
      String live = "/ws/live/" + BenchServer.CHANNEL;
      String events = "/sse/" + BenchServer.CHANNEL + "?format=base64";
      try (Publisher pub = Publisher.webSocket(server.address(), "/ws/publish/" + BenchServer.CHANNEL, s.size(), s.fps())) {
        sleep(500);
        long heapIdle = server.stats(true).getOrDefault("heapUsed", -1L);
        List<Viewer> healthy = new ArrayList<>();
        List<Viewer> stalled = new ArrayList<>();
        // Calibration: what a frame costs with one viewer of each kind (ingest, the per-frame encodings, one
        // send each), so that the rest of the allocation can be charged to the other viewers.
        if (s.ws() > 0) {
          healthy.add(clients.open(Kind.WS, server.address(), live, false));
        }
        if (s.sse() > 0) {
          healthy.add(clients.open(Kind.SSE, server.address(), events, false));
        }
        awaitConnected(healthy, 10_000);
        sleep(500);
        long alloc0 = server.stats(false).getOrDefault("allocated", -1L);
        long seq0 = pub.nextSeq();
        sleep(1000);
        double allocPerFrame = (server.stats(false).getOrDefault("allocated", -1L) - alloc0)
            / (double) Math.max(1, pub.nextSeq() - seq0);
        int calibration = healthy.size();
        for (int i = 1; i < Math.max(s.ws(), s.sse()); i++) {
          if (i < s.ws()) {
            healthy.add(clients.open(Kind.WS, server.address(), live, false));
          }
          if (i < s.sse()) {
            healthy.add(clients.open(Kind.SSE, server.address(), events, false));
          }
        }
        for (int i = 0; i < s.stalledWs(); i++) {
          stalled.add(clients.open(Kind.WS, server.address(), live, true));
        }
        for (int i = 0; i < s.stalledSse(); i++) {
          stalled.add(clients.open(Kind.SSE, server.address(), events, true));
        }
        awaitConnected(healthy, 60_000);
        sleep(warmupMillis); // warm up with viewers attached: the JIT compilers are busy for seconds
        long heapConnected = server.stats(true).getOrDefault("heapUsed", -1L);
        if (s.ramp()) {
          result = ramp(s, mode, server, clients, healthy, pub);
        } else {
          result = measure(s, mode, server, clients, healthy, stalled, pub, s.seconds(), true);
        }
        result.heapIdle = heapIdle;
        result.allocPerFrameCalibration = allocPerFrame;
        result.calibrationViewers = calibration;
        result.heapConnected = heapConnected;
        result.startupMillis = server.startupMillis();
        result.stalled = stalled.size();
        if (pub.failure() != null) {
          out.println("  publisher failed: " + pub.failure());
        }
      }
    }
    out.println("  " + summary(result));
    return result;
  }

  private Result ramp(Scenario s, String mode, ServerProcess server, ViewerClients clients, List<Viewer> healthy,
      Publisher pub) {
    Result best = null;
    double noMiss = 0;
    boolean strict = true;
    double fps = s.fps();
    while (fps <= 4000) {
      pub.fps(fps);
      sleep(500);
      Result step = measure(s, mode, server, clients, healthy, List.of(), pub, s.seconds(), server != null);
      step.fps = fps;
      String failed = unsustained(step, healthy.size(), fps, rampP99BoundMillis);
      boolean ok = failed.isEmpty();
      out.printf(Locale.ROOT, "    %s %.0f fps: %.1f MB/s, missed %d (%.3f %%), p99 %.1f ms, counting misses as late %.1f ms%s%n",
          mode, fps, step.mbPerSecond(), step.missedTotal,
          100.0 * step.missedTotal / Math.max(1, step.missedTotal + step.delivered), step.p99, step.p99CountingMisses,
          ok ? "" : " -> stop (" + failed + ")");
      if (!ok) {
        break;
      }
      strict &= step.missedTotal == 0;
      if (strict) {
        noMiss = step.mbPerSecond();
      }
      best = step;
      fps *= 1.5;
    }
    if (best == null) {
      best = new Result();
      best.scenario = s.name();
      best.mode = mode;
      best.seconds = 1;
      best.maxMbPerSecond = 0;
      return best;
    }
    best.maxMbPerSecond = best.mbPerSecond();
    out.printf(Locale.ROOT, "    %s sustained %.1f MB/s; with no frame missed at all, %.1f MB/s%n", mode,
        best.maxMbPerSecond, noMiss);
    return best;
  }

  /**
   * Whether a ramp step was sustained: every viewer stayed connected, the publisher kept (nearly) the asked rate,
   * and 99 % of the frames due reached their viewers within {@code p99BoundMillis}, a missed frame counting as
   * one that never arrived ({@link Result#p99CountingMisses}). One rule for both ways a relay can give way: one
   * that drops for a busy viewer (framestream: newest frame wins) shows overload as misses, one that queues (raw
   * TCP's blocking writes) as a growing delay; each may spend the same 1 % of late-or-missing frames.
   */
  static boolean sustained(Result step, int viewers, double fps, double p99BoundMillis) {
    return unsustained(step, viewers, fps, p99BoundMillis).isEmpty();
  }

  /** Why a ramp step was not sustained (every condition it failed), or an empty string if it was. */
  static String unsustained(Result step, int viewers, double fps, double p99BoundMillis) {
    List<String> failed = new ArrayList<>();
    if (step.connected != viewers) {
      failed.add((viewers - step.connected) + " viewer(s) lost");
    }
    if (step.framesPublished < 0.95 * fps * step.seconds) {
      failed.add("publisher below 95 % of the rate");
    }
    double p99 = step.p99CountingMisses;
    if (!(p99 <= p99BoundMillis)) { // NaN (nothing due) fails too
      failed.add(Double.isNaN(p99) ? "no latency measured" : Double.isInfinite(p99) ? "over 1 % of frames missed"
          : String.format(Locale.ROOT, "p99 above %.0f ms", p99BoundMillis));
    }
    return String.join(", ", failed);
  }

  /** The same healthy fan-out through the raw TCP server. */
  Result rawBaseline(Scenario s) throws Exception {
    try (ServerProcess server = ServerProcess.launch(RawFanoutServer.class, "512m");
        ViewerClients clients = new ViewerClients(threads);
        Publisher pub = Publisher.raw(server.address(), s.size(), s.fps())) {
      List<Viewer> viewers = new ArrayList<>();
      for (int i = 0; i < s.healthy(); i++) {
        viewers.add(clients.open(Kind.RAW, server.address(), "", false));
      }
      sleep(Math.min(warmupMillis, 2000));
      Result r = s.ramp() ? ramp(s, "raw-tcp", null, clients, viewers, pub)
          : measure(s, "raw-tcp", server, clients, viewers, List.of(), pub, s.seconds(), false);
      out.println("  raw " + summary(r));
      return r;
    }
  }

  private Result measure(Scenario s, String mode, ServerProcess server, ViewerClients clients, List<Viewer> healthy,
      List<Viewer> stalled, Publisher pub, double seconds, boolean benchStats) {
    Result r = new Result();
    r.scenario = s.name();
    r.mode = mode;
    r.viewers = healthy.size();
    r.fps = s.fps();
    Map<String, Long> before = benchStats ? server.stats(false) : Map.of();
    double cpu0 = server == null ? Double.NaN : server.cpuSeconds();
    double sys0 = server == null ? Double.NaN : server.systemCpuSeconds();
    double tool0 = ServerProcess.cpuSeconds(Path.of("/proc/self/stat"));
    r.rssStart = server == null ? -1 : server.rssBytes();
    Map<Long, ThreadGroups.Sample> threads0 = server == null ? Map.of() : ThreadGroups.snapshot(server.pid());
    long t0 = System.nanoTime();
    // The frame numbered nextSeq() may already be on its way (the publisher counts a frame once written):
    // start after it, or viewers that got it before the window opened would count it as missed.
    ViewerClients.Window w = clients.window(pub.nextSeq() + 1, timeline);
    sleep((long) (seconds * 1000));
    long end = pub.nextSeq();
    w.endSeq = end;
    r.seconds = (System.nanoTime() - t0) / 1e9;
    r.serverCpu = server == null ? Double.NaN : server.cpuSeconds() - cpu0;
    r.serverSysCpu = server == null ? Double.NaN : server.systemCpuSeconds() - sys0;
    r.toolCpu = ServerProcess.cpuSeconds(Path.of("/proc/self/stat")) - tool0;
    if (server != null) {
      r.threads = ThreadGroups.delta(threads0, ThreadGroups.snapshot(server.pid()));
    }
    Map<String, Long> after = benchStats ? server.stats(false) : Map.of();
    r.rssEnd = server == null ? -1 : server.rssBytes();
    sleep(1000); // let the window's last frames arrive
    tally(r, s, healthy, w, end, w.merged());
    if (w.worstBySeq != null) {
      out.println("  " + mode + " " + timeline(w, end, r.framesPublished / Math.max(1e-9, r.seconds), r.p99));
    }
    for (Viewer v : stalled) {
      if (v.closed) {
        r.stalledClosed++;
      }
    }
    if (benchStats) {
      r.evictions = after.getOrDefault("evictions", -1L);
      r.evictionsBeforeWindow = before.getOrDefault("evictions", -1L);
      r.allocated = after.getOrDefault("allocated", -1L) - before.getOrDefault("allocated", 0L);
      r.heapAfterGc = server.stats(true).getOrDefault("heapUsed", -1L); // after the CPU window: its GC is not counted
    }
    if (!r.threads.isEmpty()) {
      out.println("  " + mode + " " + ThreadGroups.describe(r.threads, r.framesPublished, r.delivered));
    }
    return r;
  }

  /**
   * Where the window's slow frames were: per second of the window (at {@code fps}, the rate the window published),
   * how many frames at least one viewer received later than {@code p99Millis}, the window's p99 over every
   * delivery. A frame counts once however many viewers got it late. The last slice may be shorter than a second;
   * a window longer than the record ({@link ViewerClients.Window#TIMELINE_FRAMES} frames) is cut, and says so.
   */
  static String timeline(ViewerClients.Window w, long end, double fps, double p99Millis) {
    StringBuilder sb = new StringBuilder("frames some viewer got later than the p99, per second:");
    long published = end - w.startSeq;
    int frames = (int) Math.min(published, w.worstBySeq.length());
    int perSecond = Math.max(1, (int) Math.round(fps));
    for (int first = 0; first < frames; first += perSecond) {
      int above = 0;
      for (int i = first; i < Math.min(frames, first + perSecond); i++) {
        above += w.worstBySeq.get(i) > p99Millis * 1000 ? 1 : 0;
      }
      sb.append(' ').append(above);
    }
    if (published > frames) {
      sb.append(" (the first ").append(frames).append(" of ").append(published).append(" frames)");
    }
    return sb.toString();
  }

  /** Counts what {@code healthy} received in window {@code w} (which ended before {@code end}), with latencies {@code h}. */
  private static void tally(Result r, Scenario s, List<Viewer> healthy, ViewerClients.Window w, long end, Histogram h) {
    r.framesPublished = end - w.startSeq;
    for (Viewer v : healthy) {
      if (v.connected && !v.closed) {
        r.connected++;
      }
      long missed = v.countedIn == w ? v.missed + Math.max(0, end - 1 - v.lastSeq) : r.framesPublished;
      r.delivered += v.countedIn == w ? v.delivered : 0;
      r.missedTotal += missed;
      r.missedMax = Math.max(r.missedMax, missed);
    }
    r.deliveredBytes = r.delivered * (long) Math.max(s.size(), Payloads.HEADER + 2);
    r.p50 = h.percentileMillis(50);
    r.p95 = h.percentileMillis(95);
    r.p99 = h.percentileMillis(99);
    r.p99CountingMisses = h.percentileMillis(99, r.missedTotal);
    r.max = h.maxMillis();
  }

  /**
   * The cross-node scenario: a nats-server, two {@link BenchServer}s (A and B) joined through it by a
   * NatsBridge each, the publisher on A, and the viewers split in half between A and B (interleaved over the
   * selector threads, so both halves are read alike). One result per node, both from the same window; an
   * empty list (and one line saying so) when nats-server is not installed.
   */
  List<Result> crossNode(Scenario s) throws Exception {
    Optional<Path> binary = NatsProcess.find();
    if (binary.isEmpty()) {
      out.println(s.name() + ": skipped: nats-server not found (-Dnats.server=PATH, PATH, /usr/sbin, /usr/bin;"
          + " install it with 'apt-get install nats-server')");
      return List.of();
    }
    out.printf(Locale.ROOT, "%s: %d WS + %d SSE viewers split over 2 nodes joined through NATS (publisher on A), "
        + "%d B at %.0f fps, %.0f s%n", s.name(), s.ws(), s.sse(), s.size(), s.fps(), s.seconds());
    String mif = Integer.toString(maxInFlight);
    try (NatsProcess nats = NatsProcess.start(binary.get());
        ServerProcess a = ServerProcess.launch(BenchServer.class, "512m", "--max-in-flight", mif, "--nats", nats.url(),
            "--node-id", "a");
        ServerProcess b = ServerProcess.launch(BenchServer.class, "512m", "--max-in-flight", mif, "--nats", nats.url(),
            "--node-id", "b");
        ViewerClients clients = new ViewerClients(threads);
        Publisher pub = Publisher.webSocket(a.address(), "/ws/publish/" + BenchServer.CHANNEL, s.size(), s.fps())) {
      String live = "/ws/live/" + BenchServer.CHANNEL;
      String events = "/sse/" + BenchServer.CHANNEL + "?format=base64";
      List<Viewer> onA = new ArrayList<>();
      List<Viewer> onB = new ArrayList<>();
      // A, A, B, B, ...: the selector threads take viewers in turn, so each thread reads as many of A as of B.
      for (int i = 0; i < s.ws() + s.sse(); i++) {
        boolean nodeA = (i / 2) % 2 == 0;
        Kind kind = i < s.ws() ? Kind.WS : Kind.SSE;
        String path = kind == Kind.WS ? live : events;
        if (nodeA) {
          onA.add(clients.open(kind, a.address(), path, false, 0));
        } else {
          onB.add(clients.open(kind, b.address(), path, false, 1));
        }
      }
      List<Viewer> all = new ArrayList<>(onA);
      all.addAll(onB);
      awaitConnected(all, 60_000);
      sleep(warmupMillis);
      Map<String, Long> beforeA = a.stats(false);
      Map<String, Long> beforeB = b.stats(false);
      double cpuA0 = a.cpuSeconds();
      double sysA0 = a.systemCpuSeconds();
      double cpuB0 = b.cpuSeconds();
      double sysB0 = b.systemCpuSeconds();
      double nats0 = nats.cpuSeconds();
      double tool0 = ServerProcess.cpuSeconds(Path.of("/proc/self/stat"));
      long rssA0 = a.rssBytes();
      long rssB0 = b.rssBytes();
      long t0 = System.nanoTime();
      ViewerClients.Window w = clients.window(pub.nextSeq() + 1, 2);
      sleep((long) (s.seconds() * 1000));
      long end = pub.nextSeq();
      w.endSeq = end;
      double seconds = (System.nanoTime() - t0) / 1e9;
      double cpuA = a.cpuSeconds() - cpuA0;
      double sysA = a.systemCpuSeconds() - sysA0;
      double cpuB = b.cpuSeconds() - cpuB0;
      double sysB = b.systemCpuSeconds() - sysB0;
      double natsCpu = nats.cpuSeconds() - nats0;
      double toolCpu = ServerProcess.cpuSeconds(Path.of("/proc/self/stat")) - tool0;
      Map<String, Long> afterA = a.stats(false);
      Map<String, Long> afterB = b.stats(false);
      long rssA1 = a.rssBytes();
      long rssB1 = b.rssBytes();
      sleep(1000); // let the window's last frames arrive
      Result ra = new Result();
      Result rb = new Result();
      tally(ra, s, onA, w, end, w.merged(0));
      tally(rb, s, onB, w, end, w.merged(1));
      ra.mode = "node A (publisher)";
      rb.mode = "node B (via NATS)";
      ra.serverCpu = cpuA;
      ra.serverSysCpu = sysA;
      rb.serverCpu = cpuB;
      rb.serverSysCpu = sysB;
      ra.rssStart = rssA0;
      ra.rssEnd = rssA1;
      rb.rssStart = rssB0;
      rb.rssEnd = rssB1;
      ra.allocated = afterA.getOrDefault("allocated", -1L) - beforeA.getOrDefault("allocated", 0L);
      rb.allocated = afterB.getOrDefault("allocated", -1L) - beforeB.getOrDefault("allocated", 0L);
      ra.natsFrames = afterA.getOrDefault("natsFramesOut", -1L) - beforeA.getOrDefault("natsFramesOut", 0L);
      rb.natsFrames = afterB.getOrDefault("natsFramesIn", -1L) - beforeB.getOrDefault("natsFramesIn", 0L);
      ra.natsDropped = afterA.getOrDefault("natsDropped", -1L) - beforeA.getOrDefault("natsDropped", 0L);
      rb.natsDropped = afterB.getOrDefault("natsDropped", -1L) - beforeB.getOrDefault("natsDropped", 0L);
      for (Result r : List.of(ra, rb)) {
        r.scenario = s.name();
        r.viewers = r == ra ? onA.size() : onB.size();
        r.fps = s.fps();
        r.seconds = seconds;
        r.toolCpu = toolCpu;
        r.natsCpu = natsCpu;
        r.startupMillis = (r == ra ? a : b).startupMillis();
        out.println("  " + summary(r) + String.format(Locale.ROOT, ", NATS frames %s %d (dropped %d), nats-server CPU %.2f s",
            r == ra ? "out" : "in", r.natsFrames, r.natsDropped, natsCpu));
      }
      if (pub.failure() != null) {
        out.println("  publisher failed: " + pub.failure());
      }
      return List.of(ra, rb);
    }
  }

  /** The cross-node results (pairs of node A and node B) as a Markdown table with B − A; empty if none. */
  static String crossNodeTable(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i + 1 < results.size(); i++) {
      Result a = results.get(i);
      Result b = results.get(i + 1);
      if (Double.isNaN(a.natsCpu) || Double.isNaN(b.natsCpu) || !a.mode.startsWith("node A")) {
        continue;
      }
      if (sb.length() == 0) {
        sb.append("| scenario | node | viewers ok | fps/viewer | MB/s | p50 ms | p95 ms | p99 ms | max ms"
            + " | missed (max/viewer) | NATS frames (dropped) | server CPU-s (kernel %) | CPU-s/GB |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
      }
      for (Result r : List.of(a, b)) {
        sb.append(String.format(Locale.ROOT, "| %s | %s | %d/%d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %d (%d)"
                + " | %s %d (%d) | %.2f (%.0f %%) | %.3f |%n",
            r.scenario, r.mode, r.connected, r.viewers, r.deliveredFpsPerViewer(), r.mbPerSecond(), r.p50, r.p95,
            r.p99, r.max, r.missedTotal, r.missedMax, r == a ? "out" : "in", r.natsFrames, r.natsDropped,
            r.serverCpu, 100 * r.serverSysCpu / r.serverCpu, r.cpuPerGb()));
      }
      double total = a.serverCpu + b.serverCpu + a.natsCpu;
      sb.append(String.format(Locale.ROOT, "| %s | **B − A** (the hop) | | | | **%+.1f** | %+.1f | **%+.1f** | %+.1f |"
              + " | | A + B %.2f, nats-server %.2f | %.3f (all 3) |%n",
          a.scenario, b.p50 - a.p50, b.p95 - a.p95, b.p99 - a.p99, b.max - a.max, a.serverCpu + b.serverCpu,
          a.natsCpu, total / ((a.deliveredBytes + b.deliveredBytes) / 1e9)));
      i++;
    }
    return sb.toString();
  }

  private static void awaitConnected(List<Viewer> viewers, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (System.currentTimeMillis() < deadline) {
      long pending = viewers.stream().filter(v -> !v.connected && !v.closed).count();
      if (pending == 0) {
        return;
      }
      sleep(50);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static String summary(Result r) {
    return String.format(Locale.ROOT,
        "%s %s: %d/%d connected, %.1f fps/viewer, %.1f MB/s, p50/p99/max %.1f/%.1f/%.1f ms, missed %d (max %d/viewer), "
            + "CPU %.2f s (%.0f %% kernel) = %.3f s/GB, tool CPU %.2f s",
        r.scenario, r.mode, r.connected, r.viewers, r.deliveredFpsPerViewer(), r.mbPerSecond(), r.p50, r.p99, r.max,
        r.missedTotal, r.missedMax, r.serverCpu, 100 * r.serverSysCpu / r.serverCpu, r.cpuPerGb(), r.toolCpu)
        + (r.heapAfterGc < 0 ? "" : String.format(Locale.ROOT, ", RSS %.0f MB, heap after GC %.1f MB", r.rssEnd / 1e6,
            r.heapAfterGc / 1e6))
        + (r.stalled == 0 || r.evictionsBeforeWindow < 0 || r.evictions < 0 ? "" : String.format(Locale.ROOT,
            ", evictions: %d before the window and %d in it", r.evictionsBeforeWindow,
            r.evictions - r.evictionsBeforeWindow));
  }

  /**
   * One Markdown table per scenario run with a row per peer (framestream included): CPU-s per delivered GB,
   * p50/p99, missed frames and RSS, each with its ratio to the Node relay's; empty if no peer ran.
   */
  static String peerTables(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < results.size()) {
      int j = i;
      while (j < results.size() && results.get(j).scenario.equals(results.get(i).scenario)
          && results.get(j).repetition == results.get(i).repetition) {
        j++;
      }
      List<Result> group = results.subList(i, j);
      i = j;
      if (group.stream().noneMatch(r -> r.peer)) {
        continue;
      }
      Result node = group.stream().filter(r -> r.mode.equals(Peers.NODE_MODE) && r.note == null).findFirst()
          .orElse(null);
      sb.append(String.format(Locale.ROOT, "%n%s (run %d), ratios to the Node relay in brackets:%n%n",
          group.get(0).scenario, group.get(0).repetition + 1));
      sb.append("| peer | viewers ok | MB/s | CPU-s/GB | p50 ms | p99 ms | missed frames | RSS MB | RSS Δ MB"
          + " | stalled evicted |\n|---|---|---|---|---|---|---|---|---|---|\n");
      for (Result r : group) {
        if (r.note != null) {
          sb.append(String.format(Locale.ROOT, "| %s | %s | | | | | | | | |%n", r.mode, r.note));
          continue;
        }
        String stalled = r.stalled == 0 ? "-"
            : (r.peer ? r.stalledClosed : Math.max(0, r.evictions)) + "/" + r.stalled;
        sb.append(String.format(Locale.ROOT, "| %s | %d/%d | %.1f | %s | %s | %s | %s | %s | %+.1f | %s |%n",
            r.mode, r.connected, r.viewers, r.mbPerSecond(), ratio("%.3f", r.cpuPerGb(), node == null ? 0 : node.cpuPerGb()),
            ratio("%.1f", r.p50, node == null ? 0 : node.p50), ratio("%.1f", r.p99, node == null ? 0 : node.p99),
            ratio("%.0f", r.missedTotal, node == null ? 0 : node.missedTotal),
            ratio("%.0f", r.rssEnd / 1e6, node == null ? 0 : node.rssEnd / 1e6), (r.rssEnd - r.rssStart) / 1e6,
            stalled));
      }
    }
    return sb.toString();
  }

  /**
   * With {@code --repeat} N &gt; 1: one Markdown table with a row per scenario and peer, each column the median
   * of the N runs taken separately (CPU-s/GB, p50, p99, missed frames, RSS, heap after GC, context switches per
   * frame), and the median CPU-s/GB as a ratio to the Node relay's, the raw TCP relay's and the Netty relay's
   * medians. Empty without repeats.
   */
  static String medianTable(List<Result> results) {
    if (results.stream().noneMatch(r -> r.repetition > 0)) {
      return "";
    }
    Map<String, Map<String, List<Result>>> byScenario = new java.util.LinkedHashMap<>();
    for (Result r : results) {
      if (r.note == null && r.scenario != null && Double.isNaN(r.natsCpu)) {
        byScenario.computeIfAbsent(r.scenario, k -> new java.util.LinkedHashMap<>())
            .computeIfAbsent(r.mode, k -> new ArrayList<>()).add(r);
      }
    }
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%nMedians of the runs of each scenario and peer"
        + " (each column separately; CPU-s/GB also as a ratio to the Node, raw TCP and Netty medians):%n%n"));
    sb.append("| scenario | peer | runs | MB/s | CPU-s/GB | × Node | × raw | × Netty | p50 ms | p99 ms | missed frames"
        + " | RSS MB (Δ) | heap after GC MB | ctx switches/frame | stalled evicted | max sustained MB/s (× raw) |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Map.Entry<String, Map<String, List<Result>>> e : byScenario.entrySet()) {
      Map<String, List<Result>> peers = e.getValue();
      double node = median(peers.getOrDefault(Peers.NODE_MODE, List.of()), Result::cpuPerGb);
      double raw = median(peers.getOrDefault(Peers.RAW_MODE, List.of()), Result::cpuPerGb);
      double netty = median(peers.getOrDefault(Peers.NETTY_MODE, List.of()), Result::cpuPerGb);
      for (Map.Entry<String, List<Result>> p : peers.entrySet()) {
        List<Result> runs = p.getValue();
        double cpu = median(runs, Result::cpuPerGb);
        double heap = median(runs, r -> r.heapAfterGc < 0 ? Double.NaN : r.heapAfterGc / 1e6);
        Result first = runs.get(0);
        String stalled = first.stalled == 0 ? "-" : String.format(Locale.ROOT, "%.0f/%d",
            median(runs, r -> r.peer && !r.mode.equals(Peers.FRAMESTREAM_JETTY) ? r.stalledClosed : r.evictions),
            first.stalled);
        sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.3f | %s | %s | %s | %.1f | %.1f | %.0f"
                + " | %.0f (%+.1f) | %s | %.1f | %s | %s |%n",
            e.getKey(), p.getKey(), runs.size(), median(runs, Result::mbPerSecond), cpu, times(cpu, node),
            times(cpu, raw), times(cpu, netty), median(runs, r -> r.p50), median(runs, r -> r.p99),
            median(runs, r -> r.missedTotal), median(runs, r -> r.rssEnd / 1e6),
            median(runs, r -> (r.rssEnd - r.rssStart) / 1e6), Double.isNaN(heap) ? "-"
                : String.format(Locale.ROOT, "%.0f", heap),
            median(runs, r -> r.threads.values().stream().mapToLong(ThreadGroups.Delta::switches).sum()
                / (double) Math.max(1, r.framesPublished)), stalled,
            Double.isNaN(first.maxMbPerSecond) ? "-" : String.format(Locale.ROOT, "%.0f (%.2f)",
                median(runs, r -> r.maxMbPerSecond), median(runs, r -> r.maxMbPerSecond / r.rawMaxMbPerSecond))));
      }
    }
    sb.append(String.format(Locale.ROOT, "%nServer CPU-s per delivered GB by thread group (medians; JVM peers also"
        + " show the JIT compilers and GC/VM threads, fixed costs that do not grow with frames or viewers):%n%n"));
    sb.append("| scenario | peer |");
    for (String g : ThreadGroups.GROUPS) {
      sb.append(' ').append(g).append(" |");
    }
    sb.append("\n|---|---|").append("---|".repeat(ThreadGroups.GROUPS.size())).append('\n');
    for (Map.Entry<String, Map<String, List<Result>>> e : byScenario.entrySet()) {
      for (Map.Entry<String, List<Result>> p : e.getValue().entrySet()) {
        if (p.getValue().get(0).threads.isEmpty()) {
          continue;
        }
        sb.append("| ").append(e.getKey()).append(" | ").append(p.getKey()).append(" |");
        for (String g : ThreadGroups.GROUPS) {
          double v = median(p.getValue(), r -> r.threads.containsKey(g)
              ? r.threads.get(g).cpu() / (r.deliveredBytes / 1e9) : Double.NaN);
          sb.append(Double.isNaN(v) ? " |" : String.format(Locale.ROOT, " %.3f |", v));
        }
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  private static String times(double value, double reference) {
    return Double.isNaN(reference) || reference <= 0 ? "-" : String.format(Locale.ROOT, "%.2f", value / reference);
  }

  /** The median of {@code f} over {@code runs} (NaN values left out; NaN if none). */
  static double median(List<Result> runs, java.util.function.ToDoubleFunction<Result> f) {
    double[] v = runs.stream().mapToDouble(f).filter(x -> !Double.isNaN(x)).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** {@code value} formatted, with "(× value/reference)" when the reference is a positive number. */
  private static String ratio(String format, double value, double reference) {
    String v = String.format(Locale.ROOT, format, value);
    return reference > 0 && !Double.isNaN(value) ? v + String.format(Locale.ROOT, " (%.2f)", value / reference) : v;
  }

  /** The results as a Markdown table. */
  static String table(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| scenario | path | viewers ok | fps/viewer | MB/s | p50 ms | p95 ms | p99 ms | max ms | missed/viewer (max)"
        + " | stalled evicted | server CPU-s/GB | raw TCP CPU-s/GB | × raw | max MB/s (× raw) | RSS MB (Δ) | heap/viewer KB"
        + " | alloc B/viewer/frame (per frame, 1 viewer/kind) | start-up ms | tool CPU % |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      if (r.peer) {
        continue;
      }
      sb.append(String.format(Locale.ROOT,
          "| %s | %s | %d/%d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %d | %s | %.3f | %s | %s | %s | %.0f (%+.1f) | %.1f"
              + " | %.0f (%.0f) | %.0f | %.0f |%n",
          r.scenario, r.mode, r.connected, r.viewers, r.deliveredFpsPerViewer(), r.mbPerSecond(), r.p50, r.p95, r.p99,
          r.max, r.missedMax, r.stalled == 0 ? "-" : r.evictions + "/" + r.stalled, r.cpuPerGb(),
          Double.isNaN(r.rawCpuPerGb) ? "-" : String.format(Locale.ROOT, "%.3f", r.rawCpuPerGb),
          Double.isNaN(r.rawCpuPerGb) ? "-" : String.format(Locale.ROOT, "%.2f", r.cpuPerGb() / r.rawCpuPerGb),
          Double.isNaN(r.maxMbPerSecond) ? "-" : String.format(Locale.ROOT, "%.0f (%.2f)", r.maxMbPerSecond,
              r.maxMbPerSecond / r.rawMaxMbPerSecond),
          r.rssEnd / 1e6, (r.rssEnd - r.rssStart) / 1e6, r.heapPerViewerKb(), r.allocPerViewerFrame(), r.allocPerFrameCalibration, r.startupMillis,
          100 * r.toolCpu / r.seconds));
    }
    return sb.toString();
  }
}
