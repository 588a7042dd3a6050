package io.framestream.examples;

import io.framestream.core.Frame;
import io.framestream.core.FrameSource;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.SplittableRandom;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * An example of a custom {@link FrameSource}: Conway's Game of Life on a wrap-around board, one
 * generation per frame, drawn as JPEG.
 *
 * <p>Live cells are coloured by age (newborn cells are pale yellow, old ones deep blue) and dead cells
 * leave a short fading trail. When the board dies out or settles into still lifes and blinkers, it is
 * seeded again, so the picture keeps moving for ever. Everything is drawn with rectangles: no fonts are
 * needed, so it works in a headless JVM on a machine without any fonts installed.
 *
 * <p>This is all a source has to do: {@link #nextFrame()} computes and encodes one picture and returns it.
 * The {@link io.framestream.core.SourceRunner} that a {@link io.framestream.core.ChannelRegistry} starts
 * for it does the pacing, threading, restarts and shutdown:
 *
 * <pre>{@code
 * server.registry().attachSource("life", new LifeSource(), 15);
 * }</pre>
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: every method is synchronized, so {@link #close()} from another thread (rule 4 of {@link
 * FrameSource}) waits for the frame being drawn. A source is meant to be driven by one runner.
 *
 * @since 0.1.0
 */
public final class LifeSource implements FrameSource {

  /** Default board width in cells: 96. */
  public static final int DEFAULT_COLUMNS = 96;
  /** Default board height in cells: 54 (with 7-pixel cells, a 672x378 picture). */
  public static final int DEFAULT_ROWS = 54;
  /** Default cell size in pixels: 7. */
  public static final int DEFAULT_CELL_PIXELS = 7;
  /** JPEG quality of the frames: 0.75. */
  public static final float QUALITY = 0.75f;

  /** Share of live cells in a fresh board. */
  static final double SEED_DENSITY = 0.28;
  /** How many generations a settled board is kept before it is seeded again. */
  static final int PATIENCE = 90;
  /** A generation that changes fewer cells than this share counts as settled. */
  static final double SETTLED_CHANGE = 0.004;
  /** The longest a board lives before it is seeded again, however busy: 2,400 generations. */
  static final int MAX_BOARD_GENERATIONS = 2400;

  private static final int TRAIL = 8;
  private static final int MAX_AGE = 60;
  private static final Color BACKGROUND = new Color(8, 10, 20);
  private static final Color[] AGE_COLORS = ageColors();
  private static final Color[] TRAIL_COLORS = trailColors();

  private final int columns;
  private final int rows;
  private final int cellPixels;
  private final SplittableRandom random;

  private byte[] age; // 0: dead; else generations alive, capped at MAX_AGE
  private byte[] next;
  private byte[] trail; // after death: TRAIL counting down to 0
  private long generation;
  private int population;
  private int settledFor;
  private int boardGenerations;
  private final long[] recentHashes = new long[2]; // liveness hashes of the two previous generations

  private BufferedImage image;
  private ImageWriter writer;
  private ImageWriteParam param;
  private final ByteArrayOutputStream jpeg = new ByteArrayOutputStream(64 * 1024);

  /** Creates a board of the default size with a random seed. */
  public LifeSource() {
    this(DEFAULT_COLUMNS, DEFAULT_ROWS, DEFAULT_CELL_PIXELS, new SplittableRandom().nextLong());
  }

  /**
   * Creates a board.
   *
   * @param columns board width in cells, 8 to 1000
   * @param rows board height in cells, 8 to 1000
   * @param cellPixels cell size in pixels, 1 to 32
   * @param seed the seed of the random boards, for repeatable runs
   * @throws IllegalArgumentException if a size is out of range
   */
  public LifeSource(int columns, int rows, int cellPixels, long seed) {
    this.columns = check(columns, 8, 1000, "columns");
    this.rows = check(rows, 8, 1000, "rows");
    this.cellPixels = check(cellPixels, 1, 32, "cellPixels");
    this.random = new SplittableRandom(seed);
    this.age = new byte[columns * rows];
    this.next = new byte[columns * rows];
    this.trail = new byte[columns * rows];
    seed();
  }

  private static int check(int value, int min, int max, String name) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", got " + value);
    }
    return value;
  }

  /**
   * Acquires the JPEG writer and the picture buffer. Optional: {@link #nextFrame()} does it if needed.
   *
   * @throws IOException if this JVM has no JPEG writer
   */
  @Override
  public synchronized void open() throws IOException {
    if (writer == null) {
      Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
      if (!writers.hasNext()) {
        throw new IOException("no JPEG ImageWriter in this JVM");
      }
      writer = writers.next();
      param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(QUALITY);
    }
    if (image == null) {
      image = new BufferedImage(width(), height(), BufferedImage.TYPE_3BYTE_BGR);
    }
  }

  /**
   * Advances the board by one generation and returns it as a JPEG key frame.
   *
   * @return an {@code image/jpeg} frame of {@link #width()} x {@link #height()} pixels
   * @throws IOException if encoding fails
   */
  @Override
  public synchronized Frame nextFrame() throws IOException {
    open();
    step();
    draw();
    jpeg.reset();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(jpeg)) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.setOutput(null);
    }
    return Frame.builder(jpeg.toByteArray())
        .contentType("image/jpeg")
        .dimensions(width(), height())
        .build();
  }

  /** Releases the JPEG writer and the picture buffer; the board is kept. Idempotent. */
  @Override
  public synchronized void close() {
    if (writer != null) {
      writer.dispose();
      writer = null;
      param = null;
    }
    image = null;
  }

  /**
   * Returns the picture width.
   *
   * @return columns times the cell size, in pixels
   */
  public int width() {
    return columns * cellPixels;
  }

  /**
   * Returns the picture height.
   *
   * @return rows times the cell size, in pixels
   */
  public int height() {
    return rows * cellPixels;
  }

  /**
   * Returns how many generations have been computed.
   *
   * @return the generation of the newest frame, 0 before the first
   */
  public synchronized long generation() {
    return generation;
  }

  /**
   * Returns how many cells are alive now.
   *
   * @return the live cells
   */
  public synchronized int population() {
    return population;
  }

  // ---- the game ---------------------------------------------------------------------------------

  /** Fills the board at random, keeping the trails of what was there. */
  private void seed() {
    population = 0;
    for (int i = 0; i < age.length; i++) {
      boolean alive = random.nextDouble() < SEED_DENSITY;
      age[i] = (byte) (alive ? 1 : 0);
      population += alive ? 1 : 0;
    }
    settledFor = 0;
    boardGenerations = 0;
  }

  /** Sets one cell, for tests. */
  synchronized void set(int column, int row, boolean alive) {
    int i = index(column, row);
    if ((age[i] > 0) != alive) {
      population += alive ? 1 : -1;
    }
    age[i] = (byte) (alive ? 1 : 0);
  }

  /** Tells whether a cell is alive, for tests. */
  synchronized boolean alive(int column, int row) {
    return age[index(column, row)] > 0;
  }

  /** Clears the board, for tests. */
  synchronized void clear() {
    Arrays.fill(age, (byte) 0);
    population = 0;
    settledFor = 0;
  }

  private int index(int column, int row) {
    return Math.floorMod(row, rows) * columns + Math.floorMod(column, columns);
  }

  /** Computes the next generation (B3/S23 on a torus); reseeds a board that died out or settled. */
  synchronized void step() {
    int changed = 0;
    int alive = 0;
    long hash = 1;
    for (int r = 0; r < rows; r++) {
      int up = (r == 0 ? rows - 1 : r - 1) * columns;
      int here = r * columns;
      int down = (r == rows - 1 ? 0 : r + 1) * columns;
      for (int c = 0; c < columns; c++) {
        int left = c == 0 ? columns - 1 : c - 1;
        int right = c == columns - 1 ? 0 : c + 1;
        int n = live(up + left) + live(up + c) + live(up + right)
            + live(here + left) + live(here + right)
            + live(down + left) + live(down + c) + live(down + right);
        int i = here + c;
        boolean was = age[i] > 0;
        boolean is = n == 3 || (was && n == 2);
        if (is) {
          next[i] = (byte) (was ? Math.min(MAX_AGE, age[i] + 1) : 1);
          trail[i] = 0;
          alive++;
          hash = hash * 31 + i;
        } else {
          next[i] = 0;
          trail[i] = (byte) (was ? TRAIL : Math.max(0, trail[i] - 1));
        }
        if (was != is) {
          changed++;
        }
      }
    }
    byte[] swap = age;
    age = next;
    next = swap;
    population = alive;
    generation++;
    // Settled: almost nothing changes, or the board repeats itself every one or two generations.
    boolean periodic = hash == recentHashes[0] || hash == recentHashes[1];
    recentHashes[1] = recentHashes[0];
    recentHashes[0] = hash;
    settledFor = periodic || changed < SETTLED_CHANGE * age.length ? settledFor + 1 : 0;
    boardGenerations++;
    if (population == 0 || settledFor >= PATIENCE || boardGenerations >= MAX_BOARD_GENERATIONS) {
      seed();
    }
  }

  private int live(int i) {
    return age[i] > 0 ? 1 : 0;
  }

  // ---- drawing ----------------------------------------------------------------------------------

  private void draw() {
    Graphics2D g = image.createGraphics();
    try {
      g.setColor(BACKGROUND);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      int size = Math.max(1, cellPixels - 1);
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < columns; c++) {
          int i = r * columns + c;
          Color color = age[i] > 0 ? AGE_COLORS[age[i]] : trail[i] > 0 ? TRAIL_COLORS[trail[i]] : null;
          if (color != null) {
            g.setColor(color);
            g.fillRect(c * cellPixels, r * cellPixels, size, size);
          }
        }
      }
    } finally {
      g.dispose();
    }
  }

  /** Pale yellow for newborn cells, through green and cyan, to deep blue for old ones. */
  private static Color[] ageColors() {
    Color[] colors = new Color[MAX_AGE + 1];
    for (int a = 1; a <= MAX_AGE; a++) {
      float t = (float) Math.sqrt((a - 1) / (double) (MAX_AGE - 1));
      colors[a] = Color.getHSBColor(0.16f + 0.5f * t, 0.35f + 0.55f * t, 1.0f - 0.3f * t);
    }
    return colors;
  }

  /** A dim violet glow that fades out over {@code TRAIL} generations. */
  private static Color[] trailColors() {
    Color[] colors = new Color[TRAIL + 1];
    for (int t = 1; t <= TRAIL; t++) {
      float k = t / (float) TRAIL;
      colors[t] = new Color(
          Math.round(BACKGROUND.getRed() + 70 * k),
          Math.round(BACKGROUND.getGreen() + 18 * k),
          Math.round(BACKGROUND.getBlue() + 90 * k));
    }
    return colors;
  }

  /** Shows the board size and generation. */
  @Override
  public synchronized String toString() {
    return "LifeSource[" + columns + "x" + rows + " cells of " + cellPixels + " px, generation " + generation
        + ", population " + population + "]";
  }
}
