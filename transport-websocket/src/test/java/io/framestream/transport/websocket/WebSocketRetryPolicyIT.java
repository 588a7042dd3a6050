package io.framestream.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.FrameSink;
import io.framestream.core.RetryPolicy;
import io.framestream.core.SourceRunner;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Both WebSocket clients wait the delays of the {@link RetryPolicy} they are given: the sink its own, the
 * source its {@link SourceRunner}'s. A custom policy that answers 5 ms is asked again and again while the
 * server is unreachable, where the default policies would wait 100 or 200 ms, then double.
 */
class WebSocketRetryPolicyIT {

  private static final long FIVE_MS = TimeUnit.MILLISECONDS.toNanos(5);

  /** A ws:// address on 127.0.0.1 where nothing listens. */
  private static URI unreachable(String path) throws IOException {
    try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return URI.create("ws://127.0.0.1:" + unused.getLocalPort() + path);
    }
  }

  /** A policy that counts down {@code delays} each time it is asked for a delay, and answers 5 ms. */
  private static RetryPolicy countingDown(CountDownLatch delays) {
    return () -> hintNanos -> {
      delays.countDown();
      return FIVE_MS;
    };
  }

  @Test
  void sinkAsksItsRetryPolicyBeforeEveryAttemptToReachAServerThatIsNotThere() throws Exception {
    CountDownLatch threeDelays = new CountDownLatch(3);
    RetryPolicy counting = countingDown(threeDelays);
    try (WebSocketFrameSink sink =
        WebSocketFrameSink.builder(unreachable("/ws/publish/cam")).retryPolicy(counting).build().start()) {
      assertTrue(threeDelays.await(20, TimeUnit.SECONDS), "three delays asked of the policy");
      assertFalse(sink.isConnected());
      assertEquals(0, sink.connects());
    }
    assertThrows(NullPointerException.class,
        () -> WebSocketFrameSink.builder(URI.create("ws://127.0.0.1/")).retryPolicy(null));
  }

  @Test
  void sinkResetsItsRetryPolicyOnEveryConnectionAndAsksItAfterEveryDisconnect() throws Exception {
    List<String> asked = new CopyOnWriteArrayList<>();
    CountDownLatch twoConnections = new CountDownLatch(2);
    RetryPolicy recording = () -> new RetryPolicy.Attempts() {
      @Override
      public long nextDelayNanos(long hintNanos) {
        asked.add("delay");
        return FIVE_MS;
      }

      @Override
      public void reset() {
        asked.add("reset");
        twoConnections.countDown();
      }
    };
    try (ScriptedWebSocketServer server = ScriptedWebSocketServer.start(c -> {
          throw new IOException("the server hangs up after the handshake");
        });
        WebSocketFrameSink sink =
            WebSocketFrameSink.builder(server.uri("/ws/publish/cam")).retryPolicy(recording).build().start()) {
      assertTrue(twoConnections.await(20, TimeUnit.SECONDS), "connected twice: " + asked);
      List<String> seen = List.copyOf(asked); // the sink goes on reconnecting meanwhile
      assertEquals(List.of("reset", "delay", "reset"), seen.subList(0, 3), "asked: " + seen);
      assertTrue(sink.connects() >= 2, "connects: " + sink.connects());
    }
  }

  @Test
  void sourceIsReopenedAfterTheDelaysOfItsRunnersRetryPolicy() throws Exception {
    CountDownLatch threeDelays = new CountDownLatch(3);
    RetryPolicy counting = countingDown(threeDelays);
    WebSocketFrameSource source = WebSocketFrameSource.builder(unreachable("/ws/live/cam")).build();
    FrameSink nowhere = FrameSink.of(frame -> { });
    try (SourceRunner runner = SourceRunner.builder(source, nowhere).retryPolicy(counting).build().start()) {
      assertTrue(threeDelays.await(20, TimeUnit.SECONDS), "three delays asked of the policy");
      assertTrue(runner.stats().failures() >= 3, runner.stats().toString());
    }
  }
}
