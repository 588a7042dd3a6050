package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.framestream.testkit.Await;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Grizzly's default keep-alive idle timeout (30 s) kills idle WebSocket connections; the server turns it
 * off. A viewer of a channel that publishes nothing for longer than that must still be connected.
 */
class IdleViewerIT {

  @Test
  void aViewerIdleForLongerThanTheKeepAliveTimeoutStaysConnected() {
    try (FrameStreamServer server = FrameStreamServer.builder().port(0).build().start()) {
      JdkWsClient viewer = JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/quiet"));
      try {
        Await.until("init", () -> viewer.count() == 1);
        long idleUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(33);
        Await.until(() -> "33 s of silence", () -> viewer.isClosed() || System.nanoTime() > idleUntil,
            Duration.ofSeconds(60));
        assertFalse(viewer.isClosed(), "the idle viewer was disconnected");
        JdkWsClient publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/quiet"));
        publisher.sendBinary(WebSocketServerIT.jpeg(1, 10));
        Await.until("frame after the silence", () -> viewer.binaries().size() == 1);
        assertArrayEquals(WebSocketServerIT.jpeg(1, 10), viewer.binaries().get(0));
        publisher.abort();
      } finally {
        viewer.abort();
      }
    }
  }
}
