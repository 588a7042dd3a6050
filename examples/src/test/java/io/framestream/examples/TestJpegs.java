package io.framestream.examples;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;

/**
 * Real, decodable JPEG frames for browser tests, and a feeder that publishes them into channels at a steady
 * rate (a camera's pace; the tests wait on what the page reports, never on this clock).
 */
final class TestJpegs implements AutoCloseable {

  static final int WIDTH = 160;
  static final int HEIGHT = 120;
  /** The colours the frames cycle through, so a page can see the picture change. */
  static final List<Color> COLORS = List.of(Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW);

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "test-jpegs");
    t.setDaemon(true);
    return t;
  });

  /** A {@value #WIDTH} x {@value #HEIGHT} JPEG filled with the colour of {@code index}. */
  static byte[] jpeg(int index) {
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(COLORS.get(Math.floorMod(index, COLORS.size())));
    g.fillRect(0, 0, WIDTH, HEIGHT);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "jpg", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Publishes a new picture into every channel every {@code periodMillis}. */
  static TestJpegs feed(List<Channel> channels, long periodMillis) {
    TestJpegs feeder = new TestJpegs();
    List<byte[]> frames = COLORS.stream().map(c -> jpeg(COLORS.indexOf(c))).toList();
    AtomicInteger tick = new AtomicInteger();
    feeder.timer.scheduleAtFixedRate(() -> {
      int i = tick.getAndIncrement();
      for (int c = 0; c < channels.size(); c++) {
        channels.get(c).publish(Frame.of("image/jpeg", frames.get((i + c) % frames.size())));
      }
    }, 0, periodMillis, TimeUnit.MILLISECONDS);
    return feeder;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
