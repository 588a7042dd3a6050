package io.framestream.benchmarks;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The peers the load tool measures framestream against in the same run: framestream on Jetty ({@link
 * JettyBenchServer}, only when asked for), the Node relay on the npm {@code ws} package ({@code benchmarks/node-relay}), the plain Netty relay ({@link io.framestream.benchmarks.peers.NettyRelay})
 * and the raw TCP relay ({@link RawFanoutServer}); parses {@code --peers} and finds and prepares Node.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: used by the load tool's main thread.
 */
final class Peers {

  static final String FRAMESTREAM = "framestream";
  /** framestream's endpoints on an embedded Jetty 12 ({@link JettyBenchServer}); asked for by name only. */
  static final String FRAMESTREAM_JETTY = "framestream-jetty";
  static final String NODE = "node";
  static final String NETTY = "netty";
  static final String RAW = "raw";
  static final List<String> ALL = List.of(FRAMESTREAM, FRAMESTREAM_JETTY, NODE, NETTY, RAW);
  /** What runs without {@code --peers}. */
  static final List<String> DEFAULT = List.of(FRAMESTREAM, NODE, NETTY, RAW);
  /** The result modes of the peers (framestream's results keep theirs: "framestream", "framestream/portable"). */
  static final String NODE_MODE = "node-ws";
  static final String NETTY_MODE = "netty";
  static final String RAW_MODE = "raw-tcp";

  private Peers() {}

  /** {@code --peers a,b,...} as a set in the canonical order; unknown names are refused. */
  static Set<String> parse(String list) {
    Set<String> asked = new LinkedHashSet<>();
    for (String p : list.split(",")) {
      String name = p.trim().toLowerCase(Locale.ROOT);
      if (!ALL.contains(name)) {
        throw new IllegalArgumentException("unknown peer " + p + "; known: " + ALL);
      }
      asked.add(name);
    }
    Set<String> ordered = new LinkedHashSet<>();
    for (String p : ALL) {
      if (asked.contains(p)) {
        ordered.add(p);
      }
    }
    return ordered;
  }

  /** An executable on the PATH, if any. */
  static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** The Node relay's folder: {@code -Dbench.nodeRelay}, else {@code node-relay} or {@code benchmarks/node-relay}. */
  static Optional<Path> nodeRelayDirectory() {
    List<Path> candidates = new ArrayList<>();
    String configured = System.getProperty("bench.nodeRelay");
    if (configured != null && !configured.isBlank()) {
      candidates.add(Path.of(configured));
    }
    candidates.add(Path.of("node-relay"));
    candidates.add(Path.of("benchmarks", "node-relay"));
    return candidates.stream().filter(d -> Files.isRegularFile(d.resolve("relay.js"))).findFirst()
        .map(Path::toAbsolutePath);
  }

  /**
   * Checks that the Node relay can run: node and npm on the PATH, the relay's folder found, and its
   * {@code node_modules} installed ({@code npm ci} from the lockfile when missing). Prints one line and
   * returns empty if not.
   */
  static Optional<Path> prepareNode(PrintStream out) {
    Optional<Path> node = onPath("node");
    if (node.isEmpty()) {
      out.println("Node relay skipped: node not found");
      return Optional.empty();
    }
    Optional<Path> dir = nodeRelayDirectory();
    if (dir.isEmpty()) {
      out.println("Node relay skipped: benchmarks/node-relay not found (-Dbench.nodeRelay=DIR)");
      return Optional.empty();
    }
    if (!Files.isDirectory(dir.get().resolve("node_modules").resolve("ws"))) {
      Optional<Path> npm = onPath("npm");
      if (npm.isEmpty()) {
        out.println("Node relay skipped: npm not found (needed once for npm ci in " + dir.get() + ")");
        return Optional.empty();
      }
      try {
        Process p = new ProcessBuilder(npm.get().toString(), "ci", "--no-audit", "--no-fund")
            .directory(dir.get().toFile()).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          out.println("Node relay skipped: npm ci took longer than 180 s in " + dir.get());
          return Optional.empty();
        }
        if (p.exitValue() != 0) {
          out.println("Node relay skipped: npm ci failed (exit " + p.exitValue() + ") in " + dir.get());
          return Optional.empty();
        }
      } catch (IOException e) {
        out.println("Node relay skipped: npm ci: " + e.getMessage());
        return Optional.empty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return dir;
  }

  /** Starts {@code node relay.js 0} in the relay's folder. */
  static ServerProcess launchNode(Path directory) throws IOException {
    Path node = onPath("node").orElseThrow(() -> new IOException("node not found"));
    return ServerProcess.launch("node relay", List.of(node.toString(), "relay.js", "0"), directory.toFile());
  }
}
