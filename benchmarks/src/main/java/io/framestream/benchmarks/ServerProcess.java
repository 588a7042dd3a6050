package io.framestream.benchmarks;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server under test in its own JVM, started from this module's class path; reads its CPU time and RSS from
 * {@code /proc/<pid>} and (for {@link BenchServer}) heap and allocation counters from {@code /bench/stats}.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: used by the load tool's main thread.
 */
final class ServerProcess implements AutoCloseable {

  private static final long CLOCK_TICKS = 100; // USER_HZ on Linux
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final Process process;
  private final int port;
  private final long startupNanos;

  private ServerProcess(Process process, int port, long startupNanos) {
    this.process = process;
    this.port = port;
    this.startupNanos = startupNanos;
  }

  /** Launches {@code mainClass} with the given heap limit and waits for its {@code PORT} line. */
  static ServerProcess launch(Class<?> mainClass, String maxHeap, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + maxHeap);
    cmd.add("-Xms" + maxHeap);
    // The framestream servers (embedded and on Jetty) take -Dbench.serverJvmArgs (e.g. a JFR recording, another
    // collector or heap: later flags win, and a collector given there replaces G1).
    String extra = mainClass == BenchServer.class || mainClass == JettyBenchServer.class
        ? System.getProperty("bench.serverJvmArgs", "").trim() : "";
    if (!extra.matches(".*-XX:\\+Use\\w+GC.*")) {
      cmd.add("-XX:+UseG1GC");
    }
    // Touch the whole heap at start, so that RSS growth during a run means native or direct memory, not heap
    // pages used for the first time.
    cmd.add("-XX:+AlwaysPreTouch");
    if (!extra.isEmpty()) {
      cmd.addAll(List.of(extra.split("\\s+")));
    }
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(mainClass.getName());
    cmd.addAll(List.of(args));
    return launch(mainClass.getSimpleName(), cmd, null);
  }

  /**
   * Launches any command (for example {@code node relay.js 0}) in {@code directory} (null: this one) and
   * waits for its {@code PORT} line.
   */
  static ServerProcess launch(String name, List<String> cmd, File directory) throws IOException {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).directory(directory).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("PORT ")) {
        int port = Integer.parseInt(line.substring(5).trim());
        long startup = System.nanoTime() - t0;
        Thread drain = new Thread(() -> {
          try {
            while (out.readLine() != null) {
              // keep the pipe from filling
            }
          } catch (IOException e) {
            // process gone
          }
        }, "server-stdout");
        drain.setDaemon(true);
        drain.start();
        return new ServerProcess(p, port, startup);
      }
    }
    p.destroyForcibly();
    throw new IOException(name + " exited before printing its port");
  }

  /** This JVM's class path as a string: surefire's test class path, the class loader's URLs (exec:java), or java.class.path. */
  static String classPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    if (surefire != null && !surefire.isEmpty()) {
      return surefire;
    }
    ClassLoader cl = ServerProcess.class.getClassLoader();
    if (cl instanceof URLClassLoader) {
      StringBuilder sb = new StringBuilder();
      for (URL u : ((URLClassLoader) cl).getURLs()) {
        if (sb.length() > 0) {
          sb.append(File.pathSeparatorChar);
        }
        try {
          sb.append(new File(u.toURI()).getPath());
        } catch (java.net.URISyntaxException e) {
          sb.append(u.getPath());
        }
      }
      return sb.toString();
    }
    return System.getProperty("java.class.path");
  }

  int port() {
    return port;
  }

  InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", port);
  }

  long pid() {
    return process.pid();
  }

  double startupMillis() {
    return startupNanos / 1e6;
  }

  /** User plus system CPU seconds of the process so far. */
  double cpuSeconds() {
    return cpuSeconds(Path.of("/proc", Long.toString(process.pid()), "stat"));
  }

  /** Kernel-mode CPU seconds of the process so far (part of {@link #cpuSeconds()}). */
  double systemCpuSeconds() {
    return cpuField(Path.of("/proc", Long.toString(process.pid()), "stat"), 12);
  }

  static double cpuSeconds(Path stat) {
    return cpuField(stat, 11) + cpuField(stat, 12);
  }

  /** Field 11 (utime) or 12 (stime) after "pid (comm) ", in seconds. */
  private static double cpuField(Path stat, int field) {
    try {
      String s = Files.readString(stat);
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[field]) / (double) CLOCK_TICKS;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Resident set size in bytes. */
  long rssBytes() {
    try {
      Matcher m = Pattern.compile("VmRSS:\\s+(\\d+) kB").matcher(
          Files.readString(Path.of("/proc", Long.toString(process.pid()), "status")));
      return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /** {@code /bench/stats} of a {@link BenchServer} as a flat JSON object with numeric values. */
  java.util.Map<String, Long> stats(boolean gc) {
    java.util.Map<String, Long> m = new java.util.HashMap<>();
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + port + "/bench/stats" + (gc ? "?gc=1" : ""))).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString());
      Matcher kv = Pattern.compile("\"(\\w+)\":(-?\\d+)").matcher(r.body());
      while (kv.find()) {
        m.put(kv.group(1), Long.parseLong(kv.group(2)));
      }
    } catch (IOException e) {
      m.put("error", 1L);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return m;
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
