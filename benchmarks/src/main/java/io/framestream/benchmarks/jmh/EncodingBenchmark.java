package io.framestream.benchmarks.jmh;

import io.framestream.core.Frame;
import io.framestream.transport.sse.SseEncodings;
import io.framestream.transport.websocket.spi.WebSocketFrames;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-frame encodings: what building each costs once per frame, and what a viewer pays for the cached
 * value (a lookup, no allocation beyond a buffer view). Run with {@code -prof gc}.
 *
 * <h2>Thread safety</h2>
 *
 * JMH state, one per benchmark.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EncodingBenchmark {

  /** Frame payload bytes. */
  @Param({"50000"})
  public int payloadBytes;

  private byte[] payload;
  private Frame encoded;

  /** Builds the payload and one frame with both encodings cached. */
  @Setup
  public void setUp() {
    payload = new byte[payloadBytes];
    payload[0] = (byte) 0xFF;
    payload[1] = (byte) 0xD8;
    payload[2] = (byte) 0xFF;
    encoded = Frame.of("image/jpeg", payload);
    encoded.encoded(WebSocketFrames.BINARY);
    encoded.encoded(SseEncodings.BASE64_EVENT);
  }

  /**
   * The frame alone (one payload copy): the baseline of the two below.
   *
   * @return the frame
   */
  @Benchmark
  public Frame frameOnly() {
    return Frame.of("image/jpeg", payload);
  }

  /**
   * A new frame and its pre-framed WebSocket binary message.
   *
   * @return the framed buffer
   */
  @Benchmark
  public ByteBuffer buildWebSocketFrame() {
    return Frame.of("image/jpeg", payload).encoded(WebSocketFrames.BINARY);
  }

  /**
   * A new frame and its SSE base64 event.
   *
   * @return the event bytes
   */
  @Benchmark
  public byte[] buildSseEvent() {
    return Frame.of("image/jpeg", payload).encoded(SseEncodings.BASE64_EVENT);
  }

  /**
   * What each WebSocket viewer does per frame: the cached buffer and a view of it.
   *
   * @return the view
   */
  @Benchmark
  public ByteBuffer cachedWebSocketFrame() {
    return encoded.encoded(WebSocketFrames.BINARY).duplicate();
  }

  /**
   * What each SSE viewer does per frame: the cached event bytes.
   *
   * @return the bytes
   */
  @Benchmark
  public byte[] cachedSseEvent() {
    return encoded.encoded(SseEncodings.BASE64_EVENT);
  }
}
