package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.examples.Chromium.Browser;
import io.framestream.testkit.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The glass-to-glass row: publish-to-display delay of the WebCodecs page against the {@code <img>} page and
 * the MSE page, each reading its own measurement (the pages' latency display, through their JS hooks), in
 * one run of the example server. Pages that watch the same channel run side by side, each in its own
 * headless Chromium, for {@link #WINDOW}: the {@code demo} image channel in {@code webcodecs.html} and in
 * {@code live.html?format=chunks} (the {@code <img>} page; the chunk stream's capture times make its delay
 * measurable), then the {@code video-demo} H.264 channel in {@code webcodecs.html} and in {@code
 * live-video.html} (MSE; its delay is the server's median part plus each frame's arrival-to-display time).
 * Prints one line per page with the median and 95th percentile; asserts only that each page measured.
 *
 * <p>It takes about two minutes, so {@code mvn verify} skips it unless asked: {@code mvn -B -pl examples -am
 * verify -Dtest=None -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=GlassToGlassIT
 * -Dfailsafe.failIfNoSpecifiedTests=false -Dframestream.glass=true} (Debian's chromium and chromium-driver
 * installed), and read the lines starting {@code GlassToGlassIT:}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GlassToGlassIT {

  static final Duration WINDOW = Duration.ofSeconds(30);
  static final Duration FIRST_FRAMES = Duration.ofSeconds(30);
  static final Path WORK = Path.of("target", "browser-it");

  /** A page and the script that returns the delays it measured (ms), all of them so far. */
  record Viewer(String label, String path, String delays) {}

  private ExampleServer example;
  private Chromium chromium;

  @BeforeAll
  void start() throws IOException {
    if (!Chromium.available() || !Boolean.getBoolean("framestream.glass")) {
      return;
    }
    example = ExampleServer.start("127.0.0.1", 0);
    chromium = Chromium.start(WORK.resolve("glass"));
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

  @Test
  void glassToGlass_webCodecsAgainstImgAndMsePages() throws IOException {
    assumeTrue(Chromium.available(), Chromium.MISSING);
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
    System.out.println("GlassToGlassIT: publish to display, " + WINDOW.toSeconds() + " s per pair, ms");
    rows.forEach(r -> System.out.println("GlassToGlassIT: " + r));
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
      Await.pace(WINDOW.toNanos()); // the measuring window, not a synchronisation
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
        assertTrue(n >= 20, () -> label + ": only " + n + " delays measured in " + WINDOW);
        rows.add(String.format(Locale.ROOT, "%s median %4.0f  p95 %4.0f  (%d frames)", label,
            WebCodecsBrowserIT.percentile(window, 50), WebCodecsBrowserIT.percentile(window, 95), n));
      }
      return rows;
    } finally {
      browsers.forEach(Browser::close);
    }
  }
}
