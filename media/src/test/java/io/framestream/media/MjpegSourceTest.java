package io.framestream.media;

import static io.framestream.media.internal.JpegFixtures.assertImage;
import static io.framestream.media.internal.JpegFixtures.concat;
import static io.framestream.media.internal.JpegFixtures.jpeg;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSink;
import io.framestream.core.FrameSource;
import io.framestream.core.SourceRunner;
import io.framestream.media.internal.JpegFixtures;
import io.framestream.media.internal.MjpegSplitter;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests named after the rules they check: {@code fsN} is rule N of {@link FrameSource}, {@code mN} rule N
 * of {@link io.framestream.media.internal.MjpegSplitter}.
 */
class MjpegSourceTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void fs2_framesAreKeyJpegsWithDimensionsFromTheHeaderThenEndOfStream() throws Exception {
    byte[][] images = {jpeg(160, 120, 1), jpeg(320, 240, 2), jpeg(17, 300, 3)};
    int[][] sizes = {{160, 120}, {320, 240}, {17, 300}};
    try (MjpegSource source = MjpegSource.fromStream(() -> new ByteArrayInputStream(concat(images)))) {
      source.open();
      for (int i = 0; i < images.length; i++) {
        Frame frame = source.nextFrame();
        assertEquals(ContentTypes.JPEG, frame.contentType());
        assertEquals(FrameKind.KEY, frame.kind());
        assertEquals(OptionalInt.of(sizes[i][0]), frame.width());
        assertEquals(OptionalInt.of(sizes[i][1]), frame.height());
        assertImage(images[i], frame.copyPayload(), sizes[i][0], sizes[i][1]);
      }
      assertThrows(EOFException.class, source::nextFrame);
      assertEquals(3, source.imagesRead());
    }
  }

  @Test
  void fs1_openObtainsAFreshStreamSoARestartReadsFromTheStart() throws Exception {
    byte[] first = jpeg(64, 48, 10);
    byte[] second = jpeg(48, 64, 11);
    List<TrackedStream> opened = new ArrayList<>();
    Supplier<InputStream> streams = () -> {
      TrackedStream s = new TrackedStream(concat(first, second));
      opened.add(s);
      return s;
    };
    MjpegSource source = MjpegSource.fromStream(streams);

    source.open();
    assertArrayEquals(first, source.nextFrame().copyPayload());
    source.close();
    assertEquals(1, opened.size());
    assertTrue(opened.get(0).closed, "close() closes the stream open() obtained");

    source.open();
    assertEquals(2, opened.size(), "a restart asks the supplier for a new stream");
    assertArrayEquals(first, source.nextFrame().copyPayload(), "the new stream is read from its start");
    assertArrayEquals(second, source.nextFrame().copyPayload());
    assertThrows(EOFException.class, source::nextFrame);
    source.close();
    source.close(); // idempotent
    assertTrue(opened.get(1).closed);
    assertEquals(3, source.imagesRead(), "counters add up over every stream opened");
  }

  @Test
  void fs4_closeFromAnotherThreadUnblocksABlockedNextFrame() throws Exception {
    byte[] image = jpeg(80, 60, 20);
    BlockingStream stream = new BlockingStream(image);
    MjpegSource source = MjpegSource.fromStream(() -> stream);
    source.open();
    assertArrayEquals(image, source.nextFrame().copyPayload());

    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<Frame> blocked = reader.submit(source::nextFrame);
      assertTrue(stream.blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS), "nextFrame() never read");
      assertFalse(blocked.isDone(), "nextFrame() must be blocked in the read");

      source.close();

      ExecutionException e =
          assertThrows(ExecutionException.class, () -> blocked.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertInstanceOf(IOException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
      assertEquals(0, stream.closedSignal.getCount(), "the stream was closed");
      assertThrows(IOException.class, source::nextFrame, "a closed source stays closed until reopened");
    } finally {
      reader.shutdownNow();
    }
  }

  @Test
  void runsUnderASourceRunnerIntoASinkUntilTheStreamEnds() throws Exception {
    List<byte[]> images = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      images.add(jpeg(96 + i, 72, 30 + i));
    }
    byte[] stream = JpegFixtures.multipart("frame", images.toArray(new byte[0][]));
    List<Frame> received = new CopyOnWriteArrayList<>();
    MjpegSource source = MjpegSource.fromStream(() -> new ByteArrayInputStream(stream));

    try (SourceRunner runner = SourceRunner.builder(source, FrameSink.of(received::add)).build()) {
      runner.start();
      assertTrue(runner.awaitTermination(WAIT), "the runner stops at the end of the stream");
      assertEquals(SourceRunner.State.ENDED, runner.state());
      assertEquals(images.size(), runner.stats().framesPublished());
    }
    assertEquals(images.size(), received.size());
    for (int i = 0; i < images.size(); i++) {
      Frame frame = received.get(i);
      assertArrayEquals(images.get(i), frame.copyPayload(), "frame " + i);
      assertEquals(OptionalInt.of(96 + i), frame.width());
      assertEquals(ContentTypes.JPEG, frame.contentType());
    }
  }

  @Test
  void fs3_runnerReopensTheSourceWithAFreshStreamAfterTheEnd() throws Exception {
    byte[][] images = {jpeg(40, 30, 40), jpeg(41, 31, 41), jpeg(42, 32, 42)};
    AtomicInteger opens = new AtomicInteger();
    MjpegSource source = MjpegSource.fromStream(() -> {
      opens.incrementAndGet();
      return new ByteArrayInputStream(concat(images));
    });
    int wanted = 3 * images.length;
    List<Frame> received = new CopyOnWriteArrayList<>();
    CountDownLatch enough = new CountDownLatch(wanted);
    FrameSink sink = FrameSink.of(frame -> {
      received.add(frame);
      enough.countDown();
    });

    try (SourceRunner runner = SourceRunner.builder(source, sink)
        .restartOnEnd(true)
        .backoff(Duration.ofMillis(1), Duration.ofMillis(5))
        .build()) {
      runner.start();
      assertTrue(enough.await(WAIT.toSeconds(), TimeUnit.SECONDS), "got " + received.size() + " frames");
    }
    assertTrue(opens.get() >= 3, "opened " + opens.get() + " times");
    for (int i = 0; i < wanted; i++) {
      assertArrayEquals(images[i % images.length], received.get(i).copyPayload(), "frame " + i);
    }
  }

  @Test
  void fs4_stoppingTheRunnerUnblocksASourceWaitingForAStreamThatNeverDelivers() throws Exception {
    byte[] a = jpeg(64, 48, 50);
    byte[] b = jpeg(64, 48, 51);
    BlockingStream stream = new BlockingStream(concat(a, b));
    MjpegSource source = MjpegSource.fromStream(() -> stream);
    List<Frame> received = new CopyOnWriteArrayList<>();
    CountDownLatch two = new CountDownLatch(2);
    FrameSink sink = FrameSink.of(frame -> {
      received.add(frame);
      two.countDown();
    });

    SourceRunner runner = SourceRunner.builder(source, sink).stopTimeout(WAIT).build();
    try {
      runner.start();
      assertTrue(two.await(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertTrue(stream.blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the source is blocked reading");
    } finally {
      runner.close();
    }
    assertTrue(runner.awaitTermination(WAIT));
    assertEquals(SourceRunner.State.STOPPED, runner.state());
    assertEquals(0, stream.closedSignal.getCount(), "stopping closed the stream");
    assertEquals(2, received.size());
    assertEquals(0, runner.stats().failures(), "a stop is not a failure");
  }

  @Test
  void m4_countersReportGarbageOversizeAndTruncatedImagesOverEveryStream() throws Exception {
    byte[] small = jpeg(64, 48, 60);
    byte[] huge = JpegFixtures.noiseJpeg(400, 400, 61);
    byte[] garbage = "--boundary\r\nContent-Type: image/jpeg\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] stream = concat(garbage, small, huge, small, Arrays.copyOf(small, small.length / 2));
    MjpegSource source = MjpegSource.builder(() -> new ByteArrayInputStream(stream))
        .maxImageBytes(16 * 1024)
        .build();
    assertEquals(16 * 1024, source.maxImageBytes());

    for (int round = 1; round <= 2; round++) {
      source.open();
      assertArrayEquals(small, source.nextFrame().copyPayload());
      assertArrayEquals(small, source.nextFrame().copyPayload(), "the oversize image is skipped");
      assertThrows(EOFException.class, source::nextFrame, "the truncated image is not returned");
      source.close();

      assertEquals(round * garbage.length, source.garbageBytesSkipped());
      assertEquals(round, source.oversizeImagesRejected());
      assertEquals(round, source.truncatedImages());
      assertEquals(0, source.malformedImages());
      assertEquals(2L * round, source.imagesRead());
    }
  }

  @Test
  void processSourceReadsTheOutputOfTheProcessAndFailsOnAnErrorStatus(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs a POSIX shell");
    byte[][] images = {jpeg(64, 48, 70), jpeg(32, 24, 71)};
    Path file = dir.resolve("stream.mjpeg");
    Files.write(file, concat(images));

    List<String> catFile = List.of("/bin/sh", "-c", "cat \"$1\"", "sh", file.toString());
    try (MjpegSource ok = MjpegSource.fromProcess(catFile)) {
      ok.open();
      assertArrayEquals(images[0], ok.nextFrame().copyPayload());
      assertArrayEquals(images[1], ok.nextFrame().copyPayload());
      assertThrows(EOFException.class, ok::nextFrame, "exit status 0 is a normal end");
    }

    try (MjpegSource failing = MjpegSource.fromProcess(
        List.of("/bin/sh", "-c", "cat \"$1\"; echo oops >&2; exit 3", "sh", file.toString()))) {
      failing.open();
      assertArrayEquals(images[0], failing.nextFrame().copyPayload());
      assertArrayEquals(images[1], failing.nextFrame().copyPayload());
      IOException e = assertThrows(IOException.class, failing::nextFrame);
      assertFalse(e instanceof EOFException, "a failed process is a failure, not an end: " + e);
      assertTrue(e.getMessage().contains("status 3"), e.getMessage());
    }
  }

  @Test
  void fs4_closeEndsAProcessThatStoppedWriting(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs a POSIX shell");
    byte[] image = jpeg(64, 48, 80);
    Path file = dir.resolve("one.mjpeg");
    Files.write(file, image);
    MjpegSource source = MjpegSource.fromProcess(
        List.of("/bin/sh", "-c", "cat \"$1\"; exec sleep 120", "sh", file.toString()));
    source.open();
    assertArrayEquals(image, source.nextFrame().copyPayload(), "the process is running and writing");
    List<ProcessHandle> children = ProcessHandle.current().children().toList();
    assertFalse(children.isEmpty());

    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<Frame> blocked = reader.submit(source::nextFrame);
      source.close();
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> blocked.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertInstanceOf(IOException.class, e.getCause());
    } finally {
      reader.shutdownNow();
    }
    for (ProcessHandle child : children) {
      assertFalse(child.isAlive(), "close() ended the process " + child.pid());
    }
  }

  @Test
  void credentialsInAProcessCommandAreHiddenFromDescriptions() {
    MjpegSource camera = MjpegSource.fromProcess(
        List.of("ffmpeg", "-i", "rtsp://admin:s3cret@10.0.0.5:554/live", "-f", "mjpeg", "pipe:1"));
    String shown = camera.toString();
    assertFalse(shown.contains("s3cret"), shown);
    assertFalse(shown.contains("admin"), shown);
    assertTrue(shown.contains("rtsp://***@10.0.0.5:554/live"), shown);
    assertEquals("http://cam/a.mjpg", MjpegSource.redactCredentials("http://cam/a.mjpg"));
  }

  @Test
  void invalidUseIsRejected() throws Exception {
    assertThrows(NullPointerException.class, () -> MjpegSource.fromStream(null));
    assertThrows(NullPointerException.class, () -> MjpegSource.fromProcess(null));
    assertThrows(NullPointerException.class, () -> MjpegSource.fromProcess(Arrays.asList("cat", null)));
    assertThrows(IllegalArgumentException.class, () -> MjpegSource.fromProcess(List.of()));
    MjpegSource.Builder builder = MjpegSource.builder(() -> new ByteArrayInputStream(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> builder.maxImageBytes(0));
    assertThrows(IllegalArgumentException.class, () -> builder.maxImageBytes(Integer.MAX_VALUE));
    assertEquals(MjpegSource.DEFAULT_MAX_IMAGE_BYTES, builder.build().maxImageBytes());

    MjpegSource source = builder.build();
    source.close(); // before open: nothing to do
    assertThrows(IllegalStateException.class, source::nextFrame, "not open");
    source.open();
    assertThrows(IllegalStateException.class, source::open, "already open");
    assertThrows(EOFException.class, source::nextFrame);
    source.close();

    MjpegSource nullStream = MjpegSource.fromStream(() -> null);
    assertThrows(NullPointerException.class, nullStream::open);

    MjpegSource missing = MjpegSource.fromProcess(List.of("/nonexistent/framestream-no-such-program"));
    assertThrows(IOException.class, missing::open);
    assertThrows(IllegalStateException.class, missing::nextFrame);
    missing.close();
    assertTrue(missing.toString().contains("framestream-no-such-program"), missing.toString());
  }

  // ---------------------------------------------------------------------------------------------------

  /** A stream that remembers whether it was closed. */
  private static final class TrackedStream extends ByteArrayInputStream {
    volatile boolean closed;

    TrackedStream(byte[] bytes) {
      super(bytes);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /**
   * Delivers its bytes, then blocks in {@code read} like a socket with no data, until closed (the read
   * then fails as a closed socket's does) or until a generous bound passes.
   */
  private static final class BlockingStream extends InputStream {
    final CountDownLatch blocked = new CountDownLatch(1);
    final CountDownLatch closedSignal = new CountDownLatch(1);
    private final byte[] bytes;
    private int pos;

    BlockingStream(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (closedSignal.getCount() == 0) {
        throw new IOException("stream closed");
      }
      if (pos < bytes.length) {
        int n = Math.min(len, bytes.length - pos);
        System.arraycopy(bytes, pos, b, off, n);
        pos += n;
        return n;
      }
      blocked.countDown();
      try {
        if (closedSignal.await(WAIT.toSeconds() * 3, TimeUnit.SECONDS)) {
          throw new IOException("stream closed");
        }
        throw new IOException("test stream was never closed");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted");
      }
    }

    @Override
    public void close() {
      closedSignal.countDown();
    }
  }
}
