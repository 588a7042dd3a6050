package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.examples.Chromium.Browser;
import io.framestream.testkit.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code webcodecs.html} in Debian's headless Chromium against the example server (rule W12 end to end): the
 * WebCodecs page decodes the {@code demo} image channel (ImageDecoder) and the {@code video-demo} H.264
 * channel (VideoDecoder), and on the video channel its publish-to-display delay does not grow over 60 s (the
 * one long test here); a video channel has a thumbnail on {@code /}; the camera page keeps its rate in a
 * hidden tab with the binary format. Skipped when Chromium is not installed.
 *
 * <p>The glass-to-glass row ({@code glassToGlass_...}): publish-to-display delay of the WebCodecs page against
 * the {@code <img>} page and the MSE page, each read from the page's own measurement (its JS hook), in one
 * run. Pages that watch the same channel run side by side, each in its own headless Chromium, for {@link
 * #GLASS_WINDOW}: the {@code demo} image channel in {@code webcodecs.html} and in {@code
 * live.html?format=chunks} (the {@code <img>} page; the chunk stream's capture times make its delay
 * measurable), then {@code video-demo} (H.264) in {@code webcodecs.html} and in {@code live-video.html} (MSE;
 * its delay is the server's median part plus each frame's arrival-to-display time). It prints one line per
 * page with the median and 95th percentile and takes about two minutes, so it runs only when asked: {@code mvn
 * -B -pl examples -am verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test='WebCodecsBrowserIT#glass*' -Dfailsafe.failIfNoSpecifiedTests=false -Dframestream.glass=true}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebCodecsBrowserIT {

  static final Duration FIRST_FRAMES = Duration.ofSeconds(20);
  static final Path WORK = Path.of("target", "browser-it");
  /** How long the video page runs while its delay is watched. */
  static final Duration FLAT_FOR = Duration.ofSeconds(60);
  /** How much the median delay of the last 10 s may exceed that of the first 10 s. */
  static final double MAX_GROWTH_MS = 150;
  /** How long each pair of pages is measured side by side for the glass-to-glass row. */
  static final Duration GLASS_WINDOW = Duration.ofSeconds(30);

  /** A page and the script that returns the delays it measured (ms), all of them so far. */
  record Viewer(String label, String path, String delays) {}

  static final String PROBE = "const s = window.framestreamWebCodecs || {};"
      + "return {mode: s.mode, codec: s.codec, drawn: s.drawn, decoded: s.decoded, errors: s.errors,"
      + " lastError: s.lastError, droppedLate: s.droppedLate, skippedToKey: s.skippedToKey, fallback: s.fallback,"
      + " delayMs: s.delayMs ? s.delayMs() : null, firstFrameMs: s.firstFrameMs, status: s.status,"
      + " width: document.getElementById('screen').width};";

  private ExampleServer example;
  private Chromium chromium;
  private ApiClient api;

  @BeforeAll
  void start() throws IOException {
    if (!Chromium.available()) {
      System.out.println("WebCodecsBrowserIT skipped: " + Chromium.MISSING);
      return;
    }
    example = ExampleServer.start("127.0.0.1", 0);
    api = new ApiClient(example.httpUri());
    chromium = Chromium.start(WORK.resolve("webcodecs"));
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

  /** Waits until the WebCodecs page has drawn {@code frames} frames without an error; returns the probe. */
  static JsonNode awaitDrawn(Browser b, int frames, String label) {
    Await.until(() -> label + ": " + frames + " frames drawn; " + b.evalUnchecked(PROBE),
        () -> {
          JsonNode p = b.evalUnchecked(PROBE);
          assertTrue(p.path("fallback").isNull(), () -> label + " fell back: " + p);
          return p.path("drawn").asInt() >= frames;
        }, FIRST_FRAMES);
    return b.evalUnchecked(PROBE);
  }

  @Test
  void w12_webCodecsPage_decodesTheImageChannel() throws IOException {
    try (Browser b = chromium.open()) {
      b.navigate(page("webcodecs.html?channel=demo"));
      JsonNode p = awaitDrawn(b, 30, "webcodecs.html on demo");
      assertEquals("image", p.path("mode").asText(), p::toString);
      assertEquals(0, p.path("errors").asInt(), p::toString);
      assertTrue(p.path("width").asInt() > 0 && !p.path("delayMs").isNull(), p::toString);
      System.out.printf(Locale.ROOT, "WebCodecsBrowserIT: demo (images) drawn %d, first frame after %s ms,"
          + " publish to display %.0f ms (smoothed)%n", p.path("drawn").asInt(), p.path("firstFrameMs").asText(),
          p.path("delayMs").asDouble());
      b.screenshot(WORK.resolve("screenshots/webcodecs-demo.png"));
    }
  }

  @Test
  void w12_webCodecsPage_decodesTheVideoChannel_andItsDelayStaysFlatForAMinute() throws IOException {
    try (Browser b = chromium.open()) {
      b.navigate(page("webcodecs.html?channel=" + ExampleServer.VIDEO_CHANNEL));
      JsonNode first = awaitDrawn(b, 30, "webcodecs.html on " + ExampleServer.VIDEO_CHANNEL);
      assertEquals("video", first.path("mode").asText(), first::toString);
      assertEquals("avc1.42C01E", first.path("codec").asText(), first::toString);
      assertEquals(640, first.path("width").asInt(), first::toString);
      b.screenshot(WORK.resolve("screenshots/webcodecs-video.png"));
      // Delays the page measured, read every 10 s (the page keeps its newest 2,000).
      List<double[]> windows = new ArrayList<>();
      long start = System.nanoTime();
      int drawnBefore = first.path("drawn").asInt();
      b.eval("window.framestreamWebCodecs.lastDrawn = window.framestreamWebCodecs.drawn; return 0;");
      while (System.nanoTime() - start < FLAT_FOR.toNanos()) {
        Await.pace(Duration.ofSeconds(10).toNanos()); // the measuring window, not a synchronisation
        windows.add(toArray(b.eval("const s = window.framestreamWebCodecs; const d = s.delays();"
            + " const out = d.slice(Math.max(0, d.length - (s.drawn - (s.lastDrawn || 0))));"
            + " s.lastDrawn = s.drawn; return out;")));
      }
      JsonNode last = b.eval(PROBE);
      int drawn = last.path("drawn").asInt() - drawnBefore;
      double seconds = (System.nanoTime() - start) / 1e9;
      StringBuilder row = new StringBuilder();
      for (double[] w : windows) {
        row.append(String.format(Locale.ROOT, " %.0f", percentile(w, 50)));
      }
      System.out.printf(Locale.ROOT, "WebCodecsBrowserIT: video-demo over %.0f s: %d frames drawn (%.1f fps),"
          + " %d dropped late, %d skipped to key, %d errors; median delay per 10 s window (ms):%s%n", seconds, drawn,
          drawn / seconds, last.path("droppedLate").asInt(), last.path("skippedToKey").asInt(),
          last.path("errors").asInt(), row);
      assertTrue(drawn >= 20 * seconds, () -> "the page drew only " + drawn + " frames in " + seconds + " s: " + last);
      double firstMedian = percentile(windows.get(0), 50);
      double lastMedian = percentile(windows.get(windows.size() - 1), 50);
      assertTrue(lastMedian - firstMedian <= MAX_GROWTH_MS, () -> "the delay grew from " + firstMedian + " ms to "
          + lastMedian + " ms over " + seconds + " s");
    }
  }

  @Test
  void indexPage_showsAThumbnailOfTheVideoChannel() throws IOException {
    try (Browser b = chromium.open()) {
      b.navigate(page(""));
      String probe = "for (const card of document.querySelectorAll('.card')) {"
          + " if (card.querySelector('.name').textContent !== 'video-demo') continue;"
          + " const c = card.querySelector('.videothumb');"
          + " if (c.hidden || !card.querySelector('.placeholder').hidden) return 0;"
          + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
          + " let sum = 0; for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];"
          + " return sum / (d.length / 4); } return 0;";
      Await.until("the video-demo card shows a decoded picture", () -> b.evalUnchecked(probe).asDouble() > 10,
          FIRST_FRAMES);
      b.screenshot(WORK.resolve("screenshots/index-video-thumbnail.png"));
    }
  }

  @Test
  void cameraPage_keepsItsRateInAHiddenTab_withTheBinaryFormat() throws IOException {
    String channel = "cam-hidden-binary";
    try (Browser publisher = chromium.open()) {
      publisher.navigate(page("record.html?channel=" + channel));
      Await.until("the camera page publishes", () -> api.channel(channel).path("framesIn").asLong() >= 10,
          FIRST_FRAMES);
      double visible = publisher.eval("return window.framestreamStats();").path("fps").asDouble();
      String cameraTab = publisher.currentTab();
      publisher.openTab(); // the camera tab is hidden now
      long from = api.channel(channel).path("framesIn").asLong();
      long start = System.nanoTime();
      Await.pace(Duration.ofSeconds(5).toNanos()); // the measuring window, not a synchronisation
      double fps = (api.channel(channel).path("framesIn").asLong() - from) * 1e9 / (System.nanoTime() - start);
      publisher.closeTab();
      publisher.switchTo(cameraTab);
      JsonNode stats = publisher.eval("return window.framestreamStats();");
      System.out.printf(Locale.ROOT, "WebCodecsBrowserIT: record.html (binary) sends %.1f fps visible, %.1f fps"
          + " in a hidden tab; %d frames encoded with toDataURL while hidden; %s%n", visible, fps,
          stats.path("hidden").asInt(), stats);
      assertTrue(stats.path("hidden").asInt() > 0, () -> "the hidden-tab path was not taken: " + stats);
      assertTrue(fps >= Math.min(10, 0.7 * visible), "a hidden camera page publishes only " + fps + " fps, "
          + visible + " fps while visible (15 asked)");
    }
  }

  @Test
  void glassToGlass_webCodecsAgainstImgAndMsePages() throws IOException {
    assumeTrue(Boolean.getBoolean("framestream.glass"), "the glass-to-glass row runs with -Dframestream.glass=true");
    String webcodecs = "return window.framestreamWebCodecs ? window.framestreamWebCodecs.delays() : [];";
    List<String> rows = new ArrayList<>();
    rows.addAll(sideBySide(
        new Viewer("demo (JPEG)        webcodecs.html            ", "webcodecs.html?channel=demo", webcodecs),
        new Viewer("demo (JPEG)        live.html?format=chunks   ", "live.html?channel=demo&format=chunks",
            "return window.framestreamDelays ? window.framestreamDelays() : [];")));
    rows.addAll(sideBySide(
        new Viewer("video-demo (H.264) webcodecs.html            ", "webcodecs.html?channel=video-demo",
            webcodecs),
        new Viewer("video-demo (H.264) live-video.html (MSE, ws) ", "live-video.html?channel=video-demo&transport=ws",
            "return window.framestreamVideo ? window.framestreamVideo.delays() : [];")));
    System.out.println("WebCodecsBrowserIT glass-to-glass: publish to display, " + GLASS_WINDOW.toSeconds()
        + " s per pair, ms");
    rows.forEach(r -> System.out.println("WebCodecsBrowserIT glass-to-glass: " + r));
  }

  /** Opens the viewers together, waits until each measures, then reads what they measure over the window. */
  private List<String> sideBySide(Viewer... viewers) throws IOException {
    List<Browser> browsers = new ArrayList<>();
    try {
      for (Viewer v : viewers) {
        Browser b = chromium.open();
        browsers.add(b);
        b.navigate(example.httpUri().resolve(v.path()).toString());
      }
      int[] before = new int[viewers.length];
      for (int i = 0; i < viewers.length; i++) {
        Browser b = browsers.get(i);
        Viewer v = viewers[i];
        Await.until(v.label().trim() + " measures delays", () -> b.evalUnchecked(v.delays()).size() >= 10,
            FIRST_FRAMES);
      }
      for (int i = 0; i < viewers.length; i++) {
        before[i] = browsers.get(i).eval(viewers[i].delays()).size();
      }
      Await.pace(GLASS_WINDOW.toNanos()); // the measuring window, not a synchronisation
      List<String> rows = new ArrayList<>();
      for (int i = 0; i < viewers.length; i++) {
        JsonNode all = browsers.get(i).eval(viewers[i].delays());
        // The pages keep their newest 2,000 delays: the window's are the last (all - before) of them.
        int n = Math.min(all.size(), Math.max(0, all.size() - before[i]));
        double[] window = new double[n];
        for (int k = 0; k < n; k++) {
          window[k] = all.get(all.size() - n + k).asDouble();
        }
        String label = viewers[i].label();
        assertTrue(n >= 20, () -> label + ": only " + n + " delays measured in " + GLASS_WINDOW);
        rows.add(String.format(Locale.ROOT, "%s median %4.0f  p95 %4.0f  (%d frames)", label,
            percentile(window, 50), percentile(window, 95), n));
      }
      return rows;
    } finally {
      browsers.forEach(Browser::close);
    }
  }

  static double[] toArray(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asDouble();
    }
    return out;
  }

  static double percentile(double[] values, double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))];
  }
}
