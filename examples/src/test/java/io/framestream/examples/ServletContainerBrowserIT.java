package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.core.ChannelRegistry;
import io.framestream.examples.Chromium.Browser;
import io.framestream.media.TestPatternSource;
import io.framestream.testkit.Await;
import io.framestream.testkit.ServletContainerHost;
import io.framestream.transport.sse.SseServlet;
import io.framestream.transport.websocket.WebSocketTransport;
import jakarta.servlet.Servlet;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A browser plays a channel from a real Servlet container: embedded Jetty 12 serves the example pages and
 * carries the WebSocket endpoints, deployed through the standard Jakarta API as an application server would
 * ({@code WebSocketTransport.builder(registry).build().endpointConfigs()}); a test pattern is published into a
 * channel; headless Chromium opens the live page and shows pictures that change, over binary frames and data
 * URIs and SSE (the portable {@code SseServlet}). Skipped, with one line, when Chromium is
 * not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServletContainerBrowserIT {

  static final Path WORK = Path.of("target", "browser-it");
  static final Duration BOUND = Duration.ofSeconds(20);
  /** A checksum of the picture on screen, read through a canvas (blob and data URLs are same-origin). */
  static final String PICTURE_HASH = "const img = document.getElementById('receiver');"
      + "if (!img.naturalWidth) return 0;"
      + "const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;"
      + "const g = c.getContext('2d'); g.drawImage(img, 0, 0);"
      + "const d = g.getImageData(0, 0, c.width, c.height).data; let h = 7;"
      + "for (let i = 0; i < d.length; i += 4) h = (Math.imul(h, 31) + d[i] + 3 * d[i + 1] + 7 * d[i + 2]) >>> 0;"
      + "return h;";

  private ChannelRegistry registry;
  private WebSocketTransport transport;
  private ServletContainerHost jetty;
  private Chromium chromium;

  /** Skips the whole class, with one line naming what is missing, where Chromium is not installed. */
  @BeforeAll
  void start() throws IOException {
    assumeTrue(Chromium.available(), () -> "ServletContainerBrowserIT skipped: " + Chromium.MISSING + " (looked for "
        + Chromium.BINARY + " and " + Chromium.DRIVER + ")");
    registry = ChannelRegistry.builder().build();
    registry.attachSource("pattern", TestPatternSource.create(), 10); // runs while the page watches
    transport = WebSocketTransport.builder(registry).build();
    ServletContainerHost.Builder container = ServletContainerHost.builder()
        .endpoints(transport.endpointConfigs())
        .staticContent(ExampleServer.class.getClassLoader(), "framestream/static/");
    Servlet sse = sseServlet(registry);
    if (sse != null) {
      container.servlet("/sse/*", sse);
    }
    jetty = container.start();
    chromium = Chromium.start(WORK);
  }

  /** SSE as the portable servlet. */
  private static Servlet sseServlet(ChannelRegistry registry) {
    return SseServlet.builder(registry).build();
  }

  @AfterAll
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {chromium, transport, jetty, registry}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          System.out.println("ServletContainerBrowserIT: closing " + c + " failed: " + e);
        }
      }
    }
  }

  @ParameterizedTest(name = "live page over {0} from Jetty")
  @ValueSource(strings = {"binary", "datauri", "sse"})
  void livePage_playsAChannelFromTheServletContainer(String format) throws IOException {
    assumeTrue(!format.equals("sse") || sseServlet(registry) != null, "SseServlet not merged yet");
    String page = jetty.httpUri().resolve(format.equals("sse") ? "live-sse.html?channel=pattern"
        : "live.html?channel=pattern" + (format.equals("datauri") ? "&format=datauri" : "")).toString();
    try (Browser browser = chromium.open()) {
      browser.navigate(page);
      Await.until("the page shows decoded frames from Jetty (" + page + ")",
          () -> browser.evalUnchecked("return window.framestreamStats ? window.framestreamStats().loads : 0;")
              .asLong() >= 5, BOUND);
      long firstHash = browser.eval(PICTURE_HASH).asLong();
      long loads = browser.eval("return window.framestreamStats().loads;").asLong();
      Await.until("more frames, and a picture that differs from the first",
          () -> browser.evalUnchecked("return window.framestreamStats().loads;").asLong() >= loads + 10
              && browser.evalUnchecked(PICTURE_HASH).asLong() != firstHash, BOUND);
      JsonNode stats = browser.eval("return window.framestreamStats();");
      long lastHash = browser.eval(PICTURE_HASH).asLong();
      System.out.println("ServletContainerBrowserIT: " + format + " from " + jetty + ": " + stats);
      assertEquals(0, stats.path("errors").asInt(), () -> "frames that failed to decode: " + stats);
      assertTrue(stats.path("naturalWidth").asInt() > 0, () -> "a picture on screen: " + stats);
      assertNotEquals(firstHash, lastHash, "the picture changes");
      browser.screenshot(WORK.resolve("screenshots/servlet-container-live-" + format + ".png"));
    }
  }
}
