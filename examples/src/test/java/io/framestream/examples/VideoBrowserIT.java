package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.core.Subscription;
import io.framestream.examples.Chromium.Browser;
import io.framestream.testkit.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code live-video.html} in Debian's headless Chromium (which plays H.264 through Media Source Extensions)
 * against the example server's {@code video-demo} channel: the page plays over SSE and over WebSocket
 * (picture size known, playback position advancing), and a page opened 10 s after the stream started plays
 * within one GOP (1 s) plus 2 s. Each page in its own browser session. Skipped when Chromium is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VideoBrowserIT {

  static final String CODEC_QUERY = "MediaSource.isTypeSupported('video/mp4; codecs=\"avc1.42C01E\"')";
  static final Duration PLAYS_WITHIN = Duration.ofSeconds(15);
  /** One GOP of the sample (1 s) plus 2 s. */
  static final long LATE_JOINER_BUDGET_MS = 3000;
  static final Path WORK = Path.of("target", "browser-it");

  private ExampleServer example;
  private Chromium chromium;
  private Subscription keepAlive;
  private final AtomicLong streamStartNanos = new AtomicLong();

  @BeforeAll
  void start() throws IOException {
    if (!Chromium.available()) {
      System.out.println("VideoBrowserIT skipped: " + Chromium.MISSING);
      return;
    }
    example = ExampleServer.start("127.0.0.1", 0);
    chromium = Chromium.start(WORK.resolve("video"));
    // A viewer that keeps the channel's source running for the whole class, and notes when it started.
    keepAlive = KeepAlive.subscribe(example.server().registry().channel(ExampleServer.VIDEO_CHANNEL),
        () -> streamStartNanos.compareAndSet(0, System.nanoTime()));
  }

  @BeforeEach
  void needsChromium() {
    assumeTrue(Chromium.available(), Chromium.MISSING);
  }

  @AfterAll
  void stop() {
    if (keepAlive != null) {
      keepAlive.close();
    }
    if (chromium != null) {
      chromium.close();
    }
    if (example != null) {
      example.close();
    }
  }

  private String page(String transport) {
    return example.httpUri().resolve("live-video.html?channel=" + ExampleServer.VIDEO_CHANNEL + "&transport="
        + transport).toString();
  }

  private static final String PROBE = "const v = document.getElementById('player');"
      + "const s = window.framestreamVideo || {};"
      + "return {t: performance.now(), width: v.videoWidth, height: v.videoHeight, time: v.currentTime,"
      + " paused: v.paused, error: v.error ? v.error.message || String(v.error.code) : null,"
      + " firstFrameMs: s.firstFrameMs, sincePage: s.firstFrameSincePageMs, fragments: s.fragments,"
      + " jumps: s.jumps, latency: s.latency, lastError: s.lastError, status: s.status, inits: s.inits};";

  /** Waits until the page shows a picture and its playback position has advanced by 2 s; returns the probe. */
  private static JsonNode awaitPlaying(Browser b, String label) throws IOException {
    long deadline = System.nanoTime() + PLAYS_WITHIN.toNanos();
    JsonNode first = null;
    JsonNode last = null;
    while (System.nanoTime() - deadline < 0) {
      last = b.eval(PROBE);
      assertTrue(last.path("error").isNull() && last.path("lastError").isNull(), () -> label + ": " + PROBE);
      if (last.path("width").asInt() > 0) {
        if (first == null) {
          first = last;
        } else if (last.path("time").asDouble() - first.path("time").asDouble() >= 2.0) {
          return last;
        }
      }
      Await.pace(Duration.ofMillis(200).toNanos());
    }
    throw new AssertionError(label + ": not playing within " + PLAYS_WITHIN + "; first " + first + ", last "
        + last);
  }

  @Test
  void chromiumPlaysH264ThroughMediaSourceExtensions() throws IOException {
    try (Browser b = chromium.open()) {
      b.navigate(example.httpUri().resolve("live-video.html?channel=nothing-here").toString());
      assertTrue(b.eval("return " + CODEC_QUERY + ";").asBoolean(), "Chromium cannot play avc1.42C01E via MSE");
    }
  }

  @ParameterizedTest(name = "over {0}")
  @ValueSource(strings = {"sse", "ws"})
  void liveVideoPage_plays(String transport) throws IOException {
    try (Browser b = chromium.open()) {
      b.navigate(page(transport));
      JsonNode playing = awaitPlaying(b, "live-video.html over " + transport);
      assertEquals(640, playing.path("width").asInt(), playing::toString);
      assertEquals(360, playing.path("height").asInt(), playing::toString);
      assertTrue(playing.path("latency").asDouble() < 3, () -> "too far behind the live edge: " + playing);
      System.out.printf(Locale.ROOT, "VideoBrowserIT: live-video.html over %-3s first frame %s ms after"
          + " connecting, %s ms after page start; %s fragments, %.2f s behind the live edge, %s jumps%n",
          transport, playing.path("firstFrameMs").asText(), playing.path("sincePage").asText(),
          playing.path("fragments").asText(), playing.path("latency").asDouble(), playing.path("jumps").asText());
      b.screenshot(WORK.resolve("screenshots/live-video-" + transport + ".png"));
    }
  }

  @ParameterizedTest(name = "over {0}")
  @ValueSource(strings = {"sse", "ws"})
  void aPageOpenedTenSecondsIntoTheStream_playsWithinOneGopPlusTwoSeconds(String transport) throws IOException {
    Await.until("the stream started", () -> streamStartNanos.get() != 0, PLAYS_WITHIN);
    long sinceStart = System.nanoTime() - streamStartNanos.get();
    Await.pace(Duration.ofNanos(Math.max(0, Duration.ofSeconds(10).toNanos() - sinceStart)).toNanos());
    try (Browser b = chromium.open()) {
      long opened = System.nanoTime();
      b.navigate(page(transport));
      Await.until("a picture", () -> b.evalUnchecked(PROBE).path("width").asInt() > 0,
          Duration.ofMillis(LATE_JOINER_BUDGET_MS + 2000));
      long wallMs = (System.nanoTime() - opened) / 1_000_000;
      JsonNode p = awaitPlaying(b, "late joiner over " + transport);
      long pageMs = p.path("sincePage").asLong();
      System.out.printf(Locale.ROOT, "VideoBrowserIT: late joiner over %-3s (stream running %.1f s): first frame"
          + " %d ms after page start (%s ms after connecting; %d ms by the test's clock incl. navigation)%n",
          transport, (opened - streamStartNanos.get()) / 1e9, pageMs, p.path("firstFrameMs").asText(), wallMs);
      assertTrue(pageMs <= LATE_JOINER_BUDGET_MS, () -> "first frame after " + pageMs + " ms: " + p);
    }
  }

  @Test
  void aPageHiddenForAWhile_playsAgainNearTheLiveEdge() throws IOException {
    try (Browser b = chromium.open()) {
      b.navigate(page("ws"));
      awaitPlaying(b, "before hiding");
      String tab = b.currentTab();
      b.openTab(); // the video page is a hidden background tab now: it disconnects
      Await.until("the hidden page disconnected (only the test's own viewer left)", () -> example.server()
          .registry().channel(ExampleServer.VIDEO_CHANNEL).stats().subscribers() == 1, PLAYS_WITHIN);
      Await.pace(Duration.ofSeconds(4).toNanos());
      b.closeTab();
      b.switchTo(tab);
      JsonNode p = awaitPlaying(b, "after the tab was shown again");
      assertTrue(p.path("latency").asDouble() < 3, () -> "far behind the live edge after hiding: " + p);
      assertTrue(b.eval("return window.framestreamVideo.connects;").asInt() >= 2, "reconnected when shown");
      System.out.printf(Locale.ROOT, "VideoBrowserIT: after 4 s hidden, playing again %.2f s behind the live"
          + " edge, first frame %s ms after reconnecting%n", p.path("latency").asDouble(),
          p.path("firstFrameMs").asText());
    }
  }
}
