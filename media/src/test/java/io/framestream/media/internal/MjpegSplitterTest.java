package io.framestream.media.internal;

import static io.framestream.media.internal.JpegFixtures.assertImage;
import static io.framestream.media.internal.JpegFixtures.concat;
import static io.framestream.media.internal.JpegFixtures.jpeg;
import static io.framestream.media.internal.JpegFixtures.noFfNoise;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Tests named after the rules M1..M6 in the Javadoc of {@link MjpegSplitter}. */
class MjpegSplitterTest {

  private static final int NO_LIMIT = 8 * 1024 * 1024;
  private static final int MAX_READS = 100_000;

  @Test
  void m1_concatenatedImagesComeOutWholeAndByteIdentical() throws IOException {
    int[][] sizes = {{160, 120}, {320, 240}, {64, 48}, {33, 17}, {640, 360}, {1, 1}};
    List<byte[]> images = new ArrayList<>();
    for (int i = 0; i < sizes.length; i++) {
      images.add(jpeg(sizes[i][0], sizes[i][1], i));
    }
    MjpegSplitter splitter = splitter(concat(images.toArray(new byte[0][])), NO_LIMIT);

    for (int i = 0; i < sizes.length; i++) {
      byte[] image = splitter.next();
      assertImage(images.get(i), image, sizes[i][0], sizes[i][1]);
      assertEquals(sizes[i][0], splitter.lastWidth(), "width from the SOF segment");
      assertEquals(sizes[i][1], splitter.lastHeight(), "height from the SOF segment");
    }
    assertThrows(EOFException.class, splitter::next);
    assertThrows(EOFException.class, splitter::next, "the end is reported again, not a failure");
    assertEquals(sizes.length, splitter.imagesEmitted());
    assertEquals(0, splitter.garbageBytesSkipped());
    assertEquals(0, splitter.truncatedImages());
    assertEquals(0, splitter.malformedImages());
  }

  @Test
  void m1_manyImagesAcrossManyBufferRefillsComeOutIntact() throws IOException {
    List<byte[]> images = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      images.add(jpeg(320 + 16 * (i % 7), 240 + 8 * (i % 5), 200 + i));
    }
    byte[] stream = concat(images.toArray(new byte[0][]));
    assertTrue(stream.length > 4 * MjpegSplitter.READ_CHUNK_BYTES, "spans many buffer refills");

    MjpegSplitter whole = splitter(stream, NO_LIMIT);
    MjpegSplitter oddChunks = new MjpegSplitter(new ByteArrayInputStream(stream) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 9_973));
      }
    }, NO_LIMIT);

    for (int i = 0; i < images.size(); i++) {
      byte[] image = whole.next();
      assertImage(images.get(i), image, 320 + 16 * (i % 7), 240 + 8 * (i % 5));
      assertArrayEquals(images.get(i), oddChunks.next(), "image " + i);
    }
    assertThrows(EOFException.class, whole::next);
    assertThrows(EOFException.class, oddChunks::next);
    assertEquals(0, whole.garbageBytesSkipped() + oddChunks.garbageBytesSkipped());
  }

  @Test
  void m1_progressiveImagesAndRestartMarkersDoNotEndTheImageEarly() throws IOException {
    byte[] progressive = JpegFixtures.progressiveJpeg(200, 150, 1);
    byte[] restarts = JpegFixtures.jpegWithRestartMarkers(120, 90, 2);
    byte[] baseline = jpeg(100, 80, 3);
    assertTrue(countMarkers(progressive, 0xDA) > 1, "a progressive JPEG has several scans");
    assertTrue(countMarkers(restarts, 0xD0) > 0, "the fixture must contain restart markers");

    MjpegSplitter splitter = splitter(concat(progressive, restarts, baseline), NO_LIMIT);

    assertImage(progressive, splitter.next(), 200, 150);
    assertImage(restarts, splitter.next(), 120, 90);
    assertImage(baseline, splitter.next(), 100, 80);
    assertThrows(EOFException.class, splitter::next);
    assertEquals(0, splitter.garbageBytesSkipped());
  }

  @Test
  void m1_stuffedBytesFillBytesAndRestartMarkersInScanDataAreNotMarkers() throws IOException {
    byte[] handMade = bytes(
        0xFF, 0xD8, // SOI
        0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x20, 0x01, 0x01, 0x11, 0x00, // SOF0 32x16
        0xFF, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, // fill byte, SOS
        0x12, 0x34, 0xFF, 0x00, 0xD9, 0x56, 0xFF, 0xD3, 0xFF, 0xFF, 0xD5, 0x78, // FF00, RST3, FF RST5
        0xFF, 0x00, 0xD8, 0xFF, 0x00, 0x9A, // FF 00 before D8: not an SOI
        0xFF, 0xFF, 0xD9); // fill byte, EOI
    byte[] real = jpeg(48, 32, 4);

    MjpegSplitter splitter = splitter(concat(handMade, real), NO_LIMIT);

    assertArrayEquals(handMade, splitter.next());
    assertEquals(32, splitter.lastWidth());
    assertEquals(16, splitter.lastHeight());
    assertImage(real, splitter.next(), 48, 32);
    assertThrows(EOFException.class, splitter::next);
  }

  @Test
  void m1_multipartStreamWithBoundariesAndHeadersYieldsEveryImage() throws IOException {
    byte[][] images = {jpeg(160, 120, 10), jpeg(160, 120, 11), jpeg(320, 180, 12), jpeg(16, 16, 13)};
    byte[] body = JpegFixtures.multipart("myboundary", images);

    MjpegSplitter splitter = splitter(body, NO_LIMIT);

    assertImage(images[0], splitter.next(), 160, 120);
    assertImage(images[1], splitter.next(), 160, 120);
    assertImage(images[2], splitter.next(), 320, 180);
    assertImage(images[3], splitter.next(), 16, 16);
    assertThrows(EOFException.class, splitter::next);
    assertEquals(body.length - totalLength(images), splitter.garbageBytesSkipped(),
        "boundaries, part headers and line ends are the garbage");
    assertEquals(0, splitter.malformedImages());
  }

  @Test
  void m2_garbageBetweenImagesIsSkippedAndCounted() throws IOException {
    Random random = new Random(42);
    byte[] a = jpeg(160, 120, 20);
    byte[] b = jpeg(80, 60, 21);
    byte[] c = jpeg(200, 100, 22);
    byte[] stream = concat(
        noFfNoise(1000, random),
        a,
        bytes(0xFF, 0xD8, 0x00, 0x01, 0xFF, 0xD8, 0x41), // FF D8 not followed by FF
        noFfNoise(333, random),
        bytes(0xFF, 0xD8, 0xFF, 0xD9), // an "image" with no frame and no scan: malformed
        noFfNoise(10, random),
        bytes(0xFF, 0xD8, 0xFF, 0x41, 0x00, 0x10), // a reserved marker: malformed
        noFfNoise(77, random),
        bytes(0xFF, 0xFF, 0xFF), // fill-like bytes right before the next image
        b,
        noFfNoise(5, random),
        bytes(0xFF),
        c,
        noFfNoise(2048, random));

    MjpegSplitter splitter = splitter(stream, NO_LIMIT);

    assertImage(a, splitter.next(), 160, 120);
    assertImage(b, splitter.next(), 80, 60);
    assertImage(c, splitter.next(), 200, 100);
    assertThrows(EOFException.class, splitter::next);
    assertEquals(stream.length - (a.length + b.length + c.length), splitter.garbageBytesSkipped());
    assertEquals(2, splitter.malformedImages());
    assertEquals(0, splitter.truncatedImages());
    assertEquals(3, splitter.imagesEmitted());
  }

  @Test
  void m3_imageTruncatedAtEndOfStreamIsNeverEmitted() throws IOException {
    byte[][] complete = {jpeg(64, 48, 30), jpeg(96, 64, 31), jpeg(128, 96, 32)};
    byte[] last = jpeg(160, 120, 33);
    int sos = indexOfMarker(last, 0xDA);
    int[] cuts = {2, 3, 20, sos, sos + 5, last.length / 2, last.length - 2, last.length - 1};
    for (int cut : cuts) {
      byte[] stream = concat(concat(complete), Arrays.copyOf(last, cut));
      MjpegSplitter splitter = splitter(stream, NO_LIMIT);

      for (byte[] image : complete) {
        assertArrayEquals(image, splitter.next(), "cut at " + cut);
      }
      EOFException end = assertThrows(EOFException.class, splitter::next, "cut at " + cut);
      assertThrows(EOFException.class, splitter::next, "cut at " + cut);
      long expectedTruncated = cut >= 3 ? 1 : 0; // FF D8 alone is not an image start
      assertEquals(expectedTruncated, splitter.truncatedImages(), "cut at " + cut + ": " + end.getMessage());
      assertEquals(3, splitter.imagesEmitted());
    }
  }

  @Test
  void m3_imageCutShortByTheNextImageIsDropped() throws IOException {
    byte[] cutShort = jpeg(160, 120, 40);
    byte[] next = jpeg(120, 160, 41);
    int sos = indexOfMarker(cutShort, 0xDA);
    int[] cuts = {sos + 20, (sos + cutShort.length) / 2, cutShort.length - 2};
    for (int cut : cuts) {
      byte[] stream = concat(Arrays.copyOf(cutShort, cut), next);
      MjpegSplitter splitter = splitter(stream, NO_LIMIT);

      assertImage(next, splitter.next(), 120, 160);
      assertThrows(EOFException.class, splitter::next);
      assertEquals(1, splitter.truncatedImages(), "cut at " + cut);
      assertEquals(1, splitter.imagesEmitted());
    }
  }

  @Test
  void m4_oversizeImageIsRejectedWithoutBufferingIt() throws IOException {
    int max = 48 * 1024;
    byte[] before = jpeg(160, 120, 50);
    byte[] huge = JpegFixtures.noiseJpeg(1000, 1000, 51);
    byte[] after = jpeg(200, 150, 52);
    assertTrue(before.length < max && after.length < max, "the normal images fit the limit");
    assertTrue(huge.length > 4 * (max + MjpegSplitter.READ_CHUNK_BYTES), "huge: " + huge.length);

    MjpegSplitter splitter = splitter(concat(before, huge, after), max);

    assertImage(before, splitter.next(), 160, 120);
    assertImage(after, splitter.next(), 200, 150);
    assertThrows(EOFException.class, splitter::next);
    assertEquals(1, splitter.oversizeImagesRejected());
    assertEquals(2, splitter.imagesEmitted());
    assertEquals(0, splitter.garbageBytesSkipped(), "an oversize image is not garbage");
    assertTrue(splitter.peakBufferBytes() <= max + MjpegSplitter.READ_CHUNK_BYTES,
        "buffer grew to " + splitter.peakBufferBytes() + " for a " + huge.length + "-byte image");
  }

  @Test
  void m4_oversizeImageIsRejectedEvenWhenItArrivesInOneRead() throws IOException {
    byte[] big = jpeg(160, 120, 60);
    byte[] small = jpeg(8, 8, 61);
    int max = small.length + 1;
    assertTrue(big.length > max);

    MjpegSplitter splitter = splitter(concat(big, small, big, small), max);

    assertImage(small, splitter.next(), 8, 8);
    assertImage(small, splitter.next(), 8, 8);
    assertThrows(EOFException.class, splitter::next);
    assertEquals(2, splitter.oversizeImagesRejected());
    assertEquals(MjpegSplitter.READ_CHUNK_BYTES, splitter.peakBufferBytes(), "the buffer never grew");
  }

  @Test
  void m4_oversizeImageCutShortByTheEndOrByAnotherImageIsSkipped() throws IOException {
    int max = 16 * 1024;
    byte[] small = jpeg(64, 48, 70);
    byte[] huge = JpegFixtures.noiseJpeg(400, 400, 71);
    byte[] halfHuge = Arrays.copyOf(huge, huge.length / 2);

    MjpegSplitter cutByNext = splitter(concat(halfHuge, small), max);
    assertImage(small, cutByNext.next(), 64, 48);
    assertThrows(EOFException.class, cutByNext::next);
    assertEquals(1, cutByNext.oversizeImagesRejected());
    assertEquals(0, cutByNext.truncatedImages(), "counted once, as oversize");

    MjpegSplitter cutByEnd = splitter(concat(small, halfHuge), max);
    assertImage(small, cutByEnd.next(), 64, 48);
    assertThrows(EOFException.class, cutByEnd::next);
    assertEquals(1, cutByEnd.oversizeImagesRejected());
    assertEquals(0, cutByEnd.truncatedImages());
    assertTrue(cutByEnd.peakBufferBytes() <= max + MjpegSplitter.READ_CHUNK_BYTES);
  }

  @Test
  void m5_exifThumbnailInsideApp1DoesNotEndTheImage() throws IOException {
    byte[] thumbnail = jpeg(40, 30, 80);
    byte[] withExif = JpegFixtures.withExifThumbnail(jpeg(320, 240, 81), thumbnail);
    byte[] next = jpeg(64, 64, 82);
    assertTrue(indexOf(withExif, thumbnail) > 0, "the thumbnail is embedded whole");

    MjpegSplitter splitter = splitter(concat(withExif, next), NO_LIMIT);

    assertImage(withExif, splitter.next(), 320, 240);
    assertEquals(320, splitter.lastWidth(), "the size of the image, not of its thumbnail");
    assertEquals(240, splitter.lastHeight());
    assertImage(next, splitter.next(), 64, 64);
    assertThrows(EOFException.class, splitter::next);
    assertEquals(0, splitter.garbageBytesSkipped());
    assertEquals(2, splitter.imagesEmitted());
  }

  @Test
  void m6_tinyChunksGiveIdenticalResults() throws IOException {
    Random random = new Random(7);
    byte[] stream = concat(
        JpegFixtures.multipart("cam", jpeg(160, 120, 90), jpeg(161, 121, 91)),
        noFfNoise(100, random),
        JpegFixtures.withExifThumbnail(jpeg(120, 80, 92), jpeg(24, 16, 93)),
        bytes(0xFF, 0xD8, 0x00, 0xFF, 0xD8, 0xFF, 0xD9, 0xFF),
        JpegFixtures.progressiveJpeg(90, 90, 94),
        JpegFixtures.noiseJpeg(300, 300, 95),
        JpegFixtures.jpegWithRestartMarkers(70, 50, 96),
        Arrays.copyOf(jpeg(100, 100, 97), 3000),
        jpeg(50, 40, 98),
        Arrays.copyOf(jpeg(100, 100, 99), 2000));
    int max = 32 * 1024;

    MjpegSplitter whole = splitter(stream, max);
    List<byte[]> expected = readAll(whole);
    assertEquals(6, expected.size());
    assertEquals(1, whole.oversizeImagesRejected());
    assertEquals(2, whole.truncatedImages());
    assertEquals(1, whole.malformedImages());

    for (long seed = 1; seed <= 3; seed++) {
      MjpegSplitter chunked = new MjpegSplitter(JpegFixtures.tinyChunks(stream, seed), max);
      List<byte[]> actual = readAll(chunked);
      assertEquals(expected.size(), actual.size(), "seed " + seed);
      for (int i = 0; i < expected.size(); i++) {
        assertArrayEquals(expected.get(i), actual.get(i), "image " + i + ", seed " + seed);
      }
      assertEquals(whole.garbageBytesSkipped(), chunked.garbageBytesSkipped());
      assertEquals(whole.oversizeImagesRejected(), chunked.oversizeImagesRejected());
      assertEquals(whole.truncatedImages(), chunked.truncatedImages());
      assertEquals(whole.malformedImages(), chunked.malformedImages());
    }
  }

  @Test
  void readFailureMidImageCanBeRetriedWithoutLosingTheImage() throws IOException {
    byte[] first = jpeg(160, 120, 100);
    byte[] second = jpeg(80, 60, 101);
    FailingOnceStream stream = new FailingOnceStream(concat(first, second), first.length + second.length / 2);
    MjpegSplitter splitter = new MjpegSplitter(stream, NO_LIMIT);

    assertArrayEquals(first, splitter.next());
    IOException hiccup = assertThrows(IOException.class, splitter::next);
    assertEquals("connection hiccup", hiccup.getMessage());
    assertImage(second, splitter.next(), 80, 60);
    assertThrows(EOFException.class, splitter::next);
  }

  @Test
  void nextBufferIsAReadOnlyViewOfTheImage() throws IOException {
    byte[] image = jpeg(32, 32, 110);
    MjpegSplitter splitter = splitter(concat(image, image), NO_LIMIT);

    ByteBuffer view = splitter.nextBuffer();
    assertTrue(view.isReadOnly());
    assertEquals(0, view.position());
    byte[] copy = new byte[view.remaining()];
    view.get(copy);
    assertArrayEquals(image, copy);
    assertArrayEquals(image, splitter.next());
  }

  @Test
  void invalidArgumentsAreRejected() {
    InputStream empty = new ByteArrayInputStream(new byte[0]);
    assertThrows(NullPointerException.class, () -> new MjpegSplitter(null, 1000));
    assertThrows(IllegalArgumentException.class, () -> new MjpegSplitter(empty, 0));
    assertThrows(IllegalArgumentException.class, () -> new MjpegSplitter(empty, -1));
    assertThrows(IllegalArgumentException.class,
        () -> new MjpegSplitter(empty, MjpegSplitter.MAX_IMAGE_BYTES_LIMIT + 1));
    MjpegSplitter largest = new MjpegSplitter(empty, MjpegSplitter.MAX_IMAGE_BYTES_LIMIT);
    assertEquals(MjpegSplitter.READ_CHUNK_BYTES, largest.peakBufferBytes(),
        "the buffer starts at one read chunk whatever the limit");
  }

  // ---------------------------------------------------------------------------------------------------

  /** Delivers bytes up to {@code failAt}, fails one read there, then delivers the rest. */
  private static final class FailingOnceStream extends InputStream {
    private final byte[] data;
    private final int failAt;
    private int pos;
    private boolean failed;

    FailingOnceStream(byte[] data, int failAt) {
      this.data = data;
      this.failAt = failAt;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (pos == failAt && !failed) {
        failed = true;
        throw new IOException("connection hiccup");
      }
      if (pos == data.length) {
        return -1;
      }
      int end = pos < failAt ? failAt : data.length;
      int n = Math.min(len, end - pos);
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
  }

  private static MjpegSplitter splitter(byte[] stream, int maxImageBytes) {
    return new MjpegSplitter(new ByteArrayInputStream(stream), maxImageBytes);
  }

  private static List<byte[]> readAll(MjpegSplitter splitter) throws IOException {
    List<byte[]> images = new ArrayList<>();
    for (int i = 0; i < MAX_READS; i++) {
      try {
        images.add(splitter.next());
      } catch (EOFException e) {
        return images;
      }
    }
    throw new AssertionError("no end of stream after " + MAX_READS + " images");
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  private static long totalLength(byte[]... arrays) {
    long total = 0;
    for (byte[] a : arrays) {
      total += a.length;
    }
    return total;
  }

  private static int countMarkers(byte[] jpeg, int marker) {
    int count = 0;
    for (int i = 0; i + 1 < jpeg.length; i++) {
      if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == marker) {
        count++;
      }
    }
    return count;
  }

  private static int indexOfMarker(byte[] jpeg, int marker) {
    for (int i = 0; i + 1 < jpeg.length; i++) {
      if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == marker) {
        return i;
      }
    }
    throw new AssertionError("no marker " + Integer.toHexString(marker));
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
