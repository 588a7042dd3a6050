package io.framestream.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSink;
import io.framestream.core.SourceRunner;
import java.awt.GraphicsEnvironment;
import java.awt.Rectangle;
import java.awt.geom.Point2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class TestPatternSourceTest {

  private static final Instant NOON = Instant.parse("2026-03-04T12:34:56.789Z");

  @Test
  void runsHeadless() throws IOException {
    assertTrue(GraphicsEnvironment.isHeadless(), "surefire should run tests with java.awt.headless=true");
    Frame frame = TestPatternSource.create().nextFrame();
    assertEquals(TestPatternSource.DEFAULT_WIDTH, decode(frame).getWidth());
  }

  @Test
  void framesAreJpegKeyFramesOfTheDefaultSizeCapturedNow() throws IOException {
    TestPatternSource source = TestPatternSource.create();
    assertEquals(640, source.width());
    assertEquals(360, source.height());
    assertEquals(0.75, source.quality());
    assertEquals(Optional.empty(), source.label());

    source.open();
    Instant before = Instant.now();
    Frame frame = source.nextFrame();
    Instant after = Instant.now();

    assertEquals(ContentTypes.JPEG, frame.contentType());
    assertEquals(FrameKind.KEY, frame.kind());
    assertEquals(OptionalInt.of(640), frame.width());
    assertEquals(OptionalInt.of(360), frame.height());
    assertEquals(0, frame.sequence());
    assertFalse(frame.captureTime().isBefore(before), "capture time " + frame.captureTime());
    assertFalse(frame.captureTime().isAfter(after), "capture time " + frame.captureTime());
    BufferedImage image = decode(frame);
    assertEquals(640, image.getWidth());
    assertEquals(360, image.getHeight());
    source.close();
  }

  @Test
  void sizeQualityAndLabelAreConfigurable() throws IOException {
    TestPatternSource small = TestPatternSource.builder().size(320, 240).quality(0.3).label("  cam 1 ").build();
    TestPatternSource fine = TestPatternSource.builder().size(320, 240).quality(0.95).build();
    assertEquals(Optional.of("cam 1"), small.label());
    assertEquals(0.3, small.quality());

    Frame a = small.nextFrame();
    Frame b = fine.nextFrame();
    assertEquals(OptionalInt.of(320), a.width());
    assertEquals(OptionalInt.of(240), a.height());
    BufferedImage decoded = decode(a);
    assertEquals(320, decoded.getWidth());
    assertEquals(240, decoded.getHeight());
    assertTrue(a.size() < b.size(), "quality 0.3 (" + a.size() + " bytes) vs 0.95 (" + b.size() + ")");

    TestPatternSource tiny = TestPatternSource.builder().size(32, 32).label("x").build();
    BufferedImage tinyImage = decode(tiny.nextFrame());
    assertEquals(32, tinyImage.getWidth());
    assertEquals(32, tinyImage.getHeight());
  }

  @Test
  void consecutiveFramesDiffer() throws IOException {
    TestPatternSource source = TestPatternSource.builder().clock(fixedClock()).build();
    BufferedImage previous = decode(source.nextFrame());
    Rectangle picture = new Rectangle(0, 0, 640, 200); // bars and ball, not the panel
    for (int i = 0; i < 5; i++) {
      BufferedImage next = decode(source.nextFrame());
      double difference = meanDifference(previous, next, picture);
      assertTrue(difference > 5, "frame " + (i + 2) + " differs from the previous by only " + difference);
      previous = next;
    }
  }

  @Test
  void frameNumberDigitsCountUpAndOpenDoesNotResetThem() throws IOException {
    TestPatternSource source = TestPatternSource.builder().clock(fixedClock()).build();
    source.open();
    for (int n = 1; n <= 12; n++) {
      BufferedImage image = decode(source.nextFrame());
      assertEquals(String.format("%08d", n), readCounter(source, image), "frame " + n);
      assertEquals(n, source.framesProduced());
    }
    source.close();
    source.open();
    assertEquals("00000013", readCounter(source, decode(source.nextFrame())));
    source.close();
  }

  @Test
  void counterRegionChangesFromFrameToFrame() throws IOException {
    TestPatternSource source = TestPatternSource.builder().clock(fixedClock()).build();
    BufferedImage first = decode(source.nextFrame());
    BufferedImage second = decode(source.nextFrame());
    Rectangle lastDigit = source.counterDigitCell(TestPatternSource.COUNTER_DIGITS - 1);
    assertTrue(meanDifference(first, second, lastDigit) > 5, "last counter digit did not change");
    Rectangle clock = source.clockDigitCell(0).union(source.clockDigitCell(TestPatternSource.CLOCK_DIGITS - 1));
    assertTrue(meanDifference(first, second, clock) < 3, "a fixed clock must show the same time");
  }

  @Test
  void clockShowsTheTimeOfTheConfiguredClockAndZone() throws IOException {
    TestPatternSource utc = TestPatternSource.builder().clock(fixedClock()).build();
    Frame frame = utc.nextFrame();
    assertEquals(NOON, frame.captureTime());
    assertEquals("123456789", readClock(utc, decode(frame)));

    TestPatternSource plusTwo =
        TestPatternSource.builder().clock(Clock.fixed(NOON, ZoneOffset.ofHours(2))).build();
    assertEquals("143456789", readClock(plusTwo, decode(plusTwo.nextFrame())));
  }

  @Test
  void aFailingFontOnlyDropsTheLabel() throws IOException {
    Logger log = Logger.getLogger(TestPatternSource.class.getName());
    Level saved = log.getLevel();
    log.setLevel(Level.OFF); // the failure is logged once per source, with a stack trace
    try {
      checkThatAFailingFontOnlyDropsTheLabel();
    } finally {
      log.setLevel(saved);
    }
  }

  private static void checkThatAFailingFontOnlyDropsTheLabel() throws IOException {
    AtomicInteger attempts = new AtomicInteger();
    TestPatternSource source = TestPatternSource.builder()
        .label("no fonts here")
        .labelRenderer((text, px) -> {
          attempts.incrementAndGet();
          throw new Error("Probable fatal error: No fonts found.");
        })
        .build();
    for (int i = 0; i < 3; i++) {
      Frame frame = source.nextFrame();
      assertEquals(360, decode(frame).getHeight());
    }
    assertEquals(1, attempts.get(), "a failed label is not retried on every frame");

    TestPatternSource broken = TestPatternSource.builder()
        .label("x")
        .labelRenderer((text, px) -> {
          throw new IllegalStateException("font manager broken");
        })
        .build();
    assertEquals(OptionalInt.of(640), broken.nextFrame().width());
  }

  @Test
  void defaultLabelRendererDrawsSomething() {
    BufferedImage label = TestPatternSource.renderLabelWithFont("cam 1", 16);
    assertTrue(label.getWidth() > 10 && label.getHeight() > 10, label.getWidth() + "x" + label.getHeight());
  }

  @Test
  void producesThirtyFramesQuickly() {
    TestPatternSource source = TestPatternSource.create();
    List<Frame> frames = new ArrayList<>();
    long start = System.nanoTime();
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      for (int i = 0; i < 30; i++) {
        frames.add(source.nextFrame());
      }
    });
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    // Typically 5 ms a frame; the bound is generous for a busy machine and a cold JIT.
    assertTrue(elapsedMs < 10_000, "30 frames took " + elapsedMs + " ms");
    for (Frame f : frames) {
      assertTrue(f.size() > 2_000 && f.size() < 300_000, "size " + f.size());
    }
    assertEquals(30, source.framesProduced());
  }

  @Test
  void closeMayRunConcurrentlyWithNextFrameAndTheSourceStaysUsable() throws Exception {
    TestPatternSource source = TestPatternSource.builder().size(320, 180).build();
    ExecutorService closer = Executors.newSingleThreadExecutor();
    try {
      Future<Integer> closes = closer.submit(() -> {
        int n = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (source.framesProduced() < 40 && System.nanoTime() < deadline) {
          source.close();
          n++;
          LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(300));
        }
        return n;
      });
      for (int i = 0; i < 40; i++) {
        assertEquals(180, decode(source.nextFrame()).getHeight());
      }
      assertTrue(closes.get(20, TimeUnit.SECONDS) > 0);
    } finally {
      closer.shutdownNow();
    }
    source.close();
    source.close(); // idempotent
    assertEquals(41, readCounterValue(source, source.nextFrame()));
  }

  @Test
  void runsUnderASourceRunnerIntoAChannel() throws Exception {
    try (Channel channel = Channel.create("pattern")) {
      List<Frame> received = new CopyOnWriteArrayList<>();
      channel.subscribe(FrameSink.of(received::add));
      TestPatternSource source = TestPatternSource.builder().size(320, 180).build();
      try (SourceRunner runner = SourceRunner.builder(source, channel).fps(50).build()) {
        runner.start();
        await(() -> received.size() >= 5, Duration.ofSeconds(20));
      }
      for (Frame f : received) {
        assertEquals(ContentTypes.JPEG, f.contentType());
        assertEquals(320, decode(f).getWidth());
      }
      assertTrue(received.get(received.size() - 1).sequence() > received.get(0).sequence());
    }
  }

  @Test
  void builderRejectsBadValues() {
    TestPatternSource.Builder b = TestPatternSource.builder();
    assertThrows(IllegalArgumentException.class, () -> b.size(31, 100));
    assertThrows(IllegalArgumentException.class, () -> b.size(100, TestPatternSource.MAX_DIMENSION + 1));
    assertThrows(IllegalArgumentException.class, () -> b.quality(-0.1));
    assertThrows(IllegalArgumentException.class, () -> b.quality(1.01));
    assertThrows(IllegalArgumentException.class, () -> b.quality(Double.NaN));
    assertThrows(NullPointerException.class, () -> b.label(null));
    assertThrows(NullPointerException.class, () -> b.clock(null));
    assertThrows(IllegalArgumentException.class, () -> b.label("a\nb"));
    assertThrows(IllegalArgumentException.class, () -> b.label("x".repeat(81)));
    assertEquals(Optional.empty(), b.label("   ").build().label());
    TestPatternSource built = b.size(100, 50).quality(0).build();
    assertEquals(100, built.width());
    assertEquals(50, built.height());
    assertNotEquals("", built.toString());
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static Clock fixedClock() {
    return Clock.fixed(NOON, ZoneOffset.UTC);
  }

  private static BufferedImage decode(Frame frame) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(frame.copyPayload()));
    assertTrue(image != null, "not a decodable image: " + frame);
    return image;
  }

  private static int readCounterValue(TestPatternSource source, Frame frame) throws IOException {
    return Integer.parseInt(readCounter(source, decode(frame)));
  }

  private static String readCounter(TestPatternSource source, BufferedImage image) {
    return readDigits(image, TestPatternSource.COUNTER_DIGITS, source::counterDigitCell);
  }

  private static String readClock(TestPatternSource source, BufferedImage image) {
    return readDigits(image, TestPatternSource.CLOCK_DIGITS, source::clockDigitCell);
  }

  /** Reads seven-segment digits back from a decoded picture by sampling the centre of every segment. */
  private static String readDigits(BufferedImage image, int count, IntFunction<Rectangle> cells) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < count; i++) {
      Rectangle cell = cells.apply(i);
      int mask = 0;
      for (int s = 0; s < 7; s++) {
        Point2D.Float p = TestPatternSource.segmentCenter(cell, s);
        if (luminance(image.getRGB(Math.round(p.x - 0.5f), Math.round(p.y - 0.5f))) > 110) {
          mask |= 1 << s;
        }
      }
      int digit = -1;
      for (int d = 0; d <= 9; d++) {
        if (TestPatternSource.segmentsOf(d) == mask) {
          digit = d;
        }
      }
      sb.append(digit < 0 ? "?" : Integer.toString(digit));
    }
    return sb.toString();
  }

  private static int luminance(int rgb) {
    int r = rgb >> 16 & 0xff;
    int g = rgb >> 8 & 0xff;
    int b = rgb & 0xff;
    return (r * 299 + g * 587 + b * 114) / 1000;
  }

  /** The mean absolute difference per channel over a region, 0 to 255. */
  private static double meanDifference(BufferedImage a, BufferedImage b, Rectangle region) {
    long sum = 0;
    for (int y = region.y; y < region.y + region.height; y++) {
      for (int x = region.x; x < region.x + region.width; x++) {
        int p = a.getRGB(x, y);
        int q = b.getRGB(x, y);
        for (int shift = 0; shift <= 16; shift += 8) {
          sum += Math.abs((p >> shift & 0xff) - (q >> shift & 0xff));
        }
      }
    }
    return sum / (3.0 * region.width * region.height);
  }

  private static void await(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("condition not met within " + timeout);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }
}
