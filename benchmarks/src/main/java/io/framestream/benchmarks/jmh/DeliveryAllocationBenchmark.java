package io.framestream.benchmarks.jmh;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.edge.Authorizer;
import io.framestream.server.FrameStreamServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Bytes the server's threads allocate to deliver one frame to one viewer, through the real embedded server
 * ({@link FrameStreamServer} on 127.0.0.1) and real loopback clients that read every byte: binary WebSocket,
 * data-URI WebSocket and SSE ({@code ?format=base64}). Each operation publishes one frame on the channel and
 * waits until every viewer's send completed ({@code framesOut}).
 *
 * <p>Each iteration prints a {@code [delivery]} line: {@code alloc/viewer/frame} is the bytes allocated by
 * every thread but the clients' (HotSpot's per-thread counters, {@code com.sun.management.ThreadMXBean})
 * divided by frames × viewers. The benchmark thread is counted inside {@code publish}: the channel runs the
 * sends of inline sinks (the embedded server's viewers) on the publishing thread. The count includes the
 * per-frame part (the frame's one encoding; not the frame's own copy, made before), so the per-viewer cost is the
 * difference between two viewer counts divided by their difference (see {@code docs/performance.md},
 * "Delivery"). {@code ctx/frame} is the voluntary plus involuntary context switches of every thread but the
 * clients' and the benchmark's ({@code /proc/self/task/}{@code *}{@code /status}) per frame, in total and by
 * thread name.
 *
 * <pre>
 * java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" org.openjdk.jmh.Main \
 *     DeliveryAllocationBenchmark
 * </pre>
 *
 * <h2>Thread safety</h2>
 *
 * JMH state used by one benchmark thread; each client has its own reader thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class DeliveryAllocationBenchmark {

  /** Viewers on the channel. */
  @Param({"1", "16"})
  public int viewers;

  /** Frame payload bytes. */
  @Param({"50000"})
  public int payloadBytes;

  /** The transport: {@code ws} (binary WebSocket), {@code datauri} (data-URI WebSocket) or {@code sse}. */
  @Param({"ws", "datauri", "sse"})
  public String transport;

  private static final String CHANNEL_NAME = "alloc";
  private static final String CLIENT_PREFIX = "fsb-client-";

  private ChannelRegistry registry;
  private Channel channel;
  private FrameStreamServer server;
  private final List<Client> clients = new ArrayList<>();
  private byte[] payload;
  private final Set<Long> excluded = new HashSet<>();
  private long framesOut;

  private long allocAtStart;
  /** Bytes the benchmark thread allocated inside {@code publish} this iteration (the inline sends). */
  private long publisherAllocated;
  private long ctxAtStart;
  private Map<String, Long> ctxByGroupAtStart = new TreeMap<>();
  private long framesAtStart;

  /**
   * Starts the server and connects the viewers.
   *
   * @throws Exception if the server or a client cannot start
   */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    payload = new byte[payloadBytes];
    payload[0] = (byte) 0xFF;
    payload[1] = (byte) 0xD8;
    payload[2] = (byte) 0xFF;
    ChannelConfig config = ChannelConfig.builder()
        .maxSubscribers(100_000)
        .maxPublishFps(0)
        .maxPublishBytesPerSecond(0)
        .build();
    registry = ChannelRegistry.builder().channelDefaults(config).build();
    channel = registry.declare(CHANNEL_NAME);
    server = FrameStreamServer.builder()
        .host("127.0.0.1")
        .port(0)
        .registry(registry)
        .authorizer(Authorizer.allowAll())
        .maxConnectionsPerAddress(100_000)
        .shutdownTimeout(Duration.ofSeconds(1))
        .build()
        .start();
    String path;
    switch (transport) {
      case "ws" -> path = "/ws/live/" + CHANNEL_NAME;
      case "datauri" -> path = "/ws/live/" + CHANNEL_NAME + "?format=datauri";
      case "sse" -> path = "/sse/" + CHANNEL_NAME + "?format=base64";
      default -> throw new IllegalArgumentException(transport);
    }
    for (int i = 0; i < viewers; i++) {
      Client c = new Client(server.port(), path, !transport.equals("sse"), i);
      clients.add(c);
      excluded.add(c.threadId());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (channel.stats().subscribers() < viewers) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("viewers did not subscribe: " + channel.stats().subscribers());
      }
      LockSupport.parkNanos(1_000_000);
    }
    framesOut = channel.stats().framesOut();
  }

  /** Stops clients and server. */
  @TearDown(Level.Trial)
  public void tearDown() {
    for (Client c : clients) {
      c.close();
    }
    server.close();
    registry.close();
  }

  /** Takes the counters at the start of an iteration. */
  @Setup(Level.Iteration)
  public void startIteration() {
    // The benchmark thread is counted inside publish only (deliver): the channel delivers to inline sinks (the
    // embedded server's WebSocket and SSE viewers) on the publishing thread; its waiting loop is not counted.
    excluded.add(Thread.currentThread().getId());
    publisherAllocated = 0;
    allocAtStart = serverAllocated();
    ctxByGroupAtStart = contextSwitchesByGroup();
    ctxAtStart = sum(ctxByGroupAtStart);
    framesAtStart = channel.stats().framesIn();
  }

  /** Prints what the iteration measured, per frame. */
  @TearDown(Level.Iteration)
  public void endIteration() {
    long frames = channel.stats().framesIn() - framesAtStart;
    double alloc = serverAllocated() - allocAtStart + publisherAllocated;
    Map<String, Long> byGroup = contextSwitchesByGroup();
    double ctx = sum(byGroup) - ctxAtStart;
    StringBuilder groups = new StringBuilder();
    byGroup.forEach((group, n) -> {
      long delta = n - ctxByGroupAtStart.getOrDefault(group, 0L);
      if (delta * 10 >= frames) { // at least 0.1 per frame
        groups.append(String.format(" %s=%.2f", group, (double) delta / frames));
      }
    });
    System.out.printf("%n[delivery] %s viewers=%d frames=%d alloc/frame=%.0f B alloc/viewer/frame=%.0f B ctx/frame=%.1f"
        + " (by thread:%s)%n", transport, viewers, frames, alloc / frames, alloc / frames / viewers, ctx / frames,
        groups);
  }

  /**
   * Publishes one frame and waits until every viewer's send of it completed.
   *
   * @return the frame
   */
  @Benchmark
  public Frame deliver() {
    Frame frame = Frame.of("image/jpeg", payload);
    long before = ThreadAllocation.ofCurrentThread();
    Frame f = channel.publish(frame);
    publisherAllocated += ThreadAllocation.ofCurrentThread() - before;
    framesOut += viewers;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (channel.stats().framesOut() < framesOut) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("frame not delivered to every viewer within 5 s");
      }
      Thread.onSpinWait();
    }
    return f;
  }

  private long serverAllocated() {
    return ThreadAllocation.allocatedBytes(info -> excluded.contains(info.getThreadId()));
  }

  private static long sum(Map<String, Long> counts) {
    long sum = 0;
    for (long n : counts.values()) {
      sum += n;
    }
    return sum;
  }

  /**
   * Context switches (voluntary and involuntary) of every thread of this process but the clients' and the
   * benchmark's, by thread name with its digits removed (so a pool's threads add up); empty without /proc.
   */
  private static Map<String, Long> contextSwitchesByGroup() {
    Map<String, Long> byGroup = new TreeMap<>();
    String self = Thread.currentThread().getName();
    String selfComm = self.length() > 15 ? self.substring(0, 15) : self;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        String comm;
        List<String> status;
        try {
          comm = Files.readString(task.resolve("comm")).trim();
          status = Files.readAllLines(task.resolve("status"));
        } catch (IOException e) {
          continue; // the thread ended
        }
        if (comm.startsWith(CLIENT_PREFIX) || comm.equals(selfComm)) {
          continue;
        }
        long n = 0;
        for (String line : status) {
          if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
            n += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
          }
        }
        byGroup.merge(comm.replaceAll("[0-9]", ""), n, Long::sum);
      }
    } catch (IOException e) {
      return byGroup; // no /proc here
    }
    return byGroup;
  }

  /** A loopback viewer: sends the request, then reads and discards every byte on its own thread. */
  private static final class Client {
    private final Socket socket;
    private final Thread reader;

    Client(int port, String path, boolean webSocket, int index) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setTcpNoDelay(true);
      String request = webSocket
          ? "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
          : "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      reader = new Thread(() -> {
        byte[] buffer = new byte[64 * 1024];
        try {
          while (in.read(buffer) >= 0) {
            // discard
          }
        } catch (IOException e) {
          // closed
        }
      }, CLIENT_PREFIX + index);
      reader.setDaemon(true);
      reader.start();
    }

    long threadId() {
      return reader.getId();
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
