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
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Delivery beyond the anchors, in a real browser (Debian's headless Chromium) against the example server:
 * a plain {@code <img src="/mjpeg/...">}, with no JavaScript of ours behind it, shows the channel's changing
 * pictures (its pixels sampled through a canvas); {@code /snapshot/...} answers {@code fetch} and {@code
 * <img>}; and {@code grid.html} shows sixteen channels through one WebSocket ({@code /ws/multi}), every tile
 * updating, where sixteen SSE streams would be beyond a browser's six connections per server over HTTP/1.1.
 * Skipped when Chromium is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MjpegGridBrowserIT {

  static final Duration BOUND = Duration.ofSeconds(30);
  static final Path WORK = Path.of("target", "browser-it");
  static final String CHANNEL = "mjpeg-browser";
  static final int TILES = 16;

  private ExampleServer example;
  private Chromium chromium;
  private TestJpegs feeder;
  private final List<Channel> gridChannels = new ArrayList<>();

  @BeforeAll
  void start() throws IOException {
    if (!Chromium.available()) {
      System.out.println("MjpegGridBrowserIT skipped: " + Chromium.MISSING);
      return;
    }
    example = ExampleServer.start("127.0.0.1", 0);
    List<Channel> fed = new ArrayList<>();
    fed.add(example.server().registry().declare(CHANNEL));
    for (int i = 0; i < TILES; i++) {
      gridChannels.add(example.server().registry().declare("grid-" + i));
    }
    fed.addAll(gridChannels);
    feeder = TestJpegs.feed(fed, 150);
    chromium = Chromium.start(WORK.resolve("mjpeg-grid"));
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

  /** The colour at the picture's centre as "r,g,b", drawn through a canvas; "" before the picture. */
  private static final String CENTRE = "const img = window.mjpegImg;"
      + "if (!img || !img.complete || img.naturalWidth === 0) return {width: 0, colour: ''};"
      + "const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;"
      + "const g = c.getContext('2d'); g.drawImage(img, 0, 0);"
      + "const p = g.getImageData(c.width / 2, c.height / 2, 1, 1).data;"
      + "const q = (v) => v > 127 ? 1 : 0;"
      + "return {width: img.naturalWidth, height: img.naturalHeight, colour: q(p[0]) + ',' + q(p[1]) + ',' + q(p[2])};";

  @Test
  void j1_anImgElementShowsTheMjpegStreamsChangingPictures() throws IOException {
    try (Browser b = chromium.open()) {
      b.navigate(example.httpUri().resolve("/").toString());
      b.eval("const img = new Image(); img.src = '/mjpeg/" + CHANNEL + "'; document.body.appendChild(img);"
          + " window.mjpegImg = img; return true;");
      Set<String> colours = new TreeSet<>();
      JsonNode[] last = new JsonNode[1];
      Await.until(() -> "four colours through one <img>; saw " + colours + ", last " + last[0], () -> {
        last[0] = b.evalUnchecked(CENTRE);
        if (!last[0].path("colour").asText().isEmpty()) {
          colours.add(last[0].path("colour").asText());
        }
        return colours.size() >= 4;
      }, BOUND);
      assertEquals(TestJpegs.WIDTH, last[0].path("width").asInt(), last[0]::toString);
      assertEquals(TestJpegs.HEIGHT, last[0].path("height").asInt(), last[0]::toString);
      System.out.println("MjpegGridBrowserIT: <img src=/mjpeg/...> showed the colours " + colours);
      assertTrue(example.server().registry().channel(CHANNEL).subscriberCount() >= 1, "the <img> is a viewer");
      b.screenshot(WORK.resolve("screenshots/mjpeg-img.png"));
    }
  }

  @Test
  void j5_theSnapshotEndpointAnswersFetchAndImg() throws IOException {
    try (Browser b = chromium.open()) {
      b.navigate(example.httpUri().resolve("/").toString());
      b.eval("window.snap = null; fetch('/snapshot/" + CHANNEL + "', {cache: 'no-store'}).then(async (r) => {"
          + " const bytes = new Uint8Array(await r.arrayBuffer());"
          + " window.snap = {status: r.status, type: r.headers.get('content-type'), etag: r.headers.get('etag'),"
          + " cache: r.headers.get('cache-control'), modified: r.headers.get('last-modified'),"
          + " soi: bytes[0] === 0xFF && bytes[1] === 0xD8, length: bytes.length}; });"
          + " const img = new Image(); img.src = '/snapshot/" + CHANNEL + "'; window.snapImg = img; return true;");
      JsonNode[] snap = new JsonNode[1];
      Await.until("the fetch answered", () -> !(snap[0] = b.evalUnchecked("return window.snap;")).isNull(), BOUND);
      assertEquals(200, snap[0].path("status").asInt(), snap[0]::toString);
      assertEquals("image/jpeg", snap[0].path("type").asText(), snap[0]::toString);
      assertTrue(snap[0].path("soi").asBoolean(), () -> "a JPEG body: " + snap[0]);
      assertEquals("no-cache", snap[0].path("cache").asText(), snap[0]::toString);
      assertTrue(snap[0].path("etag").asText().startsWith("\""), snap[0]::toString);
      assertTrue(snap[0].path("modified").asText().endsWith("GMT"), snap[0]::toString);
      Await.until("the <img> of the snapshot decoded",
          () -> b.evalUnchecked("return window.snapImg.complete && window.snapImg.naturalWidth;").asInt()
              == TestJpegs.WIDTH, BOUND);
      JsonNode missing = b.eval("return fetch('/snapshot/no-such-channel').then((r) => r.status);");
      assertEquals(404, missing.asInt(), "an unknown channel: 404");
    }
  }

  private static Map<String, Integer> loads(JsonNode grid) {
    Map<String, Integer> out = new HashMap<>();
    grid.path("tiles").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().path("loads").asInt()));
    return out;
  }

  @Test
  void g1_theGridShowsSixteenChannelsOverOneWebSocket() throws IOException {
    StringBuilder names = new StringBuilder();
    for (Channel c : gridChannels) {
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
      for (Channel c : gridChannels) {
        assertEquals(1, c.subscriberCount(), () -> c.name() + " has the grid's one subscription");
      }
      int images = b.eval("return document.querySelectorAll('#grid img[src]').length;").asInt();
      assertEquals(TILES, images, "sixteen tiles with a picture");
      assertTrue(b.eval("return document.querySelectorAll('#grid img').length;").asInt() == TILES);
      System.out.println("MjpegGridBrowserIT: 16 tiles over " + grid[0].path("sockets").asInt() + " WebSocket, "
          + grid[0].path("messages").asInt() + " messages; picture loads per tile " + loads(grid[0]));
      b.screenshot(WORK.resolve("screenshots/grid.png"));
    }
  }
}
