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
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebCodecsBrowserIT {

  static final Duration FIRST_FRAMES = Duration.ofSeconds(20);
  static final Path WORK = Path.of("target", "browser-it");
  /** How long the video page runs while its delay is watched. */
  static final Duration FLAT_FOR = Duration.ofSeconds(60);
  /** How much the median delay of the last 10 s may exceed that of the first 10 s. */
  static final double MAX_GROWTH_MS = 150;

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
