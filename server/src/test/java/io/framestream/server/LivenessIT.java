package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelState;
import io.framestream.testkit.Await;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** WebSocket pings find dead peers on idle channels, viewers and publishers alike. */
class LivenessIT {

  private FrameStreamServer server;

  @BeforeEach
  void start() {
    server = FrameStreamServer.builder().port(0)
        .webSocket(b -> b.pingInterval(Duration.ofMillis(200)).pongTimeout(Duration.ofMillis(1500)))
        .build().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void aViewerThatNoLongerAnswersPingsIsDroppedWhileALiveOneStays() {
    JdkWsClient alive = JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/idle"));
    JdkWsClient dead = JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/idle"), false);
    try {
      Channel ch = server.registry().channel("idle");
      Await.until("both subscribed", () -> ch.subscriberCount() == 2);
      long start = System.nanoTime();
      Await.until("the dead viewer is dropped", () -> ch.subscriberCount() == 1);
      long ms = (System.nanoTime() - start) / 1_000_000;
      System.getLogger(LivenessIT.class.getName()).log(System.Logger.Level.INFO, "dead viewer dropped after {0} ms", ms);
      long quiet = System.nanoTime();
      Await.until(() -> "3 s more of silence", () -> System.nanoTime() - quiet > 3_000_000_000L, Duration.ofSeconds(10));
      assertFalse(alive.isClosed(), "a viewer that answers pings stays on an idle channel");
      assertEquals(1, ch.subscriberCount());
    } finally {
      alive.abort();
      dead.abort();
    }
  }

  /** Completes a WebSocket handshake on a raw socket, then never reads or writes again: a dead peer. */
  private Socket silentWebSocket(String path) throws Exception {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
    s.setSoTimeout(10_000);
    OutputStream out = s.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n") && head.length() < 4096) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      head.append((char) c);
    }
    assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
    return s;
  }

  @Test
  void aDeadPublisherIsDroppedAndTheChannelGoesOffline() throws Exception {
    JdkWsClient viewer = JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/pub"));
    Socket deadPublisher = silentWebSocket("/ws/publish/pub");
    try {
      Channel ch = server.registry().channel("pub");
      Await.until("publisher online", () -> ch.state().equals(Optional.of(ChannelState.ONLINE)));
      Await.until("publisher dropped, channel offline", () -> ch.state().equals(Optional.of(ChannelState.OFFLINE)));
      Await.until("the viewer is told", () -> viewer.texts().stream().anyMatch(t -> t.contains("\"offline\"")));
      assertEquals(0, ch.publisherCount());
    } finally {
      viewer.abort();
      deadPublisher.close();
    }
  }
}
