package io.framestream.examples;

import io.framestream.testkit.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM started as a user would start it ({@code java -jar ...} or {@code java -cp ... Main}), its output
 * collected line by line, stopped with SIGTERM as systemd or Ctrl-C would.
 */
final class JavaProcess implements AutoCloseable {

  private static final Pattern ADDRESS = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/");

  private final Process process;
  private final List<String> lines = new ArrayList<>();
  private final Thread reader;

  private JavaProcess(Process process) {
    this.process = process;
    reader = new Thread(() -> read(process.getInputStream()), "java-process-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code java ARGS...} in a directory with extra environment variables; output and errors merged. */
  static JavaProcess start(Path directory, Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("FRAMESTREAM_"));
    pb.environment().putAll(env);
    return new JavaProcess(pb.start());
  }

  private void read(InputStream in) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        synchronized (lines) {
          lines.add(line);
        }
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  /** Everything printed so far. */
  String output() {
    synchronized (lines) {
      return String.join("\n", lines);
    }
  }

  /** Waits for the first {@code http://127.0.0.1:PORT/} the process prints, and returns it. */
  URI awaitAddress(Duration timeout) {
    Await.until(() -> "the process to print its address; it printed:\n" + output(),
        () -> ADDRESS.matcher(output()).find() || !process.isAlive(), timeout);
    Matcher m = ADDRESS.matcher(output());
    if (!m.find()) {
      throw new AssertionError("the process ended without an address (exit " + process.exitValue() + "):\n" + output());
    }
    return URI.create(m.group());
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits for the process to end by itself and returns its exit code. */
  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the process did not end within " + timeout + ":\n" + output());
    }
    reader.join(TimeUnit.SECONDS.toMillis(10)); // its last lines
    return process.exitValue();
  }

  /**
   * Sends SIGTERM, waits up to 20 s for the exit, and returns the exit code. Through the process handle:
   * {@code Process.destroy()} would also close our end of its output, losing what the shutdown prints.
   */
  int terminate() throws InterruptedException {
    process.toHandle().destroy();
    return awaitExit(Duration.ofSeconds(20));
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
