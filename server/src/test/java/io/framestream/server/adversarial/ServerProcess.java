package io.framestream.server.adversarial;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link AdversarialServerMain} in a JVM of its own with a fixed small heap, and what the test reads from it
 * over the standard streams: its port, its figures on request, and whether it ran out of memory.
 *
 * <h2>Thread safety</h2>
 *
 * {@link #figures()} is serialised; the other methods may be called from any thread.
 */
final class ServerProcess implements AutoCloseable {

  /** The server's heap. */
  static final String HEAP = "-Xmx128m";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path log;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private volatile boolean outOfMemory;
  final int port;

  /**
   * Starts the server and waits (bounded) until it listens.
   *
   * @param token the publish token
   * @param ticketKey the viewer-ticket key
   * @param log where the server's standard error goes
   * @throws Exception if it does not start within 30 s
   */
  ServerProcess(String token, byte[] ticketKey, Path log) throws Exception {
    this.log = log;
    Files.createDirectories(log.getParent());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(java, HEAP, "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
        "-cp", System.getProperty("java.class.path"), AdversarialServerMain.class.getName(), token,
        Base64.getEncoder().encodeToString(ticketKey))
        .redirectError(log.toFile()).start();
    Thread reader = new Thread(this::readOutput, "adversarial-server-stdout");
    reader.setDaemon(true);
    reader.start();
    String first = next("PORT ", Duration.ofSeconds(30));
    port = Integer.parseInt(first.substring(5).trim());
  }

  private void readOutput() {
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.contains("OutOfMemoryError")) {
          outOfMemory = true;
        }
        lines.add(line);
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  private String next(String prefix, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new IllegalStateException("the server printed no '" + prefix.trim() + "' line within " + timeout
            + (process.isAlive() ? "" : "; it exited with " + process.exitValue()) + "; see " + log);
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  /**
   * Reads the server's figures (it collects garbage first), within 30 s.
   *
   * @return heap after GC, threads, file descriptors, sessions, the streamed channel's counters
   * @throws Exception if the server does not answer
   */
  synchronized Figures figures() throws Exception {
    OutputStream in = process.getOutputStream();
    in.write("diag\n".getBytes(StandardCharsets.US_ASCII));
    in.flush();
    JsonNode d = JSON.readTree(next("DIAG ", Duration.ofSeconds(30)).substring(5));
    return new Figures(d.path("heapBytes").asLong(), d.path("threads").asInt(), d.path("fds").asInt(),
        d.path("webSocketSessions").asInt(), d.path("sseViewers").asInt(), d.path("evictions").asLong(),
        d.path("drops").asLong(), d.path("channels").asInt());
  }

  /** True while the server process runs. */
  boolean isAlive() {
    return process.isAlive();
  }

  /** True if the server printed an {@link OutOfMemoryError} anywhere, or exited with the JVM's OOM code. */
  boolean outOfMemory() {
    if (outOfMemory || (!process.isAlive() && process.exitValue() == 3)) {
      return true;
    }
    try {
      return Files.readString(log, StandardCharsets.ISO_8859_1).contains("OutOfMemoryError");
    } catch (IOException e) {
      return false;
    }
  }

  /** The server's exit code, or null while it runs. */
  Integer exitCode() {
    return process.isAlive() ? null : process.exitValue();
  }

  /** Stops the server (it stops when its standard input closes), forcibly after 20 s. */
  @Override
  public void close() throws Exception {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // already gone
    }
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** The server's figures at one moment. */
  record Figures(long heapBytes, int threads, int fds, int webSocketSessions, int sseViewers, long evictions,
      long drops, int channels) {

    String heapMiB() {
      return String.format(java.util.Locale.ROOT, "%.1f MiB", heapBytes / 1048576.0);
    }

    @Override
    public String toString() {
      return "heap after GC " + heapMiB() + ", " + threads + " threads, " + fds + " fds, " + webSocketSessions
          + " WebSocket sessions, " + sseViewers + " SSE viewers";
    }
  }
}
