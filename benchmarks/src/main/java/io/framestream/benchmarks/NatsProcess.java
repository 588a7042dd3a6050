package io.framestream.benchmarks;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code nats-server} process with JetStream on 127.0.0.1 and a free port, for the cross-node scenario
 * (the same set-up as cluster-nats' integration tests). Its CPU time is read from {@code /proc/<pid>/stat}.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: used by the load tool's main thread.
 */
final class NatsProcess implements AutoCloseable {

  private final Process process;
  private final Path dir;
  private final int port;

  private NatsProcess(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /** The nats-server binary: -Dnats.server=PATH, else on PATH, else /usr/sbin or /usr/bin. */
  static Optional<Path> find() {
    String prop = System.getProperty("nats.server");
    if (prop != null && !prop.isBlank()) {
      return Files.isExecutable(Path.of(prop)) ? Optional.of(Path.of(prop)) : Optional.empty();
    }
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.concat(Stream.of(path.split(File.pathSeparator)), Stream.of("/usr/sbin", "/usr/bin"))
        .filter(d -> !d.isEmpty())
        .map(d -> Path.of(d, "nats-server"))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /** Starts {@code binary} and waits (at most 20 s) until it accepts connections. */
  static NatsProcess start(Path binary) throws IOException {
    int port;
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = ss.getLocalPort();
    }
    Path dir = Files.createTempDirectory("bench-nats");
    Path conf = dir.resolve("nats.conf");
    Files.writeString(conf, "listen: 127.0.0.1:" + port + "\n"
        + "jetstream {\n  store_dir: \"" + dir.resolve("js") + "\"\n  max_memory_store: 268435456\n"
        + "  max_file_store: 268435456\n}\n", StandardCharsets.UTF_8);
    Process p = new ProcessBuilder(List.of(binary.toString(), "-c", conf.toString()))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("nats.log").toFile())
        .start();
    NatsProcess n = new NatsProcess(p, dir, port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return n;
      } catch (IOException notYet) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          String log = Files.readString(dir.resolve("nats.log"));
          n.close();
          throw new IOException("nats-server did not start on port " + port + ": " + log);
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          n.close();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  String url() {
    return "nats://127.0.0.1:" + port;
  }

  /** User plus system CPU seconds of nats-server so far. */
  double cpuSeconds() {
    return ServerProcess.cpuSeconds(Path.of("/proc", Long.toString(process.pid()), "stat"));
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }
}
