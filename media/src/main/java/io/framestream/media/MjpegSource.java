package io.framestream.media;

import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSource;
import io.framestream.core.SourceRunner;
import io.framestream.media.internal.MjpegSplitter;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A {@link FrameSource} that reads JPEG images from an MJPEG byte stream: JPEGs written back to back (as
 * {@code ffmpeg ... -f mjpeg pipe:1} writes them) or a {@code multipart/x-mixed-replace} body as IP cameras
 * serve it. Each image becomes a {@link FrameKind#KEY} frame of type {@code image/jpeg}, with its width and
 * height read from the JPEG header (the image is not decoded).
 *
 * <pre>{@code
 * MjpegSource camera = MjpegSource.fromProcess(List.of(
 *     "ffmpeg", "-nostdin", "-i", "rtsp://camera/stream", "-f", "mjpeg", "-q:v", "5", "pipe:1"));
 * try (SourceRunner runner = SourceRunner.builder(camera, channel).build()) {
 *   runner.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>{@link #open()} obtains a new stream each time (from the supplier, or by starting the process), so a
 * restart by the {@link SourceRunner} reconnects. Bytes outside images are skipped, a truncated image is
 * never returned, and an image larger than {@link Builder#maxImageBytes(int) maxImageBytes} is skipped
 * without being buffered; the counters say how often that happened, summed over every stream opened.
 *
 * <h2>Thread safety</h2>
 *
 * Driven by one thread at a time, as {@link FrameSource} says, except that {@link #close()} may be called
 * from any thread, also concurrently with a blocked {@link #nextFrame()}, which it unblocks by closing the
 * stream (or ending the process). The counters may be read from any thread.
 *
 * @since 0.1.0
 */
public final class MjpegSource implements FrameSource {

  /** The default largest image accepted: 8 MiB. */
  public static final int DEFAULT_MAX_IMAGE_BYTES = 8 * 1024 * 1024;

  private static final System.Logger LOG = System.getLogger(MjpegSource.class.getName());
  private static final byte[] NO_BYTES = new byte[0];

  private final SourceStreams.Opener opener;
  private final String description;
  private final int maxImageBytes;

  private final AtomicReference<SourceStreams.Connection> connection = new AtomicReference<>();
  private volatile boolean closed;

  private final Object countersLock = new Object();
  /** The splitter of the current stream; replaced under {@link #countersLock}. */
  private volatile MjpegSplitter splitter;
  private long retiredImages;
  private long retiredGarbage;
  private long retiredOversize;
  private long retiredTruncated;
  private long retiredMalformed;

  private MjpegSource(Builder b) {
    this.opener = b.opener;
    this.description = b.description;
    this.maxImageBytes = b.maxImageBytes;
  }

  /**
   * Creates a source that reads from a new stream from {@code streams} on each {@link #open()}, with the
   * default size limit.
   *
   * @param streams supplies a fresh stream for each open, for example by connecting to a camera; it may
   *     throw an unchecked exception (such as {@link java.io.UncheckedIOException}) to fail the open
   * @return the source
   * @throws NullPointerException if {@code streams} is {@code null}
   */
  public static MjpegSource fromStream(Supplier<? extends InputStream> streams) {
    return builder(streams).build();
  }

  /**
   * Creates a source that starts {@code command} on each {@link #open()} and reads its standard output,
   * with the default size limit. See {@link #builderForProcess(List)}.
   *
   * @param command the program and its arguments
   * @return the source
   * @throws NullPointerException if {@code command} or an element is {@code null}
   * @throws IllegalArgumentException if {@code command} is empty
   */
  public static MjpegSource fromProcess(List<String> command) {
    return builderForProcess(command).build();
  }

  /**
   * Starts a builder for a source that reads from a new stream from {@code streams} on each {@link
   * #open()}. {@link #close()} closes the stream.
   *
   * @param streams supplies a fresh stream for each open; it must not return {@code null}
   * @return a new builder
   * @throws NullPointerException if {@code streams} is {@code null}
   */
  public static Builder builder(Supplier<? extends InputStream> streams) {
    return new Builder(SourceStreams.fromSupplier(streams), "stream");
  }

  /**
   * Starts a builder for a source that starts {@code command} on each {@link #open()} and reads its
   * standard output. Its standard error is discarded and its standard input is closed at once (for ffmpeg,
   * pass {@code -nostdin}). {@link #close()} ends the process and its descendants, forcibly if they have
   * not exited within two seconds. When its output ends and it exited with a non-zero status, {@link
   * #nextFrame()} fails with an {@link IOException} (so a runner restarts it after a backoff) rather than
   * ending the stream. Log lines and messages show the command with the user information of URLs ({@code
   * rtsp://user:password@camera}) hidden.
   *
   * @param command the program and its arguments
   * @return a new builder
   * @throws NullPointerException if {@code command} or an element is {@code null}
   * @throws IllegalArgumentException if {@code command} is empty
   */
  public static Builder builderForProcess(List<String> command) {
    List<String> cmd = SourceStreams.command(command);
    String shown = redactCredentials(cmd.toString());
    return new Builder(SourceStreams.fromProcess(cmd, shown), "process " + shown);
  }

  /** Hides the user information of URLs ({@code rtsp://user:password@host}) in text meant for logs. */
  static String redactCredentials(String text) {
    return SourceStreams.redactCredentials(text);
  }

  /**
   * Obtains a new stream: calls the supplier or starts the process.
   *
   * @throws IOException if the process cannot be started
   * @throws IllegalStateException if the source is already open
   * @throws NullPointerException if the supplier returns {@code null}
   */
  @Override
  public void open() throws IOException {
    if (connection.get() != null) {
      throw new IllegalStateException("MJPEG source is already open; close() it first");
    }
    SourceStreams.Connection c = opener.open();
    MjpegSplitter s = new MjpegSplitter(c.in, maxImageBytes);
    synchronized (countersLock) {
      MjpegSplitter old = splitter;
      if (old != null) {
        retiredImages += old.imagesEmitted();
        retiredGarbage += old.garbageBytesSkipped();
        retiredOversize += old.oversizeImagesRejected();
        retiredTruncated += old.truncatedImages();
        retiredMalformed += old.malformedImages();
      }
      splitter = s;
    }
    closed = false;
    connection.set(c);
    LOG.log(System.Logger.Level.DEBUG, "opened MJPEG {0}", description);
  }

  /**
   * Reads the next image: a {@link FrameKind#KEY} frame of type {@code image/jpeg}, with dimensions when
   * the image has a SOF segment that states them, captured now.
   *
   * @return the frame
   * @throws EOFException when the stream has ended
   * @throws IOException if reading failed, a process exited with a non-zero status, or the source was
   *     closed (possibly from another thread while this call was blocked)
   * @throws IllegalStateException if {@link #open()} has not been called
   */
  @Override
  public Frame nextFrame() throws IOException {
    MjpegSplitter s = splitter;
    if (s == null) {
      throw new IllegalStateException("MJPEG source is not open; call open() first");
    }
    if (closed) {
      throw new IOException("MJPEG " + description + " is closed");
    }
    ByteBuffer image;
    try {
      image = s.nextBuffer();
    } catch (EOFException e) {
      if (closed) {
        throw new IOException("MJPEG " + description + " was closed while reading", e);
      }
      SourceStreams.Connection c = connection.get();
      if (c != null) {
        c.checkExitStatus("MJPEG " + description, e);
      }
      throw e;
    } catch (IOException e) {
      if (closed) {
        throw new IOException("MJPEG " + description + " was closed while reading", e);
      }
      throw e;
    }
    Frame.Builder frame = Frame.builder(NO_BYTES).payload(image).contentType(ContentTypes.JPEG)
        .kind(FrameKind.KEY);
    int width = s.lastWidth();
    int height = s.lastHeight();
    if (width > 0 && height > 0) {
      frame.dimensions(width, height);
    }
    return frame.build();
  }

  /**
   * Closes the stream, or ends the process, that {@link #open()} obtained. Idempotent; never throws; safe
   * to call from another thread to unblock a blocked {@link #nextFrame()}.
   */
  @Override
  public void close() {
    closed = true;
    SourceStreams.Connection c = connection.getAndSet(null);
    if (c != null) {
      c.release(description);
    }
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
   * Returns how many images have been read, over every stream opened.
   *
   * @return the count
   */
  public long imagesRead() {
    synchronized (countersLock) {
      MjpegSplitter s = splitter;
      return retiredImages + (s == null ? 0 : s.imagesEmitted());
    }
  }

  /**
   * Returns how many bytes outside images (multipart headers, noise, malformed images) were skipped, over
   * every stream opened.
   *
   * @return the count
   */
  public long garbageBytesSkipped() {
    synchronized (countersLock) {
      MjpegSplitter s = splitter;
      return retiredGarbage + (s == null ? 0 : s.garbageBytesSkipped());
    }
  }

  /**
   * Returns how many images were skipped for being larger than {@link #maxImageBytes()}, over every stream
   * opened.
   *
   * @return the count
   */
  public long oversizeImagesRejected() {
    synchronized (countersLock) {
      MjpegSplitter s = splitter;
      return retiredOversize + (s == null ? 0 : s.oversizeImagesRejected());
    }
  }

  /**
   * Returns how many images were dropped because the stream, or the start of another image, cut them
   * short, over every stream opened.
   *
   * @return the count
   */
  public long truncatedImages() {
    synchronized (countersLock) {
      MjpegSplitter s = splitter;
      return retiredTruncated + (s == null ? 0 : s.truncatedImages());
    }
  }

  /**
   * Returns how many images were dropped because their JPEG structure was broken, over every stream opened.
   *
   * @return the count
   */
  public long malformedImages() {
    synchronized (countersLock) {
      MjpegSplitter s = splitter;
      return retiredMalformed + (s == null ? 0 : s.malformedImages());
    }
  }

  /** Names where the images come from and the size limit. */
  @Override
  public String toString() {
    return "MjpegSource[" + description + ", maxImageBytes=" + maxImageBytes + "]";
  }

  /**
   * Builds an {@link MjpegSource}. Obtain one from {@link MjpegSource#builder(Supplier)} or {@link
   * MjpegSource#builderForProcess(List)}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private final SourceStreams.Opener opener;
    private final String description;
    private int maxImageBytes = DEFAULT_MAX_IMAGE_BYTES;

    private Builder(SourceStreams.Opener opener, String description) {
      this.opener = opener;
      this.description = description;
    }

    /**
     * Sets the largest image accepted; a larger one is skipped without being buffered and counted in
     * {@link MjpegSource#oversizeImagesRejected()}. The default is {@link
     * MjpegSource#DEFAULT_MAX_IMAGE_BYTES}.
     *
     * @param bytes 1 to 1 GiB
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxImageBytes(int bytes) {
      if (bytes < 1 || bytes > MjpegSplitter.MAX_IMAGE_BYTES_LIMIT) {
        throw new IllegalArgumentException(
            "maxImageBytes must be 1.." + MjpegSplitter.MAX_IMAGE_BYTES_LIMIT + ", got " + bytes);
      }
      this.maxImageBytes = bytes;
      return this;
    }

    /**
     * Builds the source; the runner (or the caller) opens it.
     *
     * @return the source, not yet open
     */
    public MjpegSource build() {
      return new MjpegSource(this);
    }
  }
}
