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
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * MJPEG and snapshots in a real browser (Debian's headless Chromium) against the example server: a plain
 * {@code <img src="/mjpeg/...">}, with no JavaScript of ours behind it, shows the channel's changing pictures
 * (its pixels sampled through a canvas), and {@code /snapshot/...} answers {@code fetch} and {@code <img>}.
 * Skipped when Chromium is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MjpegBrowserIT {

  static final Duration BOUND = Duration.ofSeconds(20);
  static final Path WORK = Path.of("target", "browser-it");
  static final String CHANNEL = "mjpeg-browser";

  private ExampleServer example;
  private Chromium chromium;
  private TestJpegs feeder;

  @BeforeAll
  void start() throws IOException {
    if (!Chromium.available()) {
      System.out.println("MjpegBrowserIT skipped: " + Chromium.MISSING);
      return;
    }
    example = ExampleServer.start("127.0.0.1", 0);
    Channel channel = example.server().registry().declare(CHANNEL);
    feeder = TestJpegs.feed(List.of(channel), 100);
    chromium = Chromium.start(WORK.resolve("mjpeg"));
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
      java.util.Set<String> colours = new java.util.TreeSet<>();
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
      System.out.println("MjpegBrowserIT: <img src=/mjpeg/...> showed the colours " + colours);
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
}
