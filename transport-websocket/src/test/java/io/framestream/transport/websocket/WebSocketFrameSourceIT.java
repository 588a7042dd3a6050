package io.framestream.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.wire.Fmp4Parser;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Java WebSocket client against scripted (hostile) servers on raw sockets. */
class WebSocketFrameSourceIT {

  /** ffmpeg's H.264 sample with one frame per fragment: INIT, then 30 fragments, key frames at 0, 10, 20. */
  private static final Path EVERY_FRAME =
      Path.of("..", "core", "src", "test", "resources", "fmp4", "avc-frag-every-frame.mp4");

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private static void await(Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after 20 s waiting for: " + what.get());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  private WebSocketFrameSource open(ScriptedWebSocketServer server, int maxQueuedFrames) {
    toClose.add(server);
    WebSocketFrameSource source = WebSocketFrameSource.builder(server.uri("/ws/live/cam"))
        .maxQueuedFrames(maxQueuedFrames).frameTimeout(Duration.ofSeconds(10)).build();
    toClose.add(source::close);
    source.open();
    return source;
  }

  @Test
  void l1_webSocketClientSurvivesAHostileInitDescription() throws Exception {
    ScriptedWebSocketServer server = ScriptedWebSocketServer.start(c -> {
      c.text("{\"type\":\"init\",\"contentType\":\"image/png\",\"width\":-5,\"height\":10}");
      c.binary(new byte[] {1});
      c.text("{\"type\":\"init\",\"contentType\":\"image/png\",\"width\":1e12,\"height\":1e12}");
      c.binary(new byte[] {2});
      c.text("{\"type\":\"init\",\"contentType\":\"image/png\",\"width\":4294967297,\"height\":4294967297}");
      c.binary(new byte[] {3});
      c.text("{\"type\":\"init\",\"contentType\":\"image/png\",\"codec\":\"avc1\\u0007\\r\\nX: y\"}");
      c.binary(new byte[] {4});
      c.text("{\"type\":\"init\",\"contentType\":\"image/png\\u0000;x=\\\"\\n\",\"width\":[1],\"codec\":{}}");
      c.binary(new byte[] {5});
      c.text("{\"type\":\"init\",\"contentType\":\"image/jpeg\",\"width\":640,\"height\":480,\"codec\":\"avc1.42E01E\"}");
      c.binary(new byte[] {6});
    });
    WebSocketFrameSource source = open(server, 16);
    for (int i = 1; i <= 5; i++) {
      Frame f = source.nextFrame();
      assertArrayEquals(new byte[] {(byte) i}, f.copyPayload(), "frame " + i + " is delivered");
      assertTrue(f.width().isEmpty() && f.height().isEmpty() && f.codec().isEmpty(), f.toString());
      assertEquals(i < 5 ? "image/png" : "application/octet-stream", f.contentType());
    }
    Frame valid = source.nextFrame();
    assertArrayEquals(new byte[] {6}, valid.copyPayload());
    assertEquals("image/jpeg", valid.contentType());
    assertEquals(640, valid.width().orElse(0));
    assertEquals(480, valid.height().orElse(0));
    assertEquals("avc1.42E01E", valid.codec().orElse(""));
    assertEquals(1 + 2 + 2 + 1 + 3, source.rejectedInitValues());
  }

  private static List<Fmp4Parser.Segment> segments() throws IOException {
    List<Fmp4Parser.Segment> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(EVERY_FRAME)) {
      Fmp4Parser parser = new Fmp4Parser(in, Fmp4Parser.DEFAULT_MAX_INIT_BYTES, Fmp4Parser.DEFAULT_MAX_FRAGMENT_BYTES);
      while (out.size() < 1000) {
        try {
          out.add(parser.next());
        } catch (EOFException end) {
          return out;
        }
      }
    }
    throw new IllegalStateException("more segments than expected");
  }

  @Test
  void l2_webSocketClientSkipsToTheNextKeyAfterADrop() throws Exception {
    List<Fmp4Parser.Segment> segments = segments();
    assertEquals(31, segments.size());
    ScriptedWebSocketServer server = ScriptedWebSocketServer.start(c -> {
      c.text("{\"type\":\"init\",\"contentType\":\"video/mp4\",\"width\":160,\"height\":90,\"codec\":\"avc1.640028\"}");
      for (Fmp4Parser.Segment s : segments) {
        c.binary(s.bytes());
      }
    });
    WebSocketFrameSource source = open(server, 4);
    // Nobody reads meanwhile: 31 frames arrive for 4 places (and the one INIT). What the buffer keeps is
    // the INIT and the newest group it can deliver whole: key frame 20 and three deltas.
    await(() -> "the client's buffer to overflow; dropped " + source.droppedFrames(),
        () -> source.droppedFrames() >= 26);

    List<byte[]> expected = new ArrayList<>();
    segments.forEach(s -> expected.add(s.bytes()));
    List<Integer> got = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Frame f = source.nextFrame();
      int index = indexOf(expected, f.copyPayload());
      assertEquals(segments.get(index).kind(), f.kind(), "classified as the file says, segment " + index);
      if (f.kind() == FrameKind.DELTA) {
        assertEquals(got.get(got.size() - 1) + 1, index, "a delta whose reference was dropped was delivered: " + got);
      }
      got.add(index);
    }
    assertEquals(List.of(0, 21, 22, 23, 24), got, "the INIT, then key frame 20 of the video and its deltas");
    assertEquals(26, source.droppedFrames());
  }

  private static int indexOf(List<byte[]> segments, byte[] payload) {
    for (int i = 0; i < segments.size(); i++) {
      if (java.util.Arrays.equals(segments.get(i), payload)) {
        return i;
      }
    }
    throw new AssertionError("a payload that the server did not send");
  }
}
