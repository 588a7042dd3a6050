package io.framestream.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ContentTypes;
import io.framestream.core.DropReason;
import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameKind;
import io.framestream.core.wire.Fmp4Samples;
import io.framestream.testkit.Await;
import io.framestream.testkit.RecordingSink;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Fmp4SourceTest {

  private static final byte[] EVERY_FRAME = Fmp4Samples.read(Fmp4Samples.AVC_EVERY_FRAME);

  static List<Frame> readAll(Fmp4Source source) throws Exception {
    List<Frame> frames = new ArrayList<>();
    source.open();
    try {
      while (true) {
        frames.add(source.nextFrame());
      }
    } catch (EOFException end) {
      return frames;
    } finally {
      source.close();
    }
  }

  private static Fmp4Source unpaced(byte[] stream) {
    return Fmp4Source.builder(() -> new ByteArrayInputStream(stream)).build();
  }

  @Test
  void f2_f3_framesCarryKindCodecAndDimensions() throws Exception {
    Fmp4Source source = unpaced(EVERY_FRAME);
    List<Frame> frames = readAll(source);
    assertEquals(31, frames.size());
    for (int i = 0; i < frames.size(); i++) {
      Frame f = frames.get(i);
      FrameKind expected = i == 0 ? FrameKind.INIT : (i - 1) % 10 == 0 ? FrameKind.KEY : FrameKind.DELTA;
      assertEquals(expected, f.kind(), "frame " + i);
      assertEquals("video/mp4", f.contentType());
      assertEquals("avc1.640028", f.codec().orElseThrow());
      assertEquals(160, f.width().orElseThrow());
      assertEquals(90, f.height().orElseThrow());
    }
    assertTrue(ContentTypes.isMp4InitSegment(frames.get(0).payload()));
    assertEquals(1, source.initSegmentsRead());
    assertEquals(3, source.keyFragmentsRead());
    assertEquals(27, source.deltaFragmentsRead());
  }

  @Test
  void f5_aFilePlaysAtRealTimePaceFromTheFragmentDurations(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("clip.mp4");
    Files.write(file, EVERY_FRAME);
    Fmp4Source source = Fmp4Source.fromFile(file, false);
    source.open();
    try {
      source.nextFrame(); // INIT
      source.nextFrame(); // the first fragment at once
      long start = System.nanoTime();
      for (int i = 1; i < 30; i++) {
        source.nextFrame();
      }
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      // 29 more fragments of 1/15 s each: 1933 ms
      assertTrue(millis >= 1900 && millis < 2600, "took " + millis + " ms");
      assertThrows(EOFException.class, source::nextFrame);
    } finally {
      source.close();
    }
  }

  @Test
  void f5_aLoopingSourceStartsAgainWithAFreshInit() throws Exception {
    byte[] file = Fmp4Samples.read(Fmp4Samples.AVC_KEYFRAME);
    Fmp4Source source = Fmp4Source.builder(() -> new ByteArrayInputStream(file)).loop(true).build();
    source.open();
    try {
      List<FrameKind> kinds = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        kinds.add(source.nextFrame().kind());
      }
      assertEquals(List.of(FrameKind.INIT, FrameKind.KEY, FrameKind.KEY, FrameKind.INIT, FrameKind.KEY,
          FrameKind.KEY, FrameKind.INIT), kinds);
      assertEquals(2, source.loops());
    } finally {
      source.close();
    }
  }

  @Test
  void aLoopingStreamWithoutFragmentsEndsInsteadOfSpinning() throws Exception {
    byte[] initOnly = Arrays.copyOf(EVERY_FRAME, Fmp4Samples.initLength(EVERY_FRAME));
    Fmp4Source source = Fmp4Source.builder(() -> new ByteArrayInputStream(initOnly)).loop(true).build();
    assertEquals(1, readAll(source).size()); // the init segment, then the end
    assertEquals(0, source.loops());
  }

  @Test
  void closeEndsAWaitForTheNextFragmentAtOnce() throws Exception {
    byte[] file = Fmp4Samples.read(Fmp4Samples.AVC_KEYFRAME); // 1 s fragments
    Fmp4Source source = Fmp4Source.builder(() -> new ByteArrayInputStream(file)).realTime(true).build();
    source.open();
    source.nextFrame();
    source.nextFrame();
    java.util.concurrent.atomic.AtomicReference<Thread> waiter = new java.util.concurrent.atomic.AtomicReference<>();
    CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
      waiter.set(Thread.currentThread());
      try {
        source.nextFrame();
        return null;
      } catch (Exception e) {
        return e;
      }
    });
    Await.until("the reader waits for the next fragment's time", () -> waiter.get() != null
        && waiter.get().getState() == Thread.State.TIMED_WAITING);
    long start = System.nanoTime();
    source.close();
    Throwable t = waiting.get(5, TimeUnit.SECONDS);
    assertTrue(t instanceof IOException, String.valueOf(t));
    assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(500));
  }

  @Test
  void malformedAndTruncatedStreamsFailClearly() throws Exception {
    byte[] notMp4 = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes("US-ASCII");
    FrameCodecException e = assertThrows(FrameCodecException.class, () -> readAll(unpaced(notMp4)));
    assertEquals("not a fragmented MP4 stream: unknown top-level box type '/ HT' at offset 0", e.getMessage());

    Fmp4Source cut = unpaced(Arrays.copyOf(EVERY_FRAME, 2000));
    cut.open();
    assertEquals(FrameKind.INIT, cut.nextFrame().kind());
    EOFException eof = assertThrows(EOFException.class, () -> {
      while (true) {
        cut.nextFrame();
      }
    });
    assertTrue(eof.getMessage().startsWith("stream ended inside box 'mdat'"), eof.getMessage());
    cut.close();
  }

  @Test
  void aProcessIsReadToItsEnd(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("clip.mp4");
    Files.write(file, EVERY_FRAME);
    assertEquals(31, readAll(Fmp4Source.fromProcess(List.of("cat", file.toString()))).size());
    IOException failed = assertThrows(IOException.class,
        () -> readAll(Fmp4Source.fromProcess(List.of("cat", dir.resolve("missing.mp4").toString()))));
    assertTrue(failed.getMessage().endsWith("exited with status 1"), failed.getMessage());
  }

  @Test
  void c4_aLateJoinerOfRealVideoGetsInitThenTheNewestKeyThenItsDeltas() throws Exception {
    List<Frame> frames = readAll(unpaced(EVERY_FRAME));
    try (ChannelRegistry registry = ChannelRegistry.builder().build()) {
      Channel ch = registry.channel("video");
      for (Frame f : frames.subList(0, 16)) { // INIT (seq 1), fragments 0..14 (seq 2..16); keys at 2, 12
        ch.publish(f);
      }
      RecordingSink late = RecordingSink.immediate();
      ch.subscribe(late);
      Await.until("catch-up", () -> late.count() == 6);
      ch.publish(frames.get(16));
      Await.until("live", () -> late.count() == 7);
      assertEquals(List.of(1L, 12L, 13L, 14L, 15L, 16L, 17L), late.sequences());
      assertEquals(FrameKind.INIT, late.frames().get(0).kind());
      assertEquals(FrameKind.KEY, late.frames().get(1).kind());
      RecordingSink.assertNoOrphanDelta(late.frames());
      late.assertRulesHeld();
    }
  }

  @Test
  void c3_aSlowViewerOfRealVideoSkipsToTheNextKey() throws Exception {
    List<Frame> frames = readAll(unpaced(EVERY_FRAME));
    try (ChannelRegistry registry = ChannelRegistry.builder().build()) {
      Channel ch = registry.declare("video", ChannelConfig.builder().maxQueuedFrames(3).build());
      RecordingSink slow = new RecordingSink(RecordingSink.Mode.MANUAL);
      ch.subscribe(slow);
      ch.publish(frames.get(0));
      Await.until("init in flight", () -> slow.count() == 1);
      for (Frame f : frames.subList(1, 8)) { // key 2, deltas 3..8: overflow after 3 queued
        ch.publish(f);
      }
      for (Frame f : frames.subList(8, 11)) { // deltas 9..11: still skipping
        ch.publish(f);
      }
      for (int i = 11; i < 31; i++) { // key 12 and everything after it, delivered one by one
        ch.publish(frames.get(i));
        slow.drainUntil(i + 1);
      }
      List<Long> got = slow.sequences();
      RecordingSink.assertNoOrphanDelta(slow.frames());
      assertEquals(java.util.stream.LongStream.rangeClosed(12, 31).boxed().toList(),
          got.subList(got.indexOf(12L), got.size()));
      assertTrue(got.stream().noneMatch(q -> q >= 5 && q <= 11), "the deltas after the overflow are skipped: "
          + got);
      assertTrue(ch.stats().drops().get(DropReason.SKIPPED_TO_KEY) > 0, ch.stats().toString());
      slow.assertRulesHeld();
    }
  }
}
