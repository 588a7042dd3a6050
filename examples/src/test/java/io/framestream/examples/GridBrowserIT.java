package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.core.Channel;
import io.framestream.examples.Chromium.Browser;
import io.framestream.testkit.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code grid.html} in a real browser (Debian's headless Chromium) against the example server: sixteen
 * channels through one WebSocket ({@code /ws/multi}), every tile showing pictures that keep changing, where
 * sixteen SSE streams would be beyond a browser's six connections per server over HTTP/1.1. Skipped when
 * Chromium is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GridBrowserIT {

  static final Duration BOUND = Duration.ofSeconds(30);
  static final Path WORK = Path.of("target", "browser-it");
  static final int TILES = 16;

  private ExampleServer example;
  private Chromium chromium;
  private TestJpegs feeder;
  private final List<Channel> channels = new ArrayList<>();

  @BeforeAll
  void start() throws IOException {
    if (!Chromium.available()) {
      System.out.println("GridBrowserIT skipped: " + Chromium.MISSING);
      return;
    }
    example = ExampleServer.start("127.0.0.1", 0);
    for (int i = 0; i < TILES; i++) {
      channels.add(example.server().registry().declare("grid-" + i));
    }
    feeder = TestJpegs.feed(channels, 200);
    chromium = Chromium.start(WORK.resolve("grid"));
  }

  @BeforeEach
  void needsChromium() {
    assumeTrue(Chromium.available(), Chromium.MISSING);
  }

  @AfterAll
  void stop() {
    if (feeder != null) {
      feeder.close();
    }
    if (chromium != null) {
      chromium.close();
    }
    if (example != null) {
      example.close();
    }
  }

  private static Map<String, Integer> loads(JsonNode grid) {
    Map<String, Integer> out = new HashMap<>();
    grid.path("tiles").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().path("loads").asInt()));
    return out;
  }

  @Test
  void g_theGridShowsSixteenChannelsOverOneWebSocket() throws IOException {
    StringBuilder names = new StringBuilder();
    for (Channel c : channels) {
      names.append(names.length() == 0 ? "" : ",").append(c.name());
    }
    try (Browser b = chromium.open()) {
      b.navigate(example.httpUri().resolve("grid.html?channels=" + names).toString());
      JsonNode[] grid = new JsonNode[1];
      Await.until(() -> "every tile shows a picture; " + grid[0], () -> {
        grid[0] = b.evalUnchecked("return window.framestreamGrid || null;");
        Map<String, Integer> loads = loads(grid[0]);
        return loads.size() == TILES && loads.values().stream().allMatch(n -> n >= 2);
      }, BOUND);
      Map<String, Integer> before = loads(grid[0]);
      Await.until(() -> "every tile keeps updating; " + grid[0], () -> {
        grid[0] = b.evalUnchecked("return window.framestreamGrid;");
        Map<String, Integer> now = loads(grid[0]);
        return before.keySet().stream().allMatch(k -> now.get(k) >= before.get(k) + 3);
      }, BOUND);
      assertEquals(1, grid[0].path("sockets").asInt(), () -> "one WebSocket for every tile: " + grid[0]);
      assertEquals(1, grid[0].path("open").asInt(), () -> "opened once, never reconnected: " + grid[0]);
      assertEquals(1, example.server().webSocket().openSessions(), "the server holds one WebSocket session");
      for (Channel c : channels) {
        assertEquals(1, c.subscriberCount(), () -> c.name() + " has the grid's one subscription");
      }
      int images = b.eval("return document.querySelectorAll('#grid img[src]').length;").asInt();
      assertEquals(TILES, images, "sixteen tiles with a picture");
      assertTrue(b.eval("return document.querySelectorAll('#grid img').length;").asInt() == TILES);
      System.out.println("GridBrowserIT: 16 tiles over " + grid[0].path("sockets").asInt() + " WebSocket, "
          + grid[0].path("messages").asInt() + " messages; picture loads per tile " + loads(grid[0]));
      b.screenshot(WORK.resolve("screenshots/grid.png"));
    }
  }
}
