package io.framestream.benchmarks.jmh;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.edge.Authorizer;
import io.framestream.server.FrameStreamServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * What the server allocates to ingest one published frame, end to end: a real {@link FrameStreamServer} on
 * 127.0.0.1 port 0 with one channel and no viewers, and one publisher in the same JVM that sends a frame and
 * waits until the channel counted it, over WebSocket ({@code /ws/publish/{channel}}, the JDK client) or
 * HTTP ({@code POST /api/channels/{channel}/frames}, the JDK client, HTTP/1.1).
 *
 * <p>{@code -prof gc} sees only the benchmark thread, which here is the publisher; the server's work runs on
 * its own threads. So each iteration reads HotSpot's per-thread allocation counters of every live thread
 * except the benchmark thread and the JDK HTTP client's ({@code HttpClient-*}), and prints, for measured
 * iterations, the server's bytes allocated per frame the channel received and that figure in payloads:
 * {@code INGEST <transport> <payload>: <bytes> B/frame = <n> payloads}. The trial ends with the same line
 * over all measured iterations. The primary score (time per publish) includes the client's side.
 *
 * <h2>Thread safety</h2>
 *
 * JMH state, used by one benchmark thread; the server runs on its own threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms512m", "-Xmx512m"})
public class IngestBenchmark {

  private static final String CHANNEL = "ingest";

  /** Frame payload bytes. */
  @Param({"100000"})
  public int payloadBytes;

  /** How the frame is published: {@code websocket} or {@code http}. */
  @Param({"websocket", "http"})
  public String transport;

  private ChannelRegistry registry;
  private Channel channel;
  private FrameStreamServer server;
  private HttpClient client;
  private WebSocket webSocket;
  private HttpRequest post;
  private byte[] payload;
  private long received;
  private long iterationStartBytes;
  private long iterationStartFrames;
  private long measuredBytes;
  private long measuredFrames;
  private boolean measuring;

  /**
   * Starts the server and connects the publisher.
   *
   * @throws Exception if the server or the client cannot start
   */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    payload = new byte[payloadBytes];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) (i * 31);
    }
    payload[0] = (byte) 0xFF; // a JPEG marker: the server recognises the type
    payload[1] = (byte) 0xD8;
    payload[2] = (byte) 0xFF;
    ChannelConfig config = ChannelConfig.builder()
        .maxPublishFps(0) // no limits: the benchmark publishes as fast as ingest allows
        .maxPublishBytesPerSecond(0)
        .build();
    registry = ChannelRegistry.builder().channelDefaults(config).build();
    channel = registry.declare(CHANNEL);
    server = FrameStreamServer.builder()
        .host("127.0.0.1")
        .port(0)
        .registry(registry)
        .authorizer(Authorizer.allowAll())
        .shutdownTimeout(Duration.ofSeconds(1))
        .build()
        .start();
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String base = "127.0.0.1:" + server.port();
    if (transport.equals("websocket")) {
      webSocket = client.newWebSocketBuilder()
          .buildAsync(URI.create("ws://" + base + "/ws/publish/" + CHANNEL), new WebSocket.Listener() { })
          .get(10, TimeUnit.SECONDS);
    } else if (transport.equals("http")) {
      post = HttpRequest.newBuilder(URI.create("http://" + base + "/api/channels/" + CHANNEL + "/frames"))
          .header("Content-Type", "image/jpeg")
          .POST(HttpRequest.BodyPublishers.ofByteArray(payload))
          .build();
    } else {
      throw new IllegalArgumentException("transport: websocket or http, got " + transport);
    }
    received = channel.stats().framesIn();
  }

  /**
   * Notes the server's allocation so far.
   *
   * @param params the iteration, to tell warm-up from measurement
   */
  @Setup(Level.Iteration)
  public void startIteration(IterationParams params) {
    measuring = params.getType() == IterationType.MEASUREMENT;
    iterationStartBytes = serverAllocatedBytes();
    iterationStartFrames = channel.stats().framesIn();
  }

  /** Prints the server's allocation per frame in this iteration. */
  @TearDown(Level.Iteration)
  public void endIteration() {
    long bytes = serverAllocatedBytes() - iterationStartBytes;
    long frames = channel.stats().framesIn() - iterationStartFrames;
    if (measuring) {
      measuredBytes += bytes;
      measuredFrames += frames;
      System.out.println();
      System.out.println(line(bytes, frames));
    }
  }

  /**
   * Prints the total over the measured iterations and stops the client and the server.
   *
   * @throws Exception if closing fails
   */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    System.out.println();
    System.out.println(line(measuredBytes, measuredFrames) + " (all measured iterations)");
    if (webSocket != null) {
      webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
    }
    server.close();
    registry.close();
  }

  /**
   * Publishes one frame and waits until the channel has it.
   *
   * @return the channel's frame count
   * @throws Exception if the publish fails
   */
  @Benchmark
  public long publish() throws Exception {
    if (webSocket != null) {
      webSocket.sendBinary(ByteBuffer.wrap(payload), true).get(10, TimeUnit.SECONDS);
    } else {
      HttpResponse<Void> r = client.send(post, HttpResponse.BodyHandlers.discarding());
      if (r.statusCode() != 204) {
        throw new IllegalStateException("POST answered " + r.statusCode());
      }
    }
    received++;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long n;
    while ((n = channel.stats().framesIn()) < received) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the channel did not receive frame " + received);
      }
      LockSupport.parkNanos(20_000); // leave the cores to the server
    }
    return n;
  }

  private String line(long bytes, long frames) {
    double perFrame = frames == 0 ? 0 : (double) bytes / frames;
    return String.format("INGEST %s %d: %.0f B/frame = %.2f payloads (%d frames)", transport, payloadBytes,
        perFrame, perFrame / payloadBytes, frames);
  }

  /** Bytes allocated so far by every live thread but this one and the JDK HTTP client's. */
  private static long serverAllocatedBytes() {
    long self = Thread.currentThread().getId();
    return ThreadAllocation.allocatedBytes(
        info -> info.getThreadId() == self || info.getThreadName().startsWith("HttpClient-"));
  }
}
