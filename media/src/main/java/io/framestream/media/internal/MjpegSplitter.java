package io.framestream.media.internal;

import io.framestream.media.MjpegSource;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Splits an MJPEG byte stream into whole JPEG images. <b>Internal: not part of the framestream API</b>;
 * it may change or disappear in any release. Use {@link io.framestream.media.MjpegSource} instead.
 *
 * <p>It accepts JPEG images written back to back (what {@code ffmpeg -f mjpeg pipe:1} produces) and
 * {@code multipart/x-mixed-replace} bodies as IP cameras serve them: everything outside a JPEG image
 * (boundary lines, part headers, padding, noise) is skipped as garbage. An image starts at {@code FF D8 FF}.
 * From there the JPEG structure is walked rather than searched for {@code FF D9}: marker segments are
 * skipped by their two-byte lengths (so an EXIF thumbnail inside APP1 cannot end the image early), and in
 * entropy-coded data after SOS, {@code FF 00} is a stuffed byte, {@code FF D0}..{@code FF D7} are restart
 * markers and {@code FF} fill bytes may precede any marker; any other marker continues the walk (progressive
 * images have several scans) until EOI ({@code FF D9}) ends the image. An image must contain a SOF and an
 * SOS segment; the width and height are taken from its SOF segment on the way.
 *
 * <p>The rules, which the tests are named after:
 *
 * <ol>
 *   <li>M1: every image comes out whole and byte-identical to what was written.
 *   <li>M2: bytes outside images are skipped and counted in {@link #garbageBytesSkipped()}; so are the bytes
 *       of an image abandoned as malformed ({@link #malformedImages()}), after which the search resumes
 *       where the structure broke.
 *   <li>M3: a truncated image is never emitted: one cut short by the end of the stream ends in an {@link
 *       EOFException}, one cut short by the start of another image is dropped; both are counted in {@link
 *       #truncatedImages()}.
 *   <li>M4: an image larger than {@code maxImageBytes} is rejected without buffering it: buffering stops
 *       once it passes the limit, the rest is skipped up to its end (or the start of another image), it is
 *       counted in {@link #oversizeImagesRejected()}, and the next image comes out normally. The internal
 *       buffer never exceeds {@code maxImageBytes + }{@link #READ_CHUNK_BYTES}.
 *   <li>M5: a JPEG embedded in a marker segment (an EXIF thumbnail) does not split the image around it.
 *   <li>M6: the result does not depend on how the stream is chunked: one byte per read or megabytes.
 * </ol>
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: call {@link #next()} from one thread at a time. The counters may be read from any
 * thread.
 *
 * @since 0.1.0
 */
public final class MjpegSplitter {

  /** How much is read from the stream at a time, and the initial buffer size: 64 KiB. */
  public static final int READ_CHUNK_BYTES = 64 * 1024;

  /** The largest {@code maxImageBytes} accepted: 1 GiB. */
  public static final int MAX_IMAGE_BYTES_LIMIT = 1 << 30;

  private static final System.Logger LOG = System.getLogger(MjpegSplitter.class.getName());

  /** Refill when less than this is free at the end of the buffer, to avoid tiny reads. */
  private static final int MIN_READ_BYTES = 8 * 1024;

  // Outcomes of walking one image.
  private static final int COMPLETE = 0;
  private static final int NEW_START = 1;
  private static final int MALFORMED = 2;
  private static final int END = 3;
  private static final int MARKER = 4;

  private static final int SOI = 0xD8;
  private static final int EOI = 0xD9;
  private static final int SOS = 0xDA;

  private final InputStream in;
  private final int maxImageBytes;
  private final int maxCapacity;

  private byte[] buf = new byte[READ_CHUNK_BYTES];
  /** The parse position. */
  private int p;
  /** The end of the valid bytes in {@link #buf}. */
  private int limit;
  /** The start of the image being kept, or -1 while searching or skipping an oversize image. */
  private int start = -1;
  /** Whether the image being walked is oversize and its bytes are discarded as they are passed. */
  private boolean skipping;
  private boolean eof;
  private boolean sawSof;
  private boolean sawSos;
  private int width;
  private int height;
  private int lastWidth;
  private int lastHeight;
  private boolean warnedOversize;

  private volatile long imagesEmitted;
  private volatile long garbageBytes;
  private volatile long oversizeImages;
  private volatile long truncatedImages;
  private volatile long malformedImages;
  private volatile int peakBufferBytes = READ_CHUNK_BYTES;

  /**
   * Creates a splitter. It does not close the stream; its owner does.
   *
   * @param in the MJPEG stream
   * @param maxImageBytes the largest image accepted, 1 to {@link #MAX_IMAGE_BYTES_LIMIT}
   * @throws NullPointerException if {@code in} is {@code null}
   * @throws IllegalArgumentException if {@code maxImageBytes} is out of range
   */
  public MjpegSplitter(InputStream in, int maxImageBytes) {
    this.in = Objects.requireNonNull(in, "in");
    if (maxImageBytes < 1 || maxImageBytes > MAX_IMAGE_BYTES_LIMIT) {
      throw new IllegalArgumentException(
          "maxImageBytes must be 1.." + MAX_IMAGE_BYTES_LIMIT + ", got " + maxImageBytes);
    }
    this.maxImageBytes = maxImageBytes;
    this.maxCapacity = maxImageBytes + READ_CHUNK_BYTES;
  }

  /**
   * Returns the next whole image as a new array.
   *
   * @return the image bytes, from {@code FF D8} to {@code FF D9} inclusive
   * @throws EOFException at the end of the stream, also when it ends inside an image (which is dropped)
   * @throws IOException if reading fails; the call may be repeated, and an image read in part is then
   *     parsed again from its start
   */
  public byte[] next() throws IOException {
    ByteBuffer image = nextBuffer();
    byte[] copy = new byte[image.remaining()];
    image.get(copy);
    return copy;
  }

  /**
   * Returns the next whole image as a read-only view of the internal buffer, positioned at 0, valid only
   * until the next call to this splitter. Saves a copy when the caller copies anyway.
   *
   * @return a view of the image bytes
   * @throws EOFException at the end of the stream, also when it ends inside an image (which is dropped)
   * @throws IOException if reading fails; see {@link #next()}
   */
  public ByteBuffer nextBuffer() throws IOException {
    if (start >= 0) {
      p = start; // an exception interrupted the walk; every byte since the image start is still here
    }
    start = -1;
    skipping = false;
    while (true) {
      if (!findStart()) {
        throw new EOFException("end of MJPEG stream");
      }
      start = p;
      p += 2;
      sawSof = false;
      sawSos = false;
      width = 0;
      height = 0;
      int outcome = walk();
      if (outcome == COMPLETE && !(sawSof && sawSos)) {
        outcome = MALFORMED;
      }
      boolean wasSkipping = skipping;
      int imageStart = start;
      start = -1;
      skipping = false;
      switch (outcome) {
        case COMPLETE:
          if (wasSkipping) {
            continue; // counted when it passed the limit
          }
          int length = p - imageStart;
          if (length > maxImageBytes) {
            rejectOversize(length + " bytes");
            continue;
          }
          imagesEmitted++;
          lastWidth = width;
          lastHeight = height;
          return ByteBuffer.wrap(buf, imageStart, length).slice().asReadOnlyBuffer();
        case NEW_START:
          if (!wasSkipping) {
            truncatedImages++;
            LOG.log(System.Logger.Level.DEBUG, "dropped an image cut short by the next one after {0} bytes",
                Integer.toString(p - imageStart));
          }
          continue;
        case MALFORMED:
          if (!wasSkipping) {
            malformedImages++;
            garbageBytes += p - imageStart;
            LOG.log(System.Logger.Level.DEBUG, "dropped a malformed image: bad structure at byte {0}",
                Integer.toString(p - imageStart));
          }
          continue;
        default: // END
          if (!wasSkipping) {
            truncatedImages++;
            throw new EOFException(
                "end of MJPEG stream inside an image; dropped its " + (p - imageStart) + " bytes");
          }
          throw new EOFException("end of MJPEG stream inside an oversize image");
      }
    }
  }

  /** Finds the next {@code FF D8 FF}; leaves {@code p} on it, or returns false at the end of the stream. */
  private boolean findStart() throws IOException {
    while (true) {
      if (limit - p < 3 && !fill(3)) {
        garbageBytes += limit - p;
        p = limit;
        return false;
      }
      byte[] b = buf;
      int end = limit - 2;
      int i = p;
      while (i < end && !(b[i] == (byte) 0xFF && b[i + 1] == (byte) SOI && b[i + 2] == (byte) 0xFF)) {
        i++;
      }
      garbageBytes += i - p;
      p = i;
      if (i < end) {
        return true;
      }
    }
  }

  /** Walks the marker segments of an image; {@code p} is just past its SOI. */
  private int walk() throws IOException {
    while (true) {
      if (!ensure(1)) {
        return END;
      }
      if (u(p) != 0xFF) {
        return MALFORMED; // a marker segment must follow
      }
      while (true) { // FF fill bytes may precede a marker
        if (!ensure(2)) {
          return END;
        }
        if (u(p + 1) != 0xFF) {
          break;
        }
        p++;
      }
      int marker = u(p + 1);
      if (marker == SOI) {
        return NEW_START; // p is on the FF D8 of another image
      }
      p += 2;
      if (marker == EOI) {
        return COMPLETE;
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        continue; // TEM and RSTn stand alone
      }
      if (marker < 0xC0) {
        return MALFORMED; // FF 00 outside scan data, or a reserved marker
      }
      if (!ensure(2)) {
        return END;
      }
      int length = u16(p);
      if (length < 2) {
        return MALFORMED;
      }
      if (isStartOfFrame(marker) && !sawSof) {
        sawSof = true;
        // length(2) precision(1) height(2) width(2) ...
        if (length >= 7) {
          if (!ensure(7)) {
            return END;
          }
          height = u16(p + 3);
          width = u16(p + 5);
        }
      }
      if (!skip(length)) {
        return END;
      }
      if (marker == SOS) {
        if (!sawSof) {
          return MALFORMED;
        }
        sawSos = true;
        int scanned = scanEntropyCodedData();
        if (scanned != MARKER) {
          return scanned;
        }
      }
    }
  }

  /** Passes entropy-coded data; leaves {@code p} on the FF of the marker that ends it. */
  private int scanEntropyCodedData() throws IOException {
    while (true) {
      byte[] b = buf;
      int end = limit;
      int i = p;
      while (i < end && b[i] != (byte) 0xFF) {
        i++;
      }
      p = i;
      if (i == end) {
        if (!fill(1)) {
          return END;
        }
        continue; // no FF yet: scan what was read
      }
      if (!ensure(2)) {
        return END;
      }
      int next = u(p + 1);
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        p += 2; // stuffed zero byte or restart marker
      } else if (next == 0xFF) {
        p++; // fill byte
      } else {
        return MARKER;
      }
    }
  }

  private boolean skip(int count) throws IOException {
    int remaining = count;
    while (remaining > 0) {
      if (p == limit && !fill(1)) {
        return false;
      }
      int step = Math.min(remaining, limit - p);
      p += step;
      remaining -= step;
    }
    return true;
  }

  private boolean ensure(int n) throws IOException {
    return limit - p >= n || fill(n);
  }

  /**
   * Reads until {@code n} bytes are available at {@code p}; returns false if the stream ends first. Keeps
   * the bytes of the image being kept, discards all else, and starts skipping an image once it is larger
   * than the limit, so the buffer stays within {@link #maxCapacity}.
   */
  private boolean fill(int n) throws IOException {
    while (limit - p < n) {
      if (eof) {
        return false;
      }
      if (start >= 0 && p - start > maxImageBytes) {
        rejectOversize("more than " + maxImageBytes + " bytes");
        start = -1;
        skipping = true;
      }
      int keepFrom = start >= 0 ? start : p;
      if (buf.length - limit < MIN_READ_BYTES) {
        int kept = limit - keepFrom;
        if (keepFrom > 0 && kept <= buf.length / 2) {
          System.arraycopy(buf, keepFrom, buf, 0, kept); // moving frees at least half the buffer
        } else if (buf.length < maxCapacity) {
          int capacity = (int) Math.min(maxCapacity,
              Math.max(2L * buf.length, (long) kept + READ_CHUNK_BYTES));
          byte[] bigger = new byte[capacity];
          System.arraycopy(buf, keepFrom, bigger, 0, kept);
          buf = bigger;
          peakBufferBytes = capacity;
        } else if (keepFrom > 0) {
          System.arraycopy(buf, keepFrom, buf, 0, kept);
        }
        if (start >= 0) {
          start -= keepFrom;
        }
        p -= keepFrom;
        limit -= keepFrom;
      }
      if (limit == buf.length) {
        throw new IllegalStateException("no room in a buffer of " + buf.length + " bytes"); // unreachable
      }
      int read = in.read(buf, limit, Math.min(READ_CHUNK_BYTES, buf.length - limit));
      if (read == 0) {
        int single = in.read(); // a stream that returns 0 breaks its contract; read() must block
        read = single < 0 ? -1 : 1;
        if (single >= 0) {
          buf[limit] = (byte) single;
        }
      }
      if (read < 0) {
        eof = true;
        return false;
      }
      limit += read;
    }
    return true;
  }

  private void rejectOversize(String size) {
    oversizeImages++;
    System.Logger.Level level = warnedOversize ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING;
    warnedOversize = true;
    LOG.log(level, "rejected an MJPEG image of {0} (limit {1} bytes); further ones are logged at DEBUG",
        size, Integer.toString(maxImageBytes));
  }

  private static boolean isStartOfFrame(int marker) {
    return (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
        || marker == 0xF7; // SOF0..SOF15 without DHT, JPG, DAC; SOF55 (JPEG-LS)
  }

  private int u(int i) {
    return buf[i] & 0xFF;
  }

  private int u16(int i) {
    return (u(i) << 8) | u(i + 1);
  }

  /**
   * Returns the width from the SOF segment of the image returned last.
   *
   * @return the width in pixels, or 0 if unknown
   */
  public int lastWidth() {
    return lastWidth;
  }

  /**
   * Returns the height from the SOF segment of the image returned last.
   *
   * @return the height in pixels, or 0 if unknown (or defined later by a DNL segment)
   */
  public int lastHeight() {
    return lastHeight;
  }

  /**
   * Returns the largest image accepted.
   *
   * @return the limit in bytes
   */
  public int maxImageBytes() {
    return maxImageBytes;
  }

  /**
   * Returns how many images have been returned.
   *
   * @return the count
   */
  public long imagesEmitted() {
    return imagesEmitted;
  }

  /**
   * Returns how many bytes were skipped outside images, including those of images dropped as malformed
   * (rule M2).
   *
   * @return the count
   */
  public long garbageBytesSkipped() {
    return garbageBytes;
  }

  /**
   * Returns how many images were rejected for being larger than {@code maxImageBytes} (rule M4).
   *
   * @return the count
   */
  public long oversizeImagesRejected() {
    return oversizeImages;
  }

  /**
   * Returns how many images were dropped because the stream or the next image cut them short (rule M3).
   *
   * @return the count
   */
  public long truncatedImages() {
    return truncatedImages;
  }

  /**
   * Returns how many images were dropped because their marker structure was broken (rule M2).
   *
   * @return the count
   */
  public long malformedImages() {
    return malformedImages;
  }

  /**
   * Returns the largest size the internal buffer has had; at most {@code maxImageBytes +} {@link
   * #READ_CHUNK_BYTES} (rule M4).
   *
   * @return the size in bytes
   */
  public int peakBufferBytes() {
    return peakBufferBytes;
  }

  @Override
  public String toString() {
    return "MjpegSplitter[images=" + imagesEmitted + ", garbageBytes=" + garbageBytes + ", oversize="
        + oversizeImages + ", truncated=" + truncatedImages + ", malformed=" + malformedImages + "]";
  }
}
