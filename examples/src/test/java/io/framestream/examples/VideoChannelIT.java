package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSource;
import io.framestream.core.Subscription;
import io.framestream.media.Fmp4Source;
import io.framestream.testkit.Await;
import io.framestream.transport.sse.SseFrameSource;
import io.framestream.transport.websocket.WebSocketFrameSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The example server's {@code video-demo} channel over the real server: a viewer that joins while the
 * channel's newest fragment is a delta gets the init segment, then the newest key fragment (and the deltas
 * after it), over WebSocket and over SSE. The transports do not say which fragment is a key fragment, so the
 * received bytes are parsed again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VideoChannelIT {

  private ExampleServer example;
  private Subscription keepAlive;

  @BeforeAll
  void start() {
    example = ExampleServer.start("127.0.0.1", 0);
    // A first viewer starts the channel's source.
    keepAlive = KeepAlive.subscribe(video(), () -> { });
  }

  @AfterAll
  void stop() {
    if (keepAlive != null) {
      keepAlive.close();
    }
    if (example != null) {
      example.close();
    }
  }

  private Channel video() {
    return example.server().registry().channel(ExampleServer.VIDEO_CHANNEL);
  }

  @ParameterizedTest(name = "over {0}")
  @ValueSource(strings = {"ws", "sse"})
  void c4_aLateJoinerGetsInitThenTheNewestKeyFragment_notADelta(String transport) throws Exception {
    Await.until("the channel's newest fragment is a delta", () -> video().latestFrame()
        .map(f -> f.kind() == FrameKind.DELTA).orElse(false), Duration.ofSeconds(15));
    URI base = example.httpUri();
    String path = "/" + ExampleServer.VIDEO_CHANNEL;
    FrameSource viewer = transport.equals("ws")
        ? WebSocketFrameSource.builder(URI.create(base.toString().replaceFirst("^http", "ws") + "ws/live" + path))
            .build()
        : SseFrameSource.builder(base.resolve("/sse" + path)).build();
    List<Frame> received = new ArrayList<>();
    viewer.open();
    try {
      for (int i = 0; i < 4; i++) {
        received.add(viewer.nextFrame());
      }
    } finally {
      viewer.close();
    }
    assertEquals(FrameKind.INIT, received.get(0).kind(), "first: the init segment");
    for (Frame f : received) {
      assertEquals("video/mp4", f.contentType());
      assertEquals("avc1.42C01E", f.codec().orElseThrow());
    }
    // What the viewer got, parsed as one stream: init, then a key fragment first.
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (Frame f : received) {
      stream.writeBytes(f.copyPayload());
    }
    byte[] bytes = stream.toByteArray();
    Fmp4Source parsed = Fmp4Source.fromStream(() -> new ByteArrayInputStream(bytes));
    List<FrameKind> kinds = new ArrayList<>();
    parsed.open();
    try {
      while (true) {
        kinds.add(parsed.nextFrame().kind());
      }
    } catch (EOFException end) {
      // all read
    } finally {
      parsed.close();
    }
    assertEquals(FrameKind.INIT, kinds.get(0), kinds::toString);
    assertEquals(FrameKind.KEY, kinds.get(1), () -> "the first fragment must be a key fragment: " + kinds);
    assertTrue(kinds.subList(2, kinds.size()).contains(FrameKind.DELTA), () -> "then the deltas after it: "
        + kinds);
    System.out.println("VideoChannelIT: late joiner over " + transport + " got " + kinds);
  }
}
