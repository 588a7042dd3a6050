package io.framestream.benchmarks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A server process's CPU time and context switches split by thread group, from {@code /proc/<pid>/task/*}
 * ({@code comm}, {@code stat} fields utime and stime, {@code status} fields voluntary_ctxt_switches and
 * nonvoluntary_ctxt_switches). A thread is put in a group by its name ({@code comm}, at most 15 characters):
 * framestream's delivery pool, Grizzly's selectors and workers, Tyrus, Jetty's pool, Netty's event loops, the
 * JIT compilers, the garbage collector (and the VM thread, where stop-the-world pauses run), timers, and the
 * rest. Threads that appear during a window count from zero; threads that end during it are lost (none of the
 * servers measured here start or end threads per frame).
 *
 * <h2>Thread safety</h2>
 *
 * Immutable snapshots; the static methods may be called from any thread.
 */
final class ThreadGroups {

  private static final double CLOCK_TICKS = 100; // USER_HZ on Linux

  /** The groups in the order they are printed. */
  static final List<String> GROUPS = List.of("delivery", "grizzly-sel", "grizzly-work", "tyrus", "jetty",
      "netty", "node-main", "jit", "gc+vm", "timers", "other");

  /** One thread at one moment: its group, CPU seconds and context switches (voluntary + involuntary). */
  record Sample(String group, double cpu, long voluntary, long involuntary) {}

  /** The change of one group over a window. */
  record Delta(double cpu, long voluntary, long involuntary, int threads) {
    long switches() {
      return voluntary + involuntary;
    }
  }

  private ThreadGroups() {}

  /** The group of a thread name as {@code /proc} shows it (truncated to 15 characters). */
  static String group(String comm) {
    String c = comm.trim();
    String l = c.toLowerCase(Locale.ROOT);
    if (l.startsWith("framestream-") && l.matches("framestream-\\d+-d.*")) {
      return "delivery";
    }
    if (l.startsWith("grizzly-nio-ker") || l.startsWith("grizzly(") || l.startsWith("selectorrunner")) {
      return "grizzly-sel";
    }
    if (l.startsWith("grizzly-worker") || l.startsWith("grizzly-http")) {
      return "grizzly-work";
    }
    if (l.startsWith("tyrus")) {
      return "tyrus";
    }
    if (l.startsWith("qtp") || l.startsWith("jetty") || l.startsWith("scheduler-") || l.startsWith("connector-")) {
      return "jetty";
    }
    if (l.contains("eventloop") || l.startsWith("nioeventloop") || l.startsWith("netty") || l.startsWith("relay-")) {
      return "netty";
    }
    if (l.equals("node") || l.equals("mainthread")) {
      return "node-main";
    }
    if (c.startsWith("C1 Compiler") || c.startsWith("C2 Compiler") || c.startsWith("Sweeper")) {
      return "jit";
    }
    if (c.startsWith("GC Thread") || c.startsWith("G1 ") || c.equals("VM Thread") || c.startsWith("VM Periodic")
        || c.startsWith("GC ") || c.startsWith("Monitor Deflati")) {
      return "gc+vm";
    }
    // framestream-N (no further dash): Grizzly's delayed executor, named after the server configuration.
    if (l.matches("framestream-\\d+") || l.contains("timer") || l.endsWith("-t") || l.contains("deadline") || l.contains("ping")
        || l.contains("schedul")) {
      return "timers";
    }
    return "other";
  }

  /** Every thread of {@code pid} now, by thread id; empty if the process is gone. */
  static Map<Long, Sample> snapshot(long pid) {
    Map<Long, Sample> m = new HashMap<>();
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
      for (Path t : dir) {
        try {
          String comm = Files.readString(t.resolve("comm"));
          String stat = Files.readString(t.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
          long vol = 0;
          long invol = 0;
          for (String line : Files.readAllLines(t.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              vol = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
              invol = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
          m.put(Long.parseLong(t.getFileName().toString()), new Sample(group(comm), cpu, vol, invol));
        } catch (IOException | RuntimeException e) {
          // the thread ended while being read
        }
      }
    } catch (IOException e) {
      // the process ended
    }
    return m;
  }

  /** What each group did between two snapshots, in {@link #GROUPS} order, groups without threads left out. */
  static Map<String, Delta> delta(Map<Long, Sample> before, Map<Long, Sample> after) {
    Map<String, double[]> acc = new LinkedHashMap<>();
    for (String g : GROUPS) {
      acc.put(g, new double[4]);
    }
    for (Map.Entry<Long, Sample> e : after.entrySet()) {
      Sample a = e.getValue();
      Sample b = before.getOrDefault(e.getKey(), new Sample(a.group(), 0, 0, 0));
      double[] v = acc.get(a.group());
      v[0] += a.cpu() - b.cpu();
      v[1] += a.voluntary() - b.voluntary();
      v[2] += a.involuntary() - b.involuntary();
      v[3]++;
    }
    Map<String, Delta> m = new LinkedHashMap<>();
    for (Map.Entry<String, double[]> e : acc.entrySet()) {
      double[] v = e.getValue();
      if (v[3] > 0) {
        m.put(e.getKey(), new Delta(v[0], (long) v[1], (long) v[2], (int) v[3]));
      }
    }
    return m;
  }

  /**
   * One line: per group its CPU seconds and context switches per published frame, then the total switches per
   * frame and per delivered frame (send).
   */
  static String describe(Map<String, Delta> groups, long frames, long sends) {
    StringBuilder sb = new StringBuilder("threads (CPU s, ctx switches/frame):");
    long total = 0;
    for (Map.Entry<String, Delta> e : groups.entrySet()) {
      Delta d = e.getValue();
      total += d.switches();
      if (d.cpu() < 0.005 && d.switches() == 0) {
        continue;
      }
      sb.append(String.format(Locale.ROOT, " %s[%d] %.2f s %.1f,", e.getKey(), d.threads(), d.cpu(),
          d.switches() / (double) Math.max(1, frames)));
    }
    sb.append(String.format(Locale.ROOT, " total %.1f/frame, %.2f/send", total / (double) Math.max(1, frames),
        total / (double) Math.max(1, sends)));
    return sb.toString();
  }
}
