package io.framestream.media;

import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSource;
import io.framestream.core.SourceRunner;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Point2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalTime;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStreamImpl;

/**
 * A {@link FrameSource} that draws a moving test picture and encodes it as JPEG: for demos, load tests and
 * for checking a viewer end to end without a camera.
 *
 * <p>Each frame shows colour bars scrolling to the right with a ball bouncing over them, a hue band
 * scrolling to the left above a grey ramp, and a panel with the wall-clock time ({@code HH:MM:SS.mmm}, in
 * the zone of the configured {@link Builder#clock(Clock) clock}), a bar sweeping through each second and
 * the frame number, both drawn as seven-segment digits. An optional {@link Builder#label(String) label}
 * is shown in the top-left corner.
 *
 * <pre>{@code
 * FrameSource pattern = TestPatternSource.builder().size(1280, 720).label("camera 1").build();
 * try (SourceRunner runner = SourceRunner.builder(pattern, channel).fps(25).build()) {
 *   runner.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>Every {@link #nextFrame()} returns a new {@link FrameKind#KEY} frame of type {@code image/jpeg} with
 * its {@link Frame#width() dimensions} set and the capture time taken from the clock just before drawing.
 * The animation advances with the frame number, so consecutive frames always differ, however fast they are
 * requested. Frame numbers start at 1 and count every frame this instance has produced: {@link #open()}
 * does <em>not</em> reset them, so a restart by a {@link SourceRunner} shows as a gap in the clock, not as a
 * counter jumping back. (The displayed number wraps after 99,999,999.)
 *
 * <p>Works in a headless JVM ({@code java.awt.headless=true}) and without any fonts installed: the digits
 * are drawn as polygons, never as text. Only the optional label uses a font; if the font system fails, the
 * label is left out (logged once) and frames are produced as before. One image, one JPEG writer and one
 * output buffer are reused from frame to frame; at the default size a frame takes a few milliseconds.
 * {@link #open()} acquires them (so a missing JPEG encoder fails early), {@link #close()} releases them, and
 * {@link #nextFrame()} acquires them again if needed, so a closed source can be reused.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe beyond the rules of {@link FrameSource}: {@link #open()} and {@link #nextFrame()} must be
 * called from one thread at a time (as a {@link SourceRunner} does). {@link #close()} may be called from
 * another thread at any time; it waits for the frame being drawn, if any, and then releases the buffers.
 * The accessors ({@link #width()}, {@link #framesProduced()} and so on) may be called from any thread.
 *
 * @since 0.1.0
 */
public final class TestPatternSource implements FrameSource {

  /** The default image width: 640 pixels. */
  public static final int DEFAULT_WIDTH = 640;
  /** The default image height: 360 pixels. */
  public static final int DEFAULT_HEIGHT = 360;
  /** The default JPEG quality: 0.75. */
  public static final double DEFAULT_QUALITY = 0.75;
  /** The smallest width or height accepted: 32 pixels. */
  public static final int MIN_DIMENSION = 32;
  /** The largest width or height accepted: 8192 pixels. */
  public static final int MAX_DIMENSION = 8192;
  /** The longest label accepted, in characters. */
  public static final int MAX_LABEL_LENGTH = 80;

  /** How many digits of the frame number are shown. */
  static final int COUNTER_DIGITS = 8;
  /** How many digits the clock shows: HH MM SS mmm. */
  static final int CLOCK_DIGITS = 9;

  private static final System.Logger LOG = System.getLogger(TestPatternSource.class.getName());
  private static final byte[] NO_BYTES = new byte[0];
  private static final long COUNTER_MODULUS = 100_000_000L;

  /** Lit segments per digit, bit 0 = segment a (top) ... bit 6 = segment g (middle). */
  private static final int[] SEGMENTS = {0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F};

  /** 75% colour bars: grey, yellow, cyan, green, magenta, red, blue. */
  private static final Color[] BARS = {
    new Color(191, 191, 191),
    new Color(191, 191, 0),
    new Color(0, 191, 191),
    new Color(0, 191, 0),
    new Color(191, 0, 191),
    new Color(191, 0, 0),
    new Color(0, 0, 191)
  };

  private static final Color PANEL = new Color(14, 16, 22);
  private static final Color CLOCK_ON = new Color(90, 255, 130);
  private static final Color CLOCK_OFF = new Color(24, 48, 32);
  private static final Color COUNTER_ON = new Color(255, 184, 40);
  private static final Color COUNTER_OFF = new Color(52, 38, 14);
  private static final Color SWEEP = new Color(80, 170, 255);
  private static final Color SWEEP_TRACK = new Color(34, 40, 56);
  private static final Color SHADOW = new Color(0, 0, 0, 90);
  private static final Color GUIDE = new Color(255, 255, 255, 120);

  /** Draws the label into an image; package-private so that tests can simulate a broken font system. */
  @FunctionalInterface
  interface LabelRenderer {
    BufferedImage render(String text, int fontPixels);
  }

  private final int width;
  private final int height;
  private final double quality;
  private final String label; // "" when none
  private final Clock clock;
  private final LabelRenderer labelRenderer;

  // Layout, fixed by the size.
  private final int barsBottom;
  private final int stripBottom;
  private final int margin;
  private final int barStep;
  private final int stripStep;
  private final int ballRadius;
  private final int clockY;
  private final int clockDigitH;
  private final int clockDigitW;
  private final int[] clockDigitX = new int[CLOCK_DIGITS];
  private final int[] clockSeparatorX = new int[3];
  private final int clockSeparatorW;
  private final int counterY;
  private final int counterDigitH;
  private final int counterDigitW;
  private final int[] counterDigitX = new int[COUNTER_DIGITS];
  private final int labelPixels;

  private final Object lock = new Object();
  // Guarded by lock.
  private BufferedImage image;
  private BufferedImage hueStrip;
  private BufferedImage labelImage;
  private boolean labelFailed;
  private ImageWriter writer;
  private ImageWriteParam writeParam;
  private IIOImage iioImage;
  private JpegBuffer out;
  private final Path2D.Float path = new Path2D.Float();
  private final float[] line = new float[4];
  private final int[] clockValues = new int[CLOCK_DIGITS];

  private volatile long framesProduced;

  private TestPatternSource(Builder b) {
    this.width = b.width;
    this.height = b.height;
    this.quality = b.quality;
    this.label = b.label;
    this.clock = b.clock;
    this.labelRenderer = b.labelRenderer;

    barsBottom = Math.round(height * 0.56f);
    stripBottom = Math.round(height * 0.64f);
    margin = Math.max(2, Math.min(width, height) / 30);
    barStep = Math.max(2, width / 128);
    stripStep = Math.max(1, width / 213);
    ballRadius = Math.max(3, Math.min(width, barsBottom) / 8);
    labelPixels = Math.max(9, height / 22);

    int panel = height - stripBottom;
    clockDigitH = Math.max(6, Math.min(Math.round(panel * 0.46f), (int) (width * 0.92f / 7.0f)));
    clockDigitW = Math.max(3, Math.round(clockDigitH * 0.5f));
    int clockGap = Math.max(1, Math.round(clockDigitH * 0.14f));
    clockSeparatorW = Math.max(2, Math.round(clockDigitH * 0.28f));
    int rowWidth = CLOCK_DIGITS * clockDigitW + 3 * clockSeparatorW + 11 * clockGap;
    int x = (width - rowWidth) / 2;
    int digit = 0;
    int separator = 0;
    for (char c : "00:00:00.000".toCharArray()) {
      if (c == '0') {
        clockDigitX[digit++] = x;
        x += clockDigitW + clockGap;
      } else {
        clockSeparatorX[separator++] = x;
        x += clockSeparatorW + clockGap;
      }
    }
    clockY = stripBottom + Math.max(1, Math.round(panel * 0.1f));

    counterDigitH = Math.max(6, Math.round(clockDigitH * 0.6f));
    counterDigitW = Math.max(3, Math.round(counterDigitH * 0.5f));
    int counterGap = Math.max(1, Math.round(counterDigitH * 0.14f));
    int counterWidth = COUNTER_DIGITS * counterDigitW + (COUNTER_DIGITS - 1) * counterGap;
    int counterX = width - margin - counterWidth;
    for (int i = 0; i < COUNTER_DIGITS; i++) {
      counterDigitX[i] = counterX + i * (counterDigitW + counterGap);
    }
    counterY = clockY + clockDigitH + Math.max(2, Math.round(panel * 0.1f));
  }

  /**
   * Creates a source with the default size, quality and clock, and no label.
   *
   * @return a new source
   */
  public static TestPatternSource create() {
    return builder().build();
  }

  /**
   * Starts a builder with the defaults: {@value #DEFAULT_WIDTH}x{@value #DEFAULT_HEIGHT}, quality {@value
   * #DEFAULT_QUALITY}, no label, the system clock in the default time zone.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the image width.
   *
   * @return the width in pixels
   */
  public int width() {
    return width;
  }

  /**
   * Returns the image height.
   *
   * @return the height in pixels
   */
  public int height() {
    return height;
  }

  /**
   * Returns the JPEG quality.
   *
   * @return the quality, 0 to 1
   */
  public double quality() {
    return quality;
  }

  /**
   * Returns the label shown in the picture.
   *
   * @return the label, or empty if none was set
   */
  public Optional<String> label() {
    return label.isEmpty() ? Optional.empty() : Optional.of(label);
  }

  /**
   * Returns how many frames this source has produced; the newest frame shows this number.
   *
   * @return the number of frames produced so far
   */
  public long framesProduced() {
    return framesProduced;
  }

  /**
   * Acquires the image buffers and the JPEG writer. Optional: {@link #nextFrame()} acquires them itself.
   * Does not reset the frame number.
   *
   * @throws IOException if no JPEG writer is available
   */
  @Override
  public void open() throws IOException {
    synchronized (lock) {
      acquire();
    }
  }

  /**
   * Draws and encodes the next picture. Never blocks beyond the few milliseconds that takes.
   *
   * @return a new {@code image/jpeg} key frame of the configured size, captured now
   * @throws IOException if no JPEG writer is available or encoding fails
   */
  @Override
  public Frame nextFrame() throws IOException {
    synchronized (lock) {
      acquire();
      long number = framesProduced + 1;
      Instant now = clock.instant();
      draw(number, now);
      ByteBuffer jpeg;
      try {
        jpeg = encode();
      } catch (IOException | RuntimeException e) {
        releaseWriter(); // start afresh next time
        throw e;
      }
      framesProduced = number;
      return Frame.builder(NO_BYTES)
          .payload(jpeg)
          .contentType(ContentTypes.JPEG)
          .kind(FrameKind.KEY)
          .captureTime(now)
          .dimensions(width, height)
          .build();
    }
  }

  /**
   * Releases the image buffers and the JPEG writer, after the frame being drawn (if any) is done. Never
   * throws; idempotent; a later {@link #open()} or {@link #nextFrame()} acquires them again.
   */
  @Override
  public void close() {
    synchronized (lock) {
      releaseWriter();
      image = null;
      hueStrip = null;
      labelImage = null;
      out = null;
    }
  }

  /** Shows the size, quality and frame count. */
  @Override
  public String toString() {
    return "TestPatternSource[" + width + "x" + height + ", quality=" + quality + ", frames="
        + framesProduced + (label.isEmpty() ? "" : ", label=" + label) + "]";
  }

  // ---- resources ----------------------------------------------------------------------------------

  private void acquire() throws IOException {
    if (writer == null) {
      Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
      if (!writers.hasNext()) {
        throw new IOException("no JPEG ImageWriter is available in this JVM");
      }
      ImageWriter w = writers.next();
      ImageWriteParam p = w.getDefaultWriteParam();
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality((float) quality);
      writer = w;
      writeParam = p;
    }
    if (image == null) {
      image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
      iioImage = new IIOImage(image, null, null);
      hueStrip = drawHueStrip(width, Math.max(1, (stripBottom - barsBottom) * 3 / 5));
    }
    if (out == null) {
      out = new JpegBuffer(Math.max(16 * 1024, width * height / 4));
    }
    if (!label.isEmpty() && labelImage == null && !labelFailed) {
      labelImage = renderLabelSafely();
    }
  }

  private void releaseWriter() {
    if (writer != null) {
      writer.dispose();
      writer = null;
      writeParam = null;
    }
  }

  /** Renders the label; any failure of the font system only disables the label. */
  private BufferedImage renderLabelSafely() {
    try {
      BufferedImage rendered = labelRenderer.render(label, labelPixels);
      if (rendered == null) {
        throw new IllegalStateException("label renderer returned null");
      }
      return rendered;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (RuntimeException | Error e) { // a missing font system surfaces as Error or InternalError
      labelFailed = true;
      LOG.log(System.Logger.Level.WARNING,
          "test pattern: cannot draw the label (no usable font?); frames continue without it", e);
      return null;
    }
  }

  /** The default label renderer: white text on a translucent dark box, using a logical font. */
  static BufferedImage renderLabelWithFont(String text, int fontPixels) {
    Font font = new Font(Font.SANS_SERIF, Font.BOLD, fontPixels);
    BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
    Graphics2D probe = scratch.createGraphics();
    FontMetrics metrics;
    try {
      probe.setFont(font);
      metrics = probe.getFontMetrics();
    } finally {
      probe.dispose();
    }
    int pad = Math.max(2, fontPixels / 3);
    int w = Math.max(1, metrics.stringWidth(text) + 2 * pad);
    int h = Math.max(1, metrics.getAscent() + metrics.getDescent() + pad);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(new Color(0, 0, 0, 170));
      g.fillRoundRect(0, 0, w, h, pad * 2, pad * 2);
      g.setFont(font);
      g.setColor(Color.WHITE);
      g.drawString(text, pad, pad / 2 + metrics.getAscent());
    } finally {
      g.dispose();
    }
    return img;
  }

  private static BufferedImage drawHueStrip(int w, int h) {
    BufferedImage strip = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = strip.createGraphics();
    try {
      for (int x = 0; x < w; x++) {
        g.setColor(new Color(Color.HSBtoRGB(x / (float) w, 0.85f, 1f)));
        g.fillRect(x, 0, 1, h);
      }
    } finally {
      g.dispose();
    }
    return strip;
  }

  // ---- drawing ------------------------------------------------------------------------------------

  private void draw(long number, Instant now) {
    Graphics2D g = image.createGraphics();
    try {
      drawBars(g, number);
      drawStrip(g, number);
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      drawGuides(g);
      drawBall(g, number);
      LocalTime time = LocalTime.ofInstant(now, clock.getZone());
      drawPanel(g, number, time);
      if (labelImage != null) {
        g.drawImage(labelImage, margin, margin, null);
      }
    } finally {
      g.dispose();
    }
  }

  private void drawBars(Graphics2D g, long number) {
    int offset = (int) ((number * barStep) % width);
    for (int i = 0; i < BARS.length; i++) {
      int x0 = i * width / BARS.length;
      int x1 = (i + 1) * width / BARS.length;
      int start = x0 + offset;
      if (start >= width) {
        start -= width;
      }
      g.setColor(BARS[i]);
      g.fillRect(start, 0, x1 - x0, barsBottom);
      if (start + (x1 - x0) > width) {
        g.fillRect(start - width, 0, x1 - x0, barsBottom);
      }
    }
  }

  private void drawStrip(Graphics2D g, long number) {
    int offset = (int) ((number * stripStep) % width);
    g.drawImage(hueStrip, -offset, barsBottom, null);
    g.drawImage(hueStrip, width - offset, barsBottom, null);
    int rampTop = barsBottom + hueStrip.getHeight();
    int steps = 16;
    for (int i = 0; i < steps; i++) {
      int level = i * 255 / (steps - 1);
      int x0 = i * width / steps;
      int x1 = (i + 1) * width / steps;
      g.setColor(new Color(level, level, level));
      g.fillRect(x0, rampTop, x1 - x0, stripBottom - rampTop);
    }
  }

  private void drawGuides(Graphics2D g) {
    int cx = width / 2;
    int cy = barsBottom / 2;
    int r = barsBottom * 2 / 5;
    g.setColor(GUIDE);
    g.setStroke(new BasicStroke(Math.max(1f, height / 240f)));
    g.drawOval(cx - r, cy - r, 2 * r, 2 * r);
    g.drawLine(cx - r - margin, cy, cx + r + margin, cy);
    g.drawLine(cx, cy - r - margin, cx, cy + r + margin);
  }

  private void drawBall(Graphics2D g, long number) {
    int r = ballRadius;
    int x = r + triangle(number * Math.max(1, width / 90), width - 2 * r);
    int y = r + triangle(number * Math.max(1, barsBottom / 45), barsBottom - 2 * r);
    float shadow = Math.max(2f, r / 5f);
    g.setColor(SHADOW);
    g.fill(new Ellipse2D.Float(x - r + shadow, y - r + shadow, 2f * r, 2f * r));
    g.setColor(new Color(Color.HSBtoRGB((number % 120) / 120f, 0.55f, 1f)));
    g.fill(new Ellipse2D.Float(x - r, y - r, 2f * r, 2f * r));
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(Math.max(1f, r / 8f)));
    g.draw(new Ellipse2D.Float(x - r, y - r, 2f * r, 2f * r));
    g.setColor(Color.WHITE);
    float h = r / 3f;
    g.fill(new Ellipse2D.Float(x - r / 2f, y - r / 2f, h, h));
  }

  private void drawPanel(Graphics2D g, long number, LocalTime time) {
    g.setColor(PANEL);
    g.fillRect(0, stripBottom, width, height - stripBottom);

    int ms = time.getNano() / 1_000_000;
    int[] v = clockValues;
    v[0] = time.getHour() / 10;
    v[1] = time.getHour() % 10;
    v[2] = time.getMinute() / 10;
    v[3] = time.getMinute() % 10;
    v[4] = time.getSecond() / 10;
    v[5] = time.getSecond() % 10;
    v[6] = ms / 100;
    v[7] = ms / 10 % 10;
    v[8] = ms % 10;
    for (int i = 0; i < CLOCK_DIGITS; i++) {
      drawDigit(g, v[i], clockDigitX[i], clockY, clockDigitW, clockDigitH, CLOCK_ON, CLOCK_OFF);
    }
    int dot = Math.max(2, Math.round(thickness(clockDigitW)));
    g.setColor(CLOCK_ON);
    for (int i = 0; i < 2; i++) { // the colons
      int dx = clockSeparatorX[i] + (clockSeparatorW - dot) / 2;
      g.fillRect(dx, clockY + clockDigitH * 3 / 10 - dot / 2, dot, dot);
      g.fillRect(dx, clockY + clockDigitH * 7 / 10 - dot / 2, dot, dot);
    }
    g.fillRect(clockSeparatorX[2] + (clockSeparatorW - dot) / 2, clockY + clockDigitH - dot, dot, dot);

    long shown = number % COUNTER_MODULUS;
    for (int i = COUNTER_DIGITS - 1; i >= 0; i--) {
      drawDigit(g, (int) (shown % 10), counterDigitX[i], counterY, counterDigitW, counterDigitH,
          COUNTER_ON, COUNTER_OFF);
      shown /= 10;
    }

    // The seconds sweep, left of the counter: fills up once per second, with a tick every 100 ms.
    int sweepX = margin;
    int sweepW = counterDigitX[0] - 2 * margin - sweepX;
    if (sweepW > 10) {
      int sweepH = Math.max(2, counterDigitH / 3);
      int sweepY = counterY + (counterDigitH - sweepH) / 2;
      g.setColor(SWEEP_TRACK);
      g.fillRect(sweepX, sweepY, sweepW, sweepH);
      g.setColor(SWEEP);
      g.fillRect(sweepX, sweepY, sweepW * ms / 1000, sweepH);
      g.setColor(PANEL);
      for (int i = 1; i < 10; i++) {
        g.fillRect(sweepX + sweepW * i / 10, sweepY, 1, sweepH);
      }
    }
  }

  private void drawDigit(Graphics2D g, int digit, int x, int y, int w, int h, Color on, Color off) {
    int lit = SEGMENTS[digit];
    float t = thickness(w);
    float half = t / 2;
    float inset = Math.max(0.5f, t * 0.15f);
    for (int s = 0; s < 7; s++) {
      segmentLine(s, x, y, w, h, t, line);
      float x0 = line[0];
      float y0 = line[1];
      float x1 = line[2];
      float y1 = line[3];
      path.reset();
      if (y0 == y1) { // horizontal: a hexagon pointing left and right
        path.moveTo(x0 + inset, y0);
        path.lineTo(x0 + inset + half, y0 - half);
        path.lineTo(x1 - inset - half, y0 - half);
        path.lineTo(x1 - inset, y0);
        path.lineTo(x1 - inset - half, y0 + half);
        path.lineTo(x0 + inset + half, y0 + half);
      } else { // vertical: a hexagon pointing up and down
        path.moveTo(x0, y0 + inset);
        path.lineTo(x0 + half, y0 + inset + half);
        path.lineTo(x0 + half, y1 - inset - half);
        path.lineTo(x0, y1 - inset);
        path.lineTo(x0 - half, y1 - inset - half);
        path.lineTo(x0 - half, y0 + inset + half);
      }
      path.closePath();
      g.setColor((lit >> s & 1) != 0 ? on : off);
      g.fill(path);
    }
  }

  private static float thickness(int digitWidth) {
    return Math.max(1f, digitWidth * 0.22f);
  }

  /** The centre line of segment {@code s} (a to g) of a digit cell: x0, y0, x1, y1 into {@code out}. */
  private static void segmentLine(int s, float x, float y, float w, float h, float t, float[] out) {
    float half = t / 2;
    float left = x + half;
    float right = x + w - half;
    float top = y + half;
    float mid = y + h / 2;
    float bottom = y + h - half;
    switch (s) {
      case 0: // a
        set(out, left, top, right, top);
        break;
      case 1: // b
        set(out, right, top, right, mid);
        break;
      case 2: // c
        set(out, right, mid, right, bottom);
        break;
      case 3: // d
        set(out, left, bottom, right, bottom);
        break;
      case 4: // e
        set(out, left, mid, left, bottom);
        break;
      case 5: // f
        set(out, left, top, left, mid);
        break;
      case 6: // g
        set(out, left, mid, right, mid);
        break;
      default:
        throw new IllegalArgumentException("segment " + s);
    }
  }

  private static void set(float[] out, float x0, float y0, float x1, float y1) {
    out[0] = x0;
    out[1] = y0;
    out[2] = x1;
    out[3] = y1;
  }

  /** A triangle wave: 0 up to {@code span} and back down, for bouncing motion. */
  private static int triangle(long t, int span) {
    if (span <= 0) {
      return 0;
    }
    long p = t % (2L * span);
    return (int) (p <= span ? p : 2L * span - p);
  }

  // ---- encoding -----------------------------------------------------------------------------------

  private ByteBuffer encode() throws IOException {
    out.rewind();
    writer.setOutput(out);
    try {
      writer.write(null, iioImage, writeParam);
    } finally {
      writer.setOutput(null);
    }
    return out.contents();
  }

  // ---- geometry for tests -------------------------------------------------------------------------

  /** The cell of clock digit {@code i} (0 = tens of hours ... 8 = milliseconds). */
  Rectangle clockDigitCell(int i) {
    return new Rectangle(clockDigitX[i], clockY, clockDigitW, clockDigitH);
  }

  /** The cell of frame-number digit {@code i} (0 = most significant). */
  Rectangle counterDigitCell(int i) {
    return new Rectangle(counterDigitX[i], counterY, counterDigitW, counterDigitH);
  }

  /** The centre of segment {@code s} (0 = a ... 6 = g) of a digit drawn in {@code cell}. */
  static Point2D.Float segmentCenter(Rectangle cell, int s) {
    float[] l = new float[4];
    segmentLine(s, cell.x, cell.y, cell.width, cell.height, thickness(cell.width), l);
    return new Point2D.Float((l[0] + l[2]) / 2, (l[1] + l[3]) / 2);
  }

  /** The lit-segment mask of a digit, bit 0 = segment a. */
  static int segmentsOf(int digit) {
    return SEGMENTS[digit];
  }

  /**
   * A growable in-memory image output stream that is rewound and reused for every frame, so that encoding
   * allocates nothing but the frame's own copy of the bytes.
   */
  private static final class JpegBuffer extends ImageOutputStreamImpl {
    private byte[] buf;
    private int length;

    JpegBuffer(int initialCapacity) {
      buf = new byte[initialCapacity];
    }

    void rewind() {
      streamPos = 0;
      flushedPos = 0;
      bitOffset = 0;
      length = 0;
    }

    /** The bytes written since {@link #rewind()}, as a view (not a copy). */
    ByteBuffer contents() {
      return ByteBuffer.wrap(buf, 0, length);
    }

    @Override
    public int read() throws IOException {
      checkClosed();
      bitOffset = 0;
      if (streamPos >= length) {
        return -1;
      }
      return buf[(int) streamPos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      checkClosed();
      Objects.checkFromIndexSize(off, len, b.length);
      bitOffset = 0;
      if (len == 0) {
        return 0;
      }
      if (streamPos >= length) {
        return -1;
      }
      int n = (int) Math.min(len, length - streamPos);
      System.arraycopy(buf, (int) streamPos, b, off, n);
      streamPos += n;
      return n;
    }

    @Override
    public void write(int b) throws IOException {
      checkClosed();
      flushBits();
      ensureCapacity(streamPos + 1);
      buf[(int) streamPos++] = (byte) b;
      length = (int) Math.max(length, streamPos);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      checkClosed();
      Objects.checkFromIndexSize(off, len, b.length);
      flushBits();
      ensureCapacity(streamPos + len);
      System.arraycopy(b, off, buf, (int) streamPos, len);
      streamPos += len;
      length = (int) Math.max(length, streamPos);
    }

    @Override
    public long length() {
      return length;
    }

    private void ensureCapacity(long needed) throws IOException {
      if (needed > Integer.MAX_VALUE - 16) {
        throw new IOException("encoded image too large");
      }
      if (needed > buf.length) {
        long grown = Math.max(needed, Math.min(Integer.MAX_VALUE - 16L, buf.length * 2L));
        buf = Arrays.copyOf(buf, (int) grown);
      }
    }
  }

  /**
   * Builds a {@link TestPatternSource}. Obtain one from {@link TestPatternSource#builder()}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe: use a builder from one thread at a time.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private int width = DEFAULT_WIDTH;
    private int height = DEFAULT_HEIGHT;
    private double quality = DEFAULT_QUALITY;
    private String label = "";
    private Clock clock = Clock.systemDefaultZone();
    private LabelRenderer labelRenderer = TestPatternSource::renderLabelWithFont;

    private Builder() {}

    /**
     * Sets the image size; the default is {@value TestPatternSource#DEFAULT_WIDTH}x{@value
     * TestPatternSource#DEFAULT_HEIGHT}.
     *
     * @param w the width in pixels, {@value TestPatternSource#MIN_DIMENSION} to {@value
     *     TestPatternSource#MAX_DIMENSION}
     * @param h the height in pixels, {@value TestPatternSource#MIN_DIMENSION} to {@value
     *     TestPatternSource#MAX_DIMENSION}
     * @return this builder
     * @throws IllegalArgumentException if a dimension is out of range
     */
    public Builder size(int w, int h) {
      if (w < MIN_DIMENSION || w > MAX_DIMENSION || h < MIN_DIMENSION || h > MAX_DIMENSION) {
        throw new IllegalArgumentException(
            "size must be " + MIN_DIMENSION + ".." + MAX_DIMENSION + " each way, got " + w + "x" + h);
      }
      this.width = w;
      this.height = h;
      return this;
    }

    /**
     * Sets the JPEG quality; the default is {@value TestPatternSource#DEFAULT_QUALITY}.
     *
     * @param q from 0 (smallest) to 1 (best)
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder quality(double q) {
      if (!(q >= 0 && q <= 1)) {
        throw new IllegalArgumentException("quality must be 0..1, got " + q);
      }
      this.quality = q;
      return this;
    }

    /**
     * Sets a label shown in the top-left corner; an empty or blank text means no label (the default).
     * Leading and trailing white space is removed. The label is the only text drawn with a font: if no
     * font is usable, it is left out and frames are produced without it.
     *
     * @param text up to {@value TestPatternSource#MAX_LABEL_LENGTH} characters, no control characters
     * @return this builder
     * @throws NullPointerException if {@code text} is {@code null}
     * @throws IllegalArgumentException if it is too long or has control characters
     */
    public Builder label(String text) {
      String stripped = Objects.requireNonNull(text, "label").strip();
      if (stripped.length() > MAX_LABEL_LENGTH) {
        throw new IllegalArgumentException(
            "label must be at most " + MAX_LABEL_LENGTH + " characters, got " + stripped.length());
      }
      for (int i = 0; i < stripped.length(); i++) {
        if (Character.isISOControl(stripped.charAt(i))) {
          throw new IllegalArgumentException("label has a control character at index " + i);
        }
      }
      this.label = stripped;
      return this;
    }

    /**
     * Sets the clock that gives the capture time and the time shown, in the clock's zone; the default is
     * {@link Clock#systemDefaultZone()}. A fixed clock makes the clock digits repeatable in tests.
     *
     * @param c the clock
     * @return this builder
     * @throws NullPointerException if {@code c} is {@code null}
     */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** For tests: replaces the font-based label renderer. */
    Builder labelRenderer(LabelRenderer renderer) {
      this.labelRenderer = Objects.requireNonNull(renderer, "labelRenderer");
      return this;
    }

    /**
     * Builds the source. Nothing is allocated until {@link TestPatternSource#open()} or the first frame.
     *
     * @return the new source
     */
    public TestPatternSource build() {
      return new TestPatternSource(this);
    }
  }
}
