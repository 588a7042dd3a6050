package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import io.framestream.core.FrameSink;
import io.framestream.core.FrameSource;
import io.framestream.core.SourceRunner;
import io.framestream.testkit.Await;
import io.framestream.transport.sse.SseFrameSource;
import io.framestream.transport.websocket.WebSocketFrameSink;
import io.framestream.transport.websocket.WebSocketFrameSource;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The Java WebSocket client: publish to and relay from a real server, across a server restart. */
class ClientIT {

  /** A source of small JPEG-looking frames whose bytes 3..6 carry a counter. */
  private static final class Counter implements FrameSource {
    final AtomicInteger n = new AtomicInteger();

    @Override
    public Frame nextFrame() {
      return Frame.of("image/jpeg", payload(n.incrementAndGet()));
    }
  }

  static byte[] payload(int n) {
    byte[] b = new byte[64];
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xD8;
    b[2] = (byte) 0xFF;
    ByteBuffer.wrap(b, 3, 4).putInt(n);
    for (int i = 7; i < b.length; i++) {
      b[i] = (byte) (n * 31 + i);
    }
    return b;
  }

  static int counterOf(Frame f) {
    return f.payload().getInt(3);
  }

  private static FrameStreamServer startServer(int port) {
    return FrameStreamServer.builder().port(port).build().start();
  }

  @Test
  void publishAndRelaySurviveAServerRestart() {
    FrameStreamServer server = startServer(0);
    int port = server.port();
    URI base = server.webSocketUri();
    List<Frame> relayed = new ArrayList<>();
    List<Frame> relayedSse = new ArrayList<>();
    Counter counter = new Counter();
    try (Channel local = Channel.create("relayed");
        WebSocketFrameSink publisher = WebSocketFrameSink.builder(base.resolve("/ws/publish/cam"))
            .backoff(Duration.ofMillis(50), Duration.ofMillis(500)).build().start();
        SourceRunner feed = SourceRunner.builder(counter, publisher).fps(25).build();
        SourceRunner relay = SourceRunner.builder(
                WebSocketFrameSource.builder(base.resolve("/ws/live/cam")).build(), local)
            .backoff(Duration.ofMillis(50), Duration.ofMillis(500)).build();
        SourceRunner sseRelay = SourceRunner.builder(
            SseFrameSource.builder(server.httpUri().resolve("/sse/cam"))
                .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500)).build(),
            FrameSink.of(f -> {
              synchronized (relayedSse) {
                relayedSse.add(f);
              }
            })).build()) {
      local.subscribe(FrameSink.of(f -> {
        synchronized (relayed) {
          relayed.add(f);
        }
      }));
      Await.until("publisher connected", publisher::isConnected);
      feed.start();
      relay.start();
      sseRelay.start();
      Await.until("frames relayed over both transports", () -> size(relayed) >= 20 && size(relayedSse) >= 20);

      server.close();
      int beforeRestart = size(relayed);
      int beforeRestartSse = size(relayedSse);
      server = startServer(port);
      Await.until("both relays resume after the restart",
          () -> size(relayed) >= beforeRestart + 20 && size(relayedSse) >= beforeRestartSse + 20);
      assertTrue(publisher.connects() >= 2, "the publisher reconnected");
      assertTrue(relay.stats().restarts() >= 1, "the relay reconnected");

      assertInOrderAndIdentical(relayed);
      assertInOrderAndIdentical(relayedSse);
    } finally {
      server.close();
    }
  }

  private static void assertInOrderAndIdentical(List<Frame> frames) {
    List<Frame> got;
    synchronized (frames) {
      got = new ArrayList<>(frames);
    }
    int prev = 0;
    for (Frame f : got) {
      int c = counterOf(f);
      assertTrue(c > prev, "in order: " + c + " after " + prev);
      assertArrayEquals(payload(c), f.copyPayload(), "byte-identical frame " + c);
      assertEquals("image/jpeg", f.contentType());
      prev = c;
    }
  }

  @Test
  void closeStopsTheClientsForGood() {
    try (FrameStreamServer server = startServer(0)) {
      WebSocketFrameSink publisher = WebSocketFrameSink.builder(server.webSocketUri().resolve("/ws/publish/x"))
          .build().start();
      Await.until("connected", publisher::isConnected);
      Channel channel = server.registry().channel("x");
      Await.until("publisher seen", () -> server.webSocket().openSessions() == 1);
      publisher.close();
      Await.until("server sees the publisher leave", () -> server.webSocket().openSessions() == 0);
      assertFalse(publisher.isConnected());
      channel.publish(Frame.of("image/jpeg", payload(1)));

      // Closing right after the server saw the viewer races with the client's own connect call; the
      // connection must be closed either way.
      try (Channel sink = Channel.create("sink")) {
        for (int round = 0; round < 8; round++) {
          WebSocketFrameSource source = WebSocketFrameSource.builder(server.webSocketUri().resolve("/ws/live/x"))
              .build();
          SourceRunner runner = SourceRunner.builder(source, sink).build().start();
          Await.until("viewer connected", () -> channel.subscriberCount() == 1);
          runner.close();
          Await.until("viewer gone", () -> channel.subscriberCount() == 0);
          assertEquals(SourceRunner.State.STOPPED, runner.state());
        }
      }
    }
  }

  @Test
  void frameWatchdogsReconnectClientsOfASilentChannel() {
    try (FrameStreamServer server = startServer(0); Channel sink = Channel.create("watchdog-sink")) {
      WebSocketFrameSource ws = WebSocketFrameSource.builder(server.webSocketUri().resolve("/ws/live/silent"))
          .frameTimeout(Duration.ofMillis(300)).build();
      SseFrameSource sse = SseFrameSource.builder(server.httpUri().resolve("/sse/silent"))
          .frameTimeout(Duration.ofMillis(300)).reconnectDelay(Duration.ofMillis(20), Duration.ofMillis(100)).build();
      try (SourceRunner wsRunner = SourceRunner.builder(ws, sink)
              .backoff(Duration.ofMillis(20), Duration.ofMillis(100)).build().start();
          SourceRunner sseRunner = SourceRunner.builder(sse, sink).build().start()) {
        Await.until("both watchdogs fired twice", () -> wsRunner.stats().restarts() >= 2 && sse.reconnects() >= 2);
        assertTrue(wsRunner.stats().lastFailure().contains("frameTimeout"), wsRunner.stats().lastFailure());
        server.registry().channel("silent").publish(Frame.of("image/jpeg", payload(1)));
        Await.until("frames flow again after reconnecting", () -> sink.stats().framesIn() >= 2);
      }
    }
  }

  private static int size(List<Frame> list) {
    synchronized (list) {
      return list.size();
    }
  }
}
