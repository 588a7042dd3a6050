package io.framestream.media.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** Real JPEG images made with ImageIO, and streams built from them, for the MJPEG tests. */
public final class JpegFixtures {

  private static final String JPEG_METADATA = "javax_imageio_jpeg_image_1.0";

  private JpegFixtures() {}

  /** A baseline JPEG of a varied picture (gradient, shapes, text, some noise) that depends on the seed. */
  public static byte[] jpeg(int width, int height, int seed) {
    return write(picture(width, height, seed), Mode.BASELINE);
  }

  /** A progressive JPEG, which has several scans (several SOS segments). */
  public static byte[] progressiveJpeg(int width, int height, int seed) {
    return write(picture(width, height, seed), Mode.PROGRESSIVE);
  }

  /** A baseline JPEG with a restart interval, so its scan data contains RSTn markers. */
  public static byte[] jpegWithRestartMarkers(int width, int height, int seed) {
    return write(picture(width, height, seed), Mode.RESTART_INTERVAL);
  }

  /** A JPEG of random pixels at quality 1.0: large for its size. */
  public static byte[] noiseJpeg(int width, int height, int seed) {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(seed);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        img.setRGB(x, y, random.nextInt());
      }
    }
    return write(img, Mode.HIGH_QUALITY);
  }

  /**
   * Inserts, right after the SOI of {@code jpeg}, an EXIF APP1 segment with a correct length whose body
   * carries {@code thumbnail} (a complete JPEG with its own SOI and EOI).
   */
  public static byte[] withExifThumbnail(byte[] jpeg, byte[] thumbnail) {
    byte[] header = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
    // A minimal TIFF header (big-endian, IFD0 at offset 8, no entries) before the thumbnail bytes.
    byte[] tiff = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0};
    int bodyLength = header.length + tiff.length + thumbnail.length;
    int segmentLength = 2 + bodyLength;
    if (segmentLength > 0xFFFF) {
      throw new IllegalArgumentException("thumbnail too large for one APP1 segment");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2); // SOI
    out.write(0xFF);
    out.write(0xE1);
    out.write(segmentLength >> 8);
    out.write(segmentLength & 0xFF);
    out.writeBytes(header);
    out.writeBytes(tiff);
    out.writeBytes(thumbnail);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  /** Concatenates byte arrays. */
  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** A {@code multipart/x-mixed-replace} body as an IP camera serves it, one part per image. */
  public static byte[] multipart(String boundary, byte[]... images) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] image : images) {
      String head = "--" + boundary + "\r\nContent-Type: image/jpeg\r\nContent-Length: " + image.length
          + "\r\nX-Timestamp: 1700000000.123\r\n\r\n";
      out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(image);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** Random bytes that contain no 0xFF, so they can never start an image. */
  public static byte[] noFfNoise(int length, Random random) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    for (int i = 0; i < length; i++) {
      if (bytes[i] == (byte) 0xFF) {
        bytes[i] = 0x7F;
      }
    }
    return bytes;
  }

  /** Asserts that {@code actual} equals {@code expected} byte for byte and decodes to the given size. */
  public static void assertImage(byte[] expected, byte[] actual, int width, int height) {
    assertArrayEquals(expected, actual, "image bytes must be identical to what was written");
    try {
      BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(actual));
      assertNotNull(decoded, "ImageIO must decode the image");
      assertEquals(width, decoded.getWidth(), "decoded width");
      assertEquals(height, decoded.getHeight(), "decoded height");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Wraps bytes in a stream that returns 1 to 7 bytes per read, chosen by a seeded random. */
  public static InputStream tinyChunks(byte[] bytes, long seed) {
    return new ByteArrayInputStream(bytes) {
      private final Random random = new Random(seed);

      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 1 + random.nextInt(7)));
      }
    };
  }

  private static BufferedImage picture(int width, int height, int seed) {
    Random random = new Random(seed);
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setPaint(new GradientPaint(0, 0, new Color(random.nextInt()), width, height,
          new Color(random.nextInt())));
      g.fillRect(0, 0, width, height);
      int shapes = 3 + random.nextInt(6);
      for (int i = 0; i < shapes; i++) {
        g.setColor(new Color(random.nextInt()));
        g.setStroke(new BasicStroke(1 + random.nextInt(4)));
        int x = random.nextInt(width);
        int y = random.nextInt(height);
        int w = 1 + random.nextInt(Math.max(1, width / 2));
        int h = 1 + random.nextInt(Math.max(1, height / 2));
        if (random.nextBoolean()) {
          g.fillOval(x, y, w, h);
        } else {
          g.drawRect(x, y, w, h);
        }
      }
      // The seed as 16 bars, black or white: no text, so no dependency on installed fonts.
      int bar = Math.max(1, width / 32);
      for (int bit = 0; bit < 16; bit++) {
        g.setColor(((seed >> bit) & 1) == 1 ? Color.WHITE : Color.BLACK);
        g.fillRect(bit * bar * 2 % Math.max(1, width), 0, bar, Math.max(1, height / 8));
      }
    } finally {
      g.dispose();
    }
    int speckles = width * height / (8 + random.nextInt(24));
    for (int i = 0; i < speckles; i++) {
      img.setRGB(random.nextInt(width), random.nextInt(height), random.nextInt());
    }
    return img;
  }

  private enum Mode {
    BASELINE,
    PROGRESSIVE,
    RESTART_INTERVAL,
    HIGH_QUALITY
  }

  private static byte[] write(BufferedImage img, Mode mode) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    try {
      ImageWriteParam param = writer.getDefaultWriteParam();
      IIOMetadata metadata = null;
      if (mode == Mode.PROGRESSIVE) {
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      } else if (mode == Mode.HIGH_QUALITY) {
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(1.0f);
      } else if (mode == Mode.RESTART_INTERVAL) {
        metadata = writer.getDefaultImageMetadata(new ImageTypeSpecifier(img), param);
        Node root = metadata.getAsTree(JPEG_METADATA);
        Node markers = ((Element) root).getElementsByTagName("markerSequence").item(0);
        IIOMetadataNode dri = new IIOMetadataNode("dri");
        dri.setAttribute("interval", "2");
        markers.insertBefore(dri, markers.getFirstChild());
        metadata.setFromTree(JPEG_METADATA, root);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
        writer.setOutput(ios);
        writer.write(null, new IIOImage(img, null, metadata), param);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
  }
}
