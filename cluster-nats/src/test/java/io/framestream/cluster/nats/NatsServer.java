package io.framestream.cluster.nats;

import io.framestream.testkit.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code nats-server} process with JetStream on 127.0.0.1, started by the tests. Tests that need it
 * call {@link #startOrSkip(String)}: where the binary is missing they are skipped with one line saying how
 * to install it ({@code .ci/run} installs Debian's {@code nats-server} package in CI).
 */
final class NatsServer implements AutoCloseable {

  private static final String SKIP = "SKIPPED: nats-server not found, so the NATS cluster tests do not run "
      + "(install it with 'apt-get install nats-server' or pass -Dnats.server=PATH)";
  private static volatile boolean skipTold;

  private final Path binary;
  private final Path dir;
  private final int port;
  private final String extraConfig;
  private Process process;

  private NatsServer(Path binary, Path dir, int port, String extraConfig) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
    this.extraConfig = extraConfig;
  }

  /** The nats-server binary: -Dnats.server=PATH, else on PATH, else /usr/sbin or /usr/bin. */
  static Optional<Path> find() {
    String prop = System.getProperty("nats.server");
    if (prop != null && !prop.isBlank()) {
      return Optional.of(Path.of(prop)).filter(Files::isExecutable);
    }
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.concat(Stream.of(path.split(java.io.File.pathSeparator)), Stream.of("/usr/sbin", "/usr/bin"))
        .filter(d -> !d.isEmpty())
        .map(d -> Path.of(d, "nats-server"))
        .filter(Files::isExecutable)
        .findFirst();
  }

  /** Starts a server (extra lines go into its config file), or skips the calling test. */
  static NatsServer startOrSkip(String extraConfig) throws IOException {
    Optional<Path> bin = find();
    if (bin.isEmpty() && !skipTold) {
      skipTold = true;
      System.out.println(SKIP);
    }
    Assumptions.assumeTrue(bin.isPresent(), SKIP);
    NatsServer s = new NatsServer(bin.get(), Files.createTempDirectory("nats-it"), freePort(), extraConfig);
    s.start();
    return s;
  }

  private static int freePort() throws IOException {
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return ss.getLocalPort();
    }
  }

  String url() {
    return "nats://127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  /** Starts the process and waits (bounded) until it accepts connections. */
  void start() throws IOException {
    Path conf = dir.resolve("nats.conf");
    String config = "listen: 127.0.0.1:" + port + "\n"
        + "jetstream {\n  store_dir: \"" + dir.resolve("js") + "\"\n  max_memory_store: 268435456\n"
        + "  max_file_store: 268435456\n}\n" + extraConfig + "\n";
    Files.writeString(conf, config, StandardCharsets.UTF_8);
    process = new ProcessBuilder(List.of(binary.toString(), "-c", conf.toString()))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("nats.log").toFile())
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException notYet) {
        if (!process.isAlive()) {
          throw new IOException("nats-server exited: " + Files.readString(dir.resolve("nats.log")));
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("nats-server did not listen on " + port + " within 20 s");
        }
        Await.pace(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }
  }

  /** Kills the process (as a crash would) and waits for it to end. */
  void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
      process = null;
    }
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
