package io.framestream.media;

import io.framestream.core.ChannelRegistry;
import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSource;
import io.framestream.core.SourceRunner;
import io.framestream.core.wire.Fmp4Parser;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A {@link FrameSource} that reads a fragmented MP4 byte stream, as {@code ffmpeg ... -f mp4 -movflags
 * frag_keyframe+empty_moov+default_base_moof pipe:1} writes it, or such a file. The init segment ({@code
 * ftyp} + {@code moov}) becomes an {@link FrameKind#INIT} frame, and each fragment ({@code moof} + {@code
 * mdat}, with any {@code styp}, {@code sidx}, {@code prft} or {@code emsg} boxes before it) one frame: {@link
 * FrameKind#KEY} when its first video sample is a sync sample (read from the sample flags), else {@link
 * FrameKind#DELTA}. Every frame has type {@code video/mp4}, the RFC 6381 codec string of the video track
 * (such as {@code avc1.42C01E}; H.264, HEVC, VP9 and AV1 are understood; audio tracks are appended, as in
 * {@code avc1.42C01E,mp4a.40.2}) and its width and height.
 *
 * <pre>{@code
 * // A camera through ffmpeg, 1 s fragments (one per key frame):
 * Fmp4Source camera = Fmp4Source.fromProcess(List.of("ffmpeg", "-nostdin", "-i", "rtsp://cam/stream",
 *     "-c:v", "libx264", "-profile:v", "baseline", "-g", "30", "-an", "-f", "mp4",
 *     "-movflags", "frag_keyframe+empty_moov+default_base_moof", "pipe:1"));
 * registry.attachSource("cam1", camera, 0);   // fps 0: the stream sets the pace
 *
 * // A file, at real-time pace, looping:
 * registry.attachSource("clip", Fmp4Source.fromFile(Path.of("clip.mp4"), true), 0);
 * }</pre>
 *
 * <p>Run it with {@code fps(0)} (or {@link ChannelRegistry#attachSource attachSource(name, source, 0)}): a
 * process or live stream sets its own pace; with {@link Builder#realTime(boolean) realTime(true)} (the
 * default for files) {@link #nextFrame()} itself waits so that each fragment comes out when the previous
 * one has played, from the fragment durations in the stream ({@code trun}/{@code tfhd}/{@code trex}
 * sample durations in the track's {@code mdhd} timescale; a fragment without a duration takes the previous
 * fragment's). A source that falls more than a second behind that schedule starts a new one rather than
 * catching up in a burst. With {@link Builder#loop(boolean) loop(true)} the stream is reopened at its end
 * and starts again with a fresh {@code INIT} frame (so a viewer's decoder is reset), without a pause.
 *
 * <p>{@link #open()} obtains a new stream each time, so a restart by the {@link SourceRunner} begins with
 * the init segment again. Malformed input, or a box over a limit ({@link Builder#maxInitBytes(int)}, {@link
 * Builder#maxFragmentBytes(int)}), fails {@link #nextFrame()} with a {@link FrameCodecException} that says
 * what and where, before anything of the declared size is allocated; a stream cut inside a box ends with an
 * {@link EOFException} that says so.
 *
 * <h2>Thread safety</h2>
 *
 * Driven by one thread at a time, as {@link FrameSource} says, except that {@link #close()} may be called
 * from any thread, also concurrently with a blocked or waiting {@link #nextFrame()}, which it unblocks. The
 * counters may be read from any thread.
 *
 * @since 0.1.0
 */
public final class Fmp4Source implements FrameSource {

  /** The default largest fragment: 16 MiB. */
  public static final int DEFAULT_MAX_FRAGMENT_BYTES = Fmp4Parser.DEFAULT_MAX_FRAGMENT_BYTES;
  /** The default largest init segment ({@code ftyp} + {@code moov}): 1 MiB. */
  public static final int DEFAULT_MAX_INIT_BYTES = Fmp4Parser.DEFAULT_MAX_INIT_BYTES;

  private static final System.Logger LOG = System.getLogger(Fmp4Source.class.getName());
  private static final byte[] NO_BYTES = new byte[0];
  /** How far behind its schedule a real-time source may fall before it starts a new one. */
  private static final long MAX_LAG_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final SourceStreams.Opener opener;
  private final String description;
  private final int maxInitBytes;
  private final int maxFragmentBytes;
  private final boolean realTime;
  private final boolean loop;

  private final AtomicReference<SourceStreams.Connection> connection = new AtomicReference<>();
  private volatile CountDownLatch closeSignal = new CountDownLatch(0);
  private volatile boolean closed;
  private Fmp4Parser parser;
  private boolean producedSinceOpen;
  private long dueNanos;
  private boolean scheduled;
  private long lastDurationNanos;

  private final Object countersLock = new Object();
  private long initSegments;
  private long keyFragments;
  private long deltaFragments;
  private long loops;

  private Fmp4Source(Builder b) {
    this.opener = b.opener;
    this.description = b.description;
    this.maxInitBytes = b.maxInitBytes;
    this.maxFragmentBytes = b.maxFragmentBytes;
    this.realTime = b.realTime;
    this.loop = b.loop;
  }

  /**
   * Creates a source that reads a new stream from {@code streams} on each {@link #open()}, as fast as it
   * comes, without looping.
   *
   * @param streams supplies a fresh stream for each open; it may throw an unchecked exception (such as
   *     {@link UncheckedIOException}) to fail the open
   * @return the source
   * @throws NullPointerException if {@code streams} is {@code null}
   */
  public static Fmp4Source fromStream(Supplier<? extends InputStream> streams) {
    return builder(streams).build();
  }

  /**
   * Creates a source that plays a fragmented MP4 file at real-time pace.
   *
   * @param file the file; read on each {@link #open()}, so it may be replaced between runs
   * @param loop whether to start again at the end of the file
   * @return the source
   * @throws NullPointerException if {@code file} is {@code null}
   */
  public static Fmp4Source fromFile(Path file, boolean loop) {
    return builderForFile(file).loop(loop).build();
  }

  /**
   * Creates a source that starts {@code command} on each {@link #open()} and reads its standard output as
   * fast as it comes. See {@link #builderForProcess(List)}.
   *
   * @param command the program and its arguments
   * @return the source
   * @throws NullPointerException if {@code command} or an element is {@code null}
   * @throws IllegalArgumentException if {@code command} is empty
   */
  public static Fmp4Source fromProcess(List<String> command) {
    return builderForProcess(command).build();
  }

  /**
   * Starts a builder for a source that reads a new stream from {@code streams} on each {@link #open()}
   * (and at each loop). {@link #close()} closes the stream. Defaults: no real-time pacing, no looping.
   *
   * @param streams supplies a fresh stream for each open; it must not return {@code null}
   * @return a new builder
   * @throws NullPointerException if {@code streams} is {@code null}
   */
  public static Builder builder(Supplier<? extends InputStream> streams) {
    return new Builder(SourceStreams.fromSupplier(streams), "stream", false);
  }

  /**
   * Starts a builder for a source that reads {@code file}. Defaults: real-time pacing, no looping.
   *
   * @param file the file
   * @return a new builder
   * @throws NullPointerException if {@code file} is {@code null}
   */
  public static Builder builderForFile(Path file) {
    Objects.requireNonNull(file, "file");
    return new Builder(
        () -> new SourceStreams.Connection(Files.newInputStream(file), null), "file " + file, true);
  }

  /**
   * Starts a builder for a source that starts {@code command} on each {@link #open()} and reads its
   * standard output. Its standard error is discarded and its standard input is closed at once (for ffmpeg,
   * pass {@code -nostdin}). {@link #close()} ends the process and its descendants, forcibly if they have
   * not exited within two seconds. When its output ends and it exited with a non-zero status, {@link
   * #nextFrame()} fails with an {@link IOException} (so a runner restarts it after a backoff) rather than
   * ending the stream. Log lines and messages show the command with the user information of URLs hidden.
   * Defaults: no real-time pacing (the process sets the pace; for a file input give ffmpeg {@code -re}), no
   * looping.
   *
   * @param command the program and its arguments
   * @return a new builder
   * @throws NullPointerException if {@code command} or an element is {@code null}
   * @throws IllegalArgumentException if {@code command} is empty
   */
  public static Builder builderForProcess(List<String> command) {
    List<String> cmd = SourceStreams.command(command);
    String shown = SourceStreams.redactCredentials(cmd.toString());
    return new Builder(SourceStreams.fromProcess(cmd, shown), "process " + shown, false);
  }

  /**
   * Obtains a new stream: calls the supplier, opens the file or starts the process.
   *
   * @throws IOException if the file cannot be opened or the process cannot be started
   * @throws IllegalStateException if the source is already open
   * @throws NullPointerException if the supplier returns {@code null}
   */
  @Override
  public void open() throws IOException {
    if (connection.get() != null) {
      throw new IllegalStateException("fMP4 source is already open; close() it first");
    }
    closeSignal = new CountDownLatch(1);
    closed = false;
    connect();
    scheduled = false;
    LOG.log(System.Logger.Level.DEBUG, "opened fMP4 {0}", description);
  }

  private void connect() throws IOException {
    SourceStreams.Connection c = opener.open();
    parser = new Fmp4Parser(c.in, maxInitBytes, maxFragmentBytes);
    producedSinceOpen = false;
    connection.set(c);
    if (closed) { // close() ran meanwhile and could not see this connection
      release();
    }
  }

  /**
   * Reads the next init segment or fragment, after waiting for its turn when pacing in real time.
   *
   * @return an {@link FrameKind#INIT}, {@link FrameKind#KEY} or {@link FrameKind#DELTA} frame of type {@code
   *     video/mp4}, captured now
   * @throws EOFException when the stream has ended (and does not loop, or ended before its first fragment)
   * @throws FrameCodecException if the stream is not a fragmented MP4 that this source understands, or a box
   *     is over a limit
   * @throws IOException if reading failed, a process exited with a non-zero status, or the source was
   *     closed (possibly from another thread while this call was blocked)
   * @throws IllegalStateException if {@link #open()} has not been called
   */
  @Override
  public Frame nextFrame() throws IOException {
    if (parser == null) {
      throw new IllegalStateException("fMP4 source is not open; call open() first");
    }
    Fmp4Parser.Segment segment = readSegment();
    if (segment.kind() != FrameKind.INIT && realTime) {
      awaitTurn(segment.durationNanos());
    }
    Fmp4Parser.Track track = segment.track();
    Frame.Builder frame = Frame.builder(NO_BYTES).payload(ByteBuffer.wrap(segment.bytes()))
        .contentType(ContentTypes.MP4).kind(segment.kind()).codec(track.codec());
    if (track.width() > 0 && track.height() > 0 && track.width() <= Frame.MAX_DIMENSION
        && track.height() <= Frame.MAX_DIMENSION) {
      frame.dimensions(track.width(), track.height());
    }
    count(segment.kind());
    return frame.build();
  }

  private Fmp4Parser.Segment readSegment() throws IOException {
    while (true) {
      checkOpen();
      try {
        Fmp4Parser.Segment s = parser.next();
        producedSinceOpen |= s.kind() != FrameKind.INIT;
        return s;
      } catch (EOFException e) {
        checkOpen();
        SourceStreams.Connection c = connection.get();
        if (c != null) {
          c.checkExitStatus("fMP4 " + description, e);
        }
        if (!loop || !producedSinceOpen) {
          throw e;
        }
        LOG.log(System.Logger.Level.DEBUG, "fMP4 {0} ended ({1}); starting again", description, e.getMessage());
        release();
        synchronized (countersLock) {
          loops++;
        }
        connect();
      } catch (IOException | RuntimeException e) {
        checkOpen();
        throw e;
      }
    }
  }

  private void checkOpen() throws IOException {
    if (closed) {
      throw new IOException("fMP4 " + description + " is closed");
    }
  }

  /** Waits until the fragment's turn: the sum of the durations of the fragments before it. */
  private void awaitTurn(long durationNanos) throws IOException {
    long duration = durationNanos > 0 ? durationNanos : lastDurationNanos;
    lastDurationNanos = duration;
    long now = System.nanoTime();
    if (!scheduled || now - dueNanos > MAX_LAG_NANOS) {
      scheduled = true;
      dueNanos = now;
    }
    long wait = dueNanos - now;
    if (wait > 0) {
      try {
        if (closeSignal.await(wait, TimeUnit.NANOSECONDS)) {
          throw new IOException("fMP4 " + description + " was closed while waiting for the next fragment");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while pacing fMP4 " + description);
      }
    }
    dueNanos += duration;
  }

  private void count(FrameKind kind) {
    synchronized (countersLock) {
      switch (kind) {
        case INIT -> initSegments++;
        case KEY -> keyFragments++;
        default -> deltaFragments++;
      }
    }
  }

  private void release() {
    SourceStreams.Connection c = connection.getAndSet(null);
    if (c != null) {
      c.release("fMP4 " + description);
    }
  }

  /**
   * Closes the stream, or ends the process, that {@link #open()} obtained, and ends a wait for the next
   * fragment's turn. Idempotent; never throws; safe to call from another thread to unblock a blocked
   * {@link #nextFrame()}.
   */
  @Override
  public void close() {
    closed = true;
    closeSignal.countDown();
    release();
  }

  /**
   * Returns how many init segments have been read, over every stream opened (one per open and loop).
   *
   * @return the count
   */
  public long initSegmentsRead() {
    synchronized (countersLock) {
      return initSegments;
    }
  }

  /**
   * Returns how many fragments starting with a sync sample have been read, over every stream opened.
   *
   * @return the count
   */
  public long keyFragmentsRead() {
    synchronized (countersLock) {
      return keyFragments;
    }
  }

  /**
   * Returns how many fragments not starting with a sync sample have been read, over every stream opened.
   *
   * @return the count
   */
  public long deltaFragmentsRead() {
    synchronized (countersLock) {
      return deltaFragments;
    }
  }

  /**
   * Returns how many times the stream was started again at its end.
   *
   * @return the count
   */
  public long loops() {
    synchronized (countersLock) {
      return loops;
    }
  }

  /** Names where the stream comes from and the settings. */
  @Override
  public String toString() {
    return "Fmp4Source[" + description + ", realTime=" + realTime + ", loop=" + loop + ", maxInitBytes="
        + maxInitBytes + ", maxFragmentBytes=" + maxFragmentBytes + "]";
  }

  /**
   * Builds an {@link Fmp4Source}. Obtain one from {@link Fmp4Source#builder(Supplier)}, {@link
   * Fmp4Source#builderForFile(Path)} or {@link Fmp4Source#builderForProcess(List)}.
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
    private int maxInitBytes = DEFAULT_MAX_INIT_BYTES;
    private int maxFragmentBytes = DEFAULT_MAX_FRAGMENT_BYTES;
    private boolean realTime;
    private boolean loop;

    private Builder(SourceStreams.Opener opener, String description, boolean realTime) {
      this.opener = opener;
      this.description = description;
      this.realTime = realTime;
    }

    /**
     * Sets the largest init segment ({@code ftyp} + {@code moov}) accepted. The default is {@link
     * Fmp4Source#DEFAULT_MAX_INIT_BYTES}.
     *
     * @param bytes 64 KiB to 1 GiB
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxInitBytes(int bytes) {
      this.maxInitBytes = Fmp4Parser.checkLimit("maxInitBytes", bytes, Fmp4Parser.MIN_INIT_BYTES_LIMIT);
      return this;
    }

    /**
     * Sets the largest fragment accepted, with the boxes before its {@code moof}. The default is {@link
     * Fmp4Source#DEFAULT_MAX_FRAGMENT_BYTES}.
     *
     * @param bytes 64 KiB to 1 GiB
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxFragmentBytes(int bytes) {
      this.maxFragmentBytes =
          Fmp4Parser.checkLimit("maxFragmentBytes", bytes, Fmp4Parser.MIN_FRAGMENT_BYTES_LIMIT);
      return this;
    }

    /**
     * Sets whether {@link Fmp4Source#nextFrame()} paces fragments by their durations (the default for
     * files) or returns them as fast as they are read (the default for streams and processes).
     *
     * @param paced {@code true} to play at real-time pace
     * @return this builder
     */
    public Builder realTime(boolean paced) {
      this.realTime = paced;
      return this;
    }

    /**
     * Sets whether to start the stream again, with a fresh init segment, when it ends. A stream that ends
     * before its first fragment is not looped; it ends.
     *
     * @param again {@code true} to loop; default {@code false}
     * @return this builder
     */
    public Builder loop(boolean again) {
      this.loop = again;
      return this;
    }

    /**
     * Builds the source; the runner (or the caller) opens it.
     *
     * @return the source, not yet open
     */
    public Fmp4Source build() {
      return new Fmp4Source(this);
    }
  }
}
