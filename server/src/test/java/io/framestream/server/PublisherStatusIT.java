package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.testkit.Await;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One publisher per channel by default, and viewers told when it leaves and comes back (both transports). */
class PublisherStatusIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private FrameStreamServer server;

  @BeforeEach
  void start() {
    server = FrameStreamServer.builder().port(0).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void aSecondPublisherIsRefusedWith409() {
    JdkWsClient first = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/solo"));
    try {
      // W7: refused in the handshake (PublisherSlotIT checks the reason names the limit, and the race).
      assertEquals(409, JdkWsClient.refusedStatus(server.webSocketUri().resolve("/ws/publish/solo")));
      first.sendBinary(WebSocketServerIT.jpeg(1, 100));
      Await.until("the first publisher still publishes", () -> server.registry().channel("solo").stats().framesIn() == 1);
    } finally {
      first.abort();
    }
  }

  @Test
  void viewersOfBothTransportsAreToldOfflineThenOnlineWithAFreshInit() throws Exception {
    JdkWsClient wsViewer = JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/cam"));
    List<String> sseLines = new ArrayList<>();
    HttpResponse<InputStream> sse = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
        HttpRequest.newBuilder(server.httpUri().resolve("/sse/cam")).build(), HttpResponse.BodyHandlers.ofInputStream());
    CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
        for (String line; sseLines.size() < 10_000 && (line = in.readLine()) != null; ) {
          synchronized (sseLines) {
            sseLines.add(line);
          }
        }
      } catch (Exception e) {
        // the stream ends with the server
      }
    });
    try {
      Await.until("both viewers subscribed", () -> server.registry().channel("cam").subscriberCount() == 2);
      JdkWsClient publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/cam"));
      publisher.sendBinary(WebSocketServerIT.jpeg(1, 100));
      Await.until("frame reaches the WS viewer", () -> wsViewer.binaries().size() == 1);
      publisher.close();
      Await.until("WS viewer told offline", () -> wsViewer.texts().stream().anyMatch(t -> t.contains("\"offline\"")));
      Await.until("SSE viewer told offline", () -> copy(sseLines).contains("event: status")
          && copy(sseLines).stream().anyMatch(l -> l.contains("\"status\":\"offline\"")));

      JdkWsClient late = JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/cam"));
      Await.until("late joiner: init, newest frame, offline", () -> late.count() == 3);
      assertArrayEquals(WebSocketServerIT.jpeg(1, 100), late.messages().get(1).binary(), "the newest frame stays");
      assertEquals("offline", JSON.readTree(late.messages().get(2).text()).get("status").asText());

      JdkWsClient again = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/cam"));
      Await.until("WS viewer told online", () -> wsViewer.texts().stream().anyMatch(t -> t.contains("\"online\"")));
      List<String> texts = wsViewer.texts();
      int online = indexOfContaining(texts, "\"online\"");
      JsonNode fresh = JSON.readTree(texts.get(online + 1));
      assertEquals("init", fresh.get("type").asText(), "a fresh init follows online: " + texts);
      Await.until("SSE viewer told online, then init", () -> {
        List<String> l = copy(sseLines);
        int at = indexOfContaining(l, "\"status\":\"online\"");
        return at >= 0 && l.subList(at, l.size()).contains("event: init");
      });
      again.abort();
      late.abort();
    } finally {
      wsViewer.abort();
      server.close();
      reader.get(15, TimeUnit.SECONDS);
    }
  }

  private static int indexOfContaining(List<String> list, String part) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).contains(part)) {
        return i;
      }
    }
    return -1;
  }

  private static List<String> copy(List<String> lines) {
    synchronized (lines) {
      return new ArrayList<>(lines);
    }
  }
}
