package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSink;
import io.framestream.core.SourceRunner;
import io.framestream.core.wire.Fmp4Parser;
import io.framestream.testkit.Await;
import io.framestream.transport.sse.SseFrameSource;
import io.framestream.transport.websocket.WebSocketFrameSource;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** fMP4 fragments published over WebSocket keep their key/delta kinds, at the server and at a Java client. */
class VideoPublishIT {

  private static final Path SAMPLE = Path.of("..", "core", "src", "test", "resources", "fmp4", "avc-frag-every-frame.mp4");

  @Test
  void publishedFragmentsAreMarkedKeyOrDeltaFromTheirSampleFlags() throws Exception {
    List<Fmp4Parser.Segment> segments = new ArrayList<>();
    Fmp4Parser parser = new Fmp4Parser(new ByteArrayInputStream(Files.readAllBytes(SAMPLE)),
        Fmp4Parser.DEFAULT_MAX_INIT_BYTES, Fmp4Parser.DEFAULT_MAX_FRAGMENT_BYTES);
    try {
      for (int i = 0; i < 1000; i++) {
        segments.add(parser.next());
      }
    } catch (EOFException end) {
      // all read
    }
    List<FrameKind> expected = segments.stream().map(Fmp4Parser.Segment::kind).toList();

    try (FrameStreamServer server = FrameStreamServer.builder().port(0).build().start();
        Channel relayed = Channel.create("relayed");
        Channel relayedSse = Channel.create("relayed-sse")) {
      List<FrameKind> atServer = new ArrayList<>();
      List<FrameKind> atClient = new ArrayList<>();
      List<FrameKind> atSseClient = new ArrayList<>();
      server.registry().channel("vid").subscribe(FrameSink.of(f -> add(atServer, f)));
      relayed.subscribe(FrameSink.of(f -> add(atClient, f)));
      relayedSse.subscribe(FrameSink.of(f -> add(atSseClient, f)));
      try (SourceRunner client = SourceRunner.builder(
              WebSocketFrameSource.builder(server.webSocketUri().resolve("/ws/live/vid")).build(), relayed).build();
          SourceRunner sseClient = SourceRunner.builder(
              SseFrameSource.builder(server.httpUri().resolve("/sse/vid")).build(), relayedSse).build()) {
        client.start();
        sseClient.start();
        Await.until("clients subscribed", () -> server.registry().channel("vid").subscriberCount() == 3);
        JdkWsClient publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/vid"));
        try {
          for (int i = 0; i < segments.size(); i++) {
            publisher.sendBinary(segments.get(i).bytes());
            int n = i + 1;
            Await.until("segment " + i + " delivered",
                () -> size(atServer) == n && size(atClient) == n && size(atSseClient) == n);
          }
        } finally {
          publisher.abort();
        }
      }
      assertEquals(expected, atServer, "kinds as published into the channel");
      assertEquals(expected, atClient, "kinds as a Java WebSocket client sees them");
      assertEquals(expected, atSseClient, "kinds as a Java SSE client sees them");
    }
  }

  private static void add(List<FrameKind> kinds, Frame f) {
    synchronized (kinds) {
      kinds.add(f.kind());
    }
  }

  private static int size(List<FrameKind> kinds) {
    synchronized (kinds) {
      return kinds.size();
    }
  }
}
