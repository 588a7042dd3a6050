package io.framestream.benchmarks.jmh;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.Frame;
import io.framestream.core.FrameSink;
import io.framestream.core.SendCallback;
import io.framestream.transport.sse.SseEncodings;
import io.framestream.transport.websocket.spi.WebSocketFrames;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * Publishing one frame to N subscriber mailboxes and waiting until every subscriber has it, where each
 * subscriber does what a viewer does before writing: asks the frame for its wire form (the pre-framed
 * WebSocket buffer or the SSE event bytes). Run with {@code -prof gc}: {@code gc.alloc.rate.norm} should
 * be about two payloads per operation (the frame's own copy and its one encoding) plus a small constant per
 * subscriber; a per-subscriber copy shows up as N payloads.
 *
 * <h2>Thread safety</h2>
 *
 * JMH state; the sinks run on the channel's delivery threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FanOutBenchmark {

  /** Subscribers on the channel. */
  @Param({"1", "10", "100"})
  public int subscribers;

  /** Frame payload bytes. */
  @Param({"50000"})
  public int payloadBytes;

  /** What each subscriber encodes: {@code websocket} (pre-framed binary) or {@code sse} (base64 event). */
  @Param({"websocket", "sse"})
  public String wire;

  private Channel channel;
  private byte[] payload;
  private final AtomicInteger pending = new AtomicInteger();

  /** Creates the channel and its subscribers. */
  @Setup
  public void setUp() {
    payload = new byte[payloadBytes];
    payload[0] = (byte) 0xFF;
    payload[1] = (byte) 0xD8;
    payload[2] = (byte) 0xFF;
    channel = Channel.create("jmh", ChannelConfig.builder()
        .maxSubscribers(100_000)
        .maxPublishFps(0) // no limits: the benchmark publishes as fast as delivery allows
        .maxPublishBytesPerSecond(0)
        .build());
    boolean webSocket = wire.equals("websocket");
    for (int i = 0; i < subscribers; i++) {
      channel.subscribe(new ViewerLikeSink(webSocket, pending));
    }
  }

  /** Closes the channel. */
  @TearDown
  public void tearDown() {
    channel.close();
  }

  /**
   * Publishes one frame and waits for all subscribers.
   *
   * @return the published frame
   */
  @Benchmark
  public Frame publishToAll() {
    pending.set(subscribers);
    Frame f = channel.publish(Frame.of("image/jpeg", payload));
    while (pending.get() > 0) {
      Thread.onSpinWait();
    }
    return f;
  }

  /** A sink that takes the wire form a viewer would write, then completes at once. */
  private static final class ViewerLikeSink implements FrameSink {
    private final boolean webSocket;
    private final AtomicInteger pending;
    volatile int sink;

    ViewerLikeSink(boolean webSocket, AtomicInteger pending) {
      this.webSocket = webSocket;
      this.pending = pending;
    }

    @Override
    public void send(Frame frame, SendCallback callback) {
      if (webSocket) {
        sink += frame.encoded(WebSocketFrames.BINARY).duplicate().remaining();
      } else {
        sink += frame.encoded(SseEncodings.BASE64_EVENT).length;
      }
      callback.completed();
      pending.decrementAndGet();
    }
  }
}
