package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.examples.Chromium.Browser;
import io.framestream.testkit.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The example pages in a real browser (Debian's headless Chromium), against the real example server:
 * the camera page publishes Chromium's fake camera, and every viewer page shows decodable frames at 5 fps
 * or more within 15 s, over WebSocket (binary and data URIs) and SSE. Frame rates are measured in the page,
 * from its count of the picture's {@code load} events. Skipped when Chromium is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowserIT {

  static final double MIN_FPS = 5;
  static final Duration FIRST_FRAME_AND_RATE = Duration.ofSeconds(15);
  /** Frame rates are averaged over this window of the page's own clock. */
  static final double WINDOW_MS = 3000;
  static final Path WORK = Path.of("target", "browser-it");

  private ExampleServer example;
  private Chromium chromium;
  private ApiClient api;

  @BeforeAll
  void start() throws IOException {
    if (!Chromium.available()) {
      System.out.println("BrowserIT skipped: " + Chromium.MISSING + " (looked for " + Chromium.BINARY + " and "
          + Chromium.DRIVER + ")");
      return;
    }
    example = ExampleServer.start("127.0.0.1", 0);
    api = new ApiClient(example.httpUri());
    chromium = Chromium.start(WORK);
  }

  @BeforeEach
  void needsChromium() {
    assumeTrue(Chromium.available(), Chromium.MISSING);
  }

  @AfterAll
  void stop() {
    if (chromium != null) {
      chromium.close();
    }
    if (example != null) {
      example.close();
    }
  }

  private String page(String pathAndQuery) {
    return example.httpUri().resolve(pathAndQuery).toString();
  }

  @Test
  void demoChannel_showsMovingPicturesWithoutACamera_inEveryViewer() throws IOException {
    try (Browser viewer = chromium.open()) {
      for (String p : new String[] {
          "live.html?channel=demo", "live.html?channel=demo&format=datauri", "live-sse.html?channel=demo"}) {
        viewer.navigate(page(p));
        measureViewer(viewer, p);
      }
      viewer.screenshot(WORK.resolve("screenshots/live-demo-sse.png"));
    }
  }

  @ParameterizedTest(name = "camera published as {0}")
  @ValueSource(strings = {"binary", "datauri"})
  void cameraPage_publishes_andEveryViewerShowsIt(String format) throws IOException {
    String channel = "cam-" + format;
    String formatQuery = format.equals("datauri") ? "&format=datauri" : "";
    try (Browser publisher = chromium.open(); Browser viewer = chromium.open()) {
      publisher.navigate(page("record.html?channel=" + channel + formatQuery));
      Await.until("the camera page publishes into '" + channel + "' (API framesIn)",
          () -> api.channel(channel).path("framesIn").asLong() >= 10, FIRST_FRAME_AND_RATE);
      JsonNode sent = publisher.eval("return window.framestreamStats();");
      assertEquals(format, sent.path("format").asText(), sent::toString);
      assertTrue(sent.path("sent").asLong() >= 10, sent::toString);

      for (String p : new String[] {
          "live.html?channel=" + channel, "live.html?channel=" + channel + "&format=datauri",
          "live-sse.html?channel=" + channel}) {
        viewer.navigate(page(p));
        measureViewer(viewer, p + " (camera " + format + ")");
        if (p.startsWith("live.html") && !p.contains("datauri")) {
          viewer.screenshot(WORK.resolve("screenshots/live-camera-" + format + ".png"));
        }
      }
      JsonNode after = publisher.eval("return window.framestreamStats();");
      System.out.printf(Locale.ROOT, "BrowserIT: record.html %-8s sends %5.1f fps (%d frames, last %d bytes)%n",
          format, after.path("fps").asDouble(), after.path("sent").asLong(), after.path("lastSize").asLong());
      assertTrue(after.path("fps").asDouble() >= MIN_FPS, () -> "camera page sends too slowly: " + after);
      publisher.screenshot(WORK.resolve("screenshots/record-" + format + ".png"));
    }
  }

  @Test
  void cameraPage_keepsPublishing_whileItsTabIsHidden() throws IOException {
    String channel = "cam-hidden";
    try (Browser publisher = chromium.open()) {
      publisher.navigate(page("record.html?channel=" + channel));
      Await.until("the camera page publishes", () -> api.channel(channel).path("framesIn").asLong() >= 10,
          FIRST_FRAME_AND_RATE);
      publisher.openTab(); // as a user who opens the live page in another tab: the camera tab is hidden now
      long from = api.channel(channel).path("framesIn").asLong();
      long start = System.nanoTime();
      Await.pace(Duration.ofSeconds(4).toNanos()); // the measuring window, not a synchronisation
      double fps = (api.channel(channel).path("framesIn").asLong() - from) * 1e9 / (System.nanoTime() - start);
      System.out.printf(Locale.ROOT, "BrowserIT: record.html in a hidden tab sends %5.1f fps%n", fps);
      assertTrue(fps >= MIN_FPS, "a hidden camera page publishes only " + fps + " fps");
    }
  }

  @Test
  void livePage_revokesEveryBlobUrlItCreates() throws IOException {
    try (Browser viewer = chromium.open()) {
      viewer.navigate(page("live.html?channel=demo"));
      measureViewer(viewer, "live.html?channel=demo (blob URL check)");
      // Watch every blob: URL the page creates from now on, independently of the page's own counters.
      viewer.eval("const w = window.blobWatch = {created: 0, revoked: 0, open: new Set()};"
          + "const create = URL.createObjectURL.bind(URL), revoke = URL.revokeObjectURL.bind(URL);"
          + "URL.createObjectURL = (o) => { const u = create(o); w.created++; w.open.add(u); return u; };"
          + "URL.revokeObjectURL = (u) => { if (w.open.delete(u)) w.revoked++; revoke(u); };"
          + "return true;");
      Await.until("40 blob URLs created", () -> viewer.evalUnchecked("return window.blobWatch.created;")
          .asLong() >= 40, FIRST_FRAME_AND_RATE);
      JsonNode watch = viewer.eval(
          "const w = window.blobWatch; return {created: w.created, revoked: w.revoked, open: w.open.size};");
      JsonNode own = viewer.eval("return window.framestreamStats();");
      System.out.println("BrowserIT: blob URLs seen by the test " + watch + ", reported by the page " + own);
      assertTrue(watch.path("open").asInt() <= 2, () -> "blob URLs left open: " + watch);
      assertTrue(own.path("outstanding").asInt() <= 2, () -> "page reports open blob URLs: " + own);
      assertEquals(0, own.path("errors").asInt(), () -> "frames that failed to decode: " + own);
    }
  }

  @Test
  void livePage_disconnectsWhileHidden_andResumesWhenVisible() throws IOException {
    try (Browser viewer = chromium.open()) {
      viewer.navigate(page("live.html?channel=life"));
      measureViewer(viewer, "live.html?channel=life");
      viewer.screenshot(WORK.resolve("screenshots/live-life.png"));
      Await.until("one viewer on 'life'", () -> api.channel("life").path("subscribers").asInt() == 1,
          FIRST_FRAME_AND_RATE);
      String tab = viewer.currentTab();
      viewer.openTab(); // the live page is now a hidden background tab
      Await.until("the hidden page closed its connection", () -> api.channel("life").path("subscribers")
          .asInt() == 0, FIRST_FRAME_AND_RATE);
      viewer.closeTab();
      viewer.switchTo(tab);
      Await.until("the page reconnected when visible again", () -> api.channel("life").path("subscribers")
          .asInt() == 1, FIRST_FRAME_AND_RATE);
      long before = viewer.eval("return window.framestreamStats().loads;").asLong();
      Await.until("frames again", () -> viewer.evalUnchecked("return window.framestreamStats().loads;")
          .asLong() > before + 10, FIRST_FRAME_AND_RATE);
    }
  }

  @Test
  void indexPage_listsTheChannels_withLiveThumbnails() throws IOException {
    try (Browser browser = chromium.open()) {
      browser.navigate(page(""));
      // Cards are found by the channel name they show; thumbnails must be decoded pictures, and the
      // numbers must show the frame rate the thumbnails started.
      Await.until("thumbnails and frame rates of 'demo' and 'life'", () -> browser.evalUnchecked(
          "const cards = [...document.querySelectorAll('.card')];"
              + "const ready = (name) => cards.some(c => c.querySelector('.name').textContent === name"
              + "  && c.querySelector('.picture').naturalWidth > 0"
              + "  && !c.querySelector('.numbers').textContent.startsWith('0.0 fps'));"
              + "return ready('demo') && ready('life');").asBoolean(),
          FIRST_FRAME_AND_RATE);
      browser.screenshot(WORK.resolve("screenshots/index.png"));
    }
  }

  /**
   * Waits (at most 15 s) until the page shows decodable frames at {@link #MIN_FPS} or more, averaged over
   * {@link #WINDOW_MS} of the page's clock, and returns that rate.
   */
  private double measureViewer(Browser viewer, String label) throws IOException {
    String probe = "const s = window.framestreamStats ? window.framestreamStats() : null;"
        + "return {t: performance.now(), width: document.getElementById('receiver').naturalWidth,"
        + " stats: s};";
    long deadline = System.nanoTime() + FIRST_FRAME_AND_RATE.toNanos();
    Deque<double[]> samples = new ArrayDeque<>(); // {page time, loads}
    double best = 0;
    JsonNode last = null;
    while (System.nanoTime() - deadline < 0) {
      last = viewer.eval(probe);
      JsonNode stats = last.path("stats");
      if (last.path("width").asInt() > 0 && stats.isObject()) {
        double t = last.path("t").asDouble();
        samples.addLast(new double[] {t, stats.path("loads").asDouble()});
        while (samples.size() > 2 && t - samples.peekFirst()[0] > WINDOW_MS + 1000) {
          samples.removeFirst();
        }
        double[] first = samples.peekFirst();
        if (t - first[0] >= WINDOW_MS) {
          double fps = (stats.path("loads").asDouble() - first[1]) * 1000 / (t - first[0]);
          best = Math.max(best, fps);
          if (fps >= MIN_FPS) {
            assertEquals(0, stats.path("errors").asInt(), "frames that failed to decode: " + stats);
            System.out.printf(Locale.ROOT, "BrowserIT: %-50s %5.1f fps (%d px wide, skipped %s)%n", label, fps,
                last.path("width").asInt(), stats.path("skipped").asText());
            return fps;
          }
        }
      }
      Await.pace(Duration.ofMillis(250).toNanos());
    }
    fail(label + ": no decodable frames at " + MIN_FPS + " fps within " + FIRST_FRAME_AND_RATE
        + " (best " + String.format(Locale.ROOT, "%.1f", best) + " fps); last probe " + last);
    return best;
  }
}
