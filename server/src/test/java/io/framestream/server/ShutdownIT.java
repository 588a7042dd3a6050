package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Shutdown is bounded, tells every viewer, and leaves no thread and no listening socket behind. */
class ShutdownIT {

  @Test
  void closeEndsEveryStreamAndLeavesNoThreadOrPortBehind() throws Exception {
    Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
    FrameStreamServer server = FrameStreamServer.builder().port(0).build().start();
    int port = server.port();
    JdkWsClient viewer = JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/bye"));
    JdkWsClient publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/bye"));
    HttpResponse<InputStream> sse = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(HttpRequest.newBuilder(server.httpUri().resolve("/sse/bye")).build(), HttpResponse.BodyHandlers.ofInputStream());
    Await.until("viewers subscribed", () -> server.registry().channel("bye").subscriberCount() == 2);
    publisher.sendBinary(WebSocketServerIT.jpeg(1, 1000));
    Await.until("frame delivered", () -> viewer.binaries().size() == 1);

    long start = System.nanoTime();
    server.close();
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms < FrameStreamServer.DEFAULT_SHUTDOWN_TIMEOUT.toMillis() + 1000, "close took " + ms + " ms");
    assertEquals(1001, viewer.closeCode(Duration.ofSeconds(10)), "WebSocket viewers get 1001");
    assertEquals(1001, publisher.closeCode(Duration.ofSeconds(10)), "publishers too");
    try (InputStream body = sse.body()) {
      byte[] buf = new byte[8192];
      int total = 0;
      for (int n; (n = body.read(buf)) >= 0 && total < 1 << 20; ) {
        total += n;
      }
      // reaching the end of the stream (not a timeout) is the point
    }
    viewer.abort();
    publisher.abort();
    Await.until(() -> "server threads end: " + leftovers(before), () -> leftovers(before).isEmpty(), Duration.ofSeconds(15));
    try (ServerSocket again = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"))) {
      assertEquals(port, again.getLocalPort(), "the port is free again");
    }
  }

  /** Threads started since the test began, except the test clients' own (JDK HttpClient, timeouts, pools). */
  private static List<String> leftovers(Set<Thread> before) {
    List<String> names = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String n = t.getName();
      if (!before.contains(t) && t.isAlive() && !n.startsWith("HttpClient") && !n.startsWith("ForkJoinPool.commonPool")
          && !n.startsWith("framestream-shared") && !n.equals("CompletableFutureDelayScheduler")) {
        names.add(n);
      }
    }
    return names;
  }
}
