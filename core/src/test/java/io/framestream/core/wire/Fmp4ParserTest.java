package io.framestream.core.wire;

import static io.framestream.core.wire.Fmp4Samples.box;
import static io.framestream.core.wire.Fmp4Samples.concat;
import static io.framestream.core.wire.Fmp4Samples.u32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Fmp4ParserTest {

  private static final int INIT_LIMIT = Fmp4Parser.DEFAULT_MAX_INIT_BYTES;
  private static final int FRAGMENT_LIMIT = Fmp4Parser.DEFAULT_MAX_FRAGMENT_BYTES;

  static List<Fmp4Parser.Segment> parseAllUnchecked(byte[] stream) {
    try {
      return parseAll(stream);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static List<Fmp4Parser.Segment> parseAll(byte[] stream) throws IOException {
    Fmp4Parser parser = new Fmp4Parser(new ByteArrayInputStream(stream), INIT_LIMIT, FRAGMENT_LIMIT);
    List<Fmp4Parser.Segment> out = new ArrayList<>();
    while (true) {
      try {
        out.add(parser.next());
      } catch (EOFException end) {
        assertTrue(end.getMessage().startsWith("end of the fragmented MP4 stream"), end.getMessage());
        return out;
      }
    }
  }

  @ParameterizedTest
  @CsvSource({
    "avc-frag-keyframe.mp4, avc1.42C01E, 160, 90, 2",
    "avc-frag-every-frame.mp4, avc1.640028, 160, 90, 30",
    "hevc-frag-keyframe.mp4, hvc1.1.6.L30.90, 160, 96, 1",
    "vp9-frag-keyframe.mp4, vp09.00.10.08, 160, 90, 1",
    "avc-aac-frag-keyframe.mp4, 'avc1.42C01E,mp4a.40.2', 160, 90, 1",
  })
  void f1_f3_ffmpegSamplesSplitExactlyWithCodecAndDimensions(String sample, String codec, int width, int height,
      int fragments) throws IOException {
    byte[] file = Fmp4Samples.read(sample);
    List<Fmp4Parser.Segment> segments = parseAll(file);
    assertEquals(1 + fragments, segments.size());
    Fmp4Parser.Segment init = segments.get(0);
    assertEquals(FrameKind.INIT, init.kind());
    assertEquals("ftyp", new String(init.bytes(), 4, 4, "US-ASCII"));
    assertEquals(codec, init.track().codec());
    assertEquals(width, init.track().width());
    assertEquals(height, init.track().height());

    // The segments are the file byte for byte, in order; only the trailing 'mfra' index is left out.
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    segments.forEach(s -> joined.writeBytes(s.bytes()));
    byte[] prefix = joined.toByteArray();
    assertArrayEquals(Arrays.copyOf(file, prefix.length), prefix);
    assertEquals("mfra", new String(file, prefix.length + 4, 4, "US-ASCII"));
    for (Fmp4Parser.Segment fragment : segments.subList(1, segments.size())) {
      assertEquals("moof", new String(fragment.bytes(), 4, 4, "US-ASCII"));
    }
  }

  @Test
  void oneFragmentPerGopIsAllKeyFragmentsOfOneSecond() throws IOException {
    List<Fmp4Parser.Segment> segments = parseAll(Fmp4Samples.read(Fmp4Samples.AVC_KEYFRAME));
    for (Fmp4Parser.Segment s : segments.subList(1, segments.size())) {
      assertEquals(FrameKind.KEY, s.kind());
      assertEquals(1_000_000_000L, s.durationNanos());
    }
  }

  @Test
  void f2_oneFragmentPerFrameMarksOnlyTheIntraFramesKey() throws IOException {
    // ffprobe -show_entries frame=key_frame says: a key frame every tenth frame (-g 10).
    List<Fmp4Parser.Segment> segments = parseAll(Fmp4Samples.read(Fmp4Samples.AVC_EVERY_FRAME));
    for (int i = 1; i < segments.size(); i++) {
      Fmp4Parser.Segment s = segments.get(i);
      assertEquals((i - 1) % 10 == 0 ? FrameKind.KEY : FrameKind.DELTA, s.kind(), "fragment " + (i - 1));
      assertEquals(1_000_000_000L / 15, s.durationNanos(), 1, "fragment " + (i - 1));
    }
  }

  /** The init segment of the H.264 sample: track 1, with ffmpeg's trex defaults. */
  private static byte[] init() throws IOException {
    return parseAll(Fmp4Samples.read(Fmp4Samples.AVC_KEYFRAME)).get(0).bytes();
  }

  private static byte[] fragment(byte[] tfhdBody, byte[] trunBody) {
    return concat(
        box("moof", box("mfhd", u32(0, 1)), box("traf", box("tfhd", tfhdBody), box("trun", trunBody))),
        box("mdat", new byte[] {1, 2, 3}));
  }

  private static final long NON_SYNC = 0x0101_0000L;
  private static final long SYNC = 0x0200_0000L;

  @Test
  void f2_syncIsReadFromFirstSampleFlagsThenSampleFlagsThenDefaults() throws IOException {
    byte[] stream = concat(init(),
        // tfhd default flags non-sync, trun first_sample_flags sync: KEY
        fragment(u32(0x020020, 1, NON_SYNC), u32(0x000004, 2, SYNC)),
        // tfhd default flags sync, trun first_sample_flags non-sync: DELTA
        fragment(u32(0x020020, 1, SYNC), u32(0x000004, 2, NON_SYNC)),
        // per-sample flags (and durations): the first sample's own flags decide
        fragment(u32(0x020020, 1, SYNC), u32(0x000500, 2, 512, NON_SYNC, 512, SYNC)),
        fragment(u32(0x020020, 1, NON_SYNC), u32(0x000500, 2, 512, SYNC, 512, NON_SYNC)),
        // only tfhd defaults
        fragment(u32(0x020028, 1, 1000, NON_SYNC), u32(0x000000, 3)),
        fragment(u32(0x020028, 1, 1000, SYNC), u32(0x000000, 3)));
    List<Fmp4Parser.Segment> s = parseAll(stream);
    assertEquals(List.of(FrameKind.INIT, FrameKind.KEY, FrameKind.DELTA, FrameKind.DELTA, FrameKind.KEY,
        FrameKind.DELTA, FrameKind.KEY), s.stream().map(Fmp4Parser.Segment::kind).toList());
    long timescale = s.get(0).track().timescale();
    assertEquals(1024 * 1_000_000_000L / timescale, s.get(3).durationNanos());
    assertEquals(3000 * 1_000_000_000L / timescale, s.get(5).durationNanos());
  }

  @Test
  void f1_boxesBeforeAMoofBelongToItsFragmentAndFreeBoxesAreSkipped() throws IOException {
    byte[] styp = box("styp", "msdh".getBytes("US-ASCII"), u32(0));
    byte[] prft = box("prft", u32(0, 1, 0, 0, 0));
    byte[] free = box("free", new byte[100]);
    byte[] frag = fragment(u32(0x020020, 1, SYNC), u32(0x000000, 1));
    byte[] init = init();
    List<Fmp4Parser.Segment> s = parseAll(concat(free, init, free, styp, prft, frag));
    assertArrayEquals(init, s.get(0).bytes());
    assertArrayEquals(concat(styp, prft, frag), s.get(1).bytes());
  }

  @Test
  void aSecondInitSegmentIsAnotherInit() throws IOException {
    byte[] file = Fmp4Samples.read(Fmp4Samples.VP9);
    byte[] body = Arrays.copyOf(file, file.length - 67); // without 'mfra'
    List<Fmp4Parser.Segment> s = parseAll(concat(body, body));
    assertEquals(List.of(FrameKind.INIT, FrameKind.KEY, FrameKind.INIT, FrameKind.KEY),
        s.stream().map(Fmp4Parser.Segment::kind).toList());
  }

  @Test
  void f4_truncationAnywhereEndsWithAnEofThatSaysWhere() throws IOException {
    byte[] file = Fmp4Samples.read(Fmp4Samples.AVC_KEYFRAME);
    for (int cut : new int[] {3, 20, 28 + 4, 500, 780, 800, 940, 5000}) {
      Fmp4Parser parser = new Fmp4Parser(new ByteArrayInputStream(Arrays.copyOf(file, cut)), INIT_LIMIT,
          FRAGMENT_LIMIT);
      EOFException e = assertThrows(EOFException.class, () -> {
        while (true) {
          parser.next();
        }
      });
      assertTrue(e.getMessage().startsWith("stream ended "), cut + ": " + e.getMessage());
    }
  }

  private static FrameCodecException refused(byte[] stream) {
    return assertThrows(FrameCodecException.class, () -> parseAll(stream));
  }

  @Test
  void f4_malformedInputIsRefusedWithAPreciseMessage() throws IOException {
    byte[] init = init();
    assertEquals("'mdat' at offset 0 without a 'moof' before it: not a fragmented MP4 (write it with ffmpeg"
        + " -movflags frag_keyframe+empty_moov+default_base_moof)", refused(box("mdat", u32(0))).getMessage());
    assertEquals("'moof' at offset 0 before any init segment ('moov'): the stream must start with ftyp+moov",
        refused(fragment(u32(0x020000, 1), u32(0, 1))).getMessage());
    assertEquals("box 'mdat' at offset 0 has size 0 (runs to the end of the file), which a fragmented stream"
        + " cannot use", refused(concat(u32(0), "mdat".getBytes("US-ASCII"))).getMessage());
    assertEquals("not an MP4 box at offset 0: type bytes 89 50 4E 47 are not printable ASCII",
        refused(new byte[] {0, 0, 0, 16, (byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5, 6, 7, 8}).getMessage());
    assertEquals("box 'moov' at offset 0 declares 5 bytes, less than its 8-byte header",
        refused(concat(u32(5), "moov".getBytes("US-ASCII"))).getMessage());
    assertEquals("malformed MP4 at offset 0: 'moov' has no 'mvex': not a fragmented MP4 (write it with ffmpeg"
        + " -movflags frag_keyframe+empty_moov+default_base_moof)", refused(box("moov", box("free"))).getMessage());
    assertTrue(refused(concat(init, fragment(u32(0x020000, 7), u32(0, 1)))).getMessage()
        .endsWith("'moof' has no 'traf' for video track 1 (track fragments for [7])"));
    assertTrue(refused(concat(init, box("moof", box("mfhd", u32(0, 1))), box("moof")))
        .getMessage().endsWith("is followed by 'moof' at offset " + (init.length + 24) + "; expected 'mdat'"));
  }

  @Test
  void f4_aTrunClaimingMoreSamplesThanItHoldsIsRefused() throws IOException {
    FrameCodecException e = refused(concat(init(), fragment(u32(0x020000, 1), u32(0x000100, 1_000_000, 512))));
    assertTrue(e.getMessage().endsWith("'trun' declares 1000000 samples of 4 bytes, more than its 4 bytes of"
        + " sample table"), e.getMessage());
  }

  @Test
  void f4_oversizeBoxesAreRefusedBeforeAnythingOfTheirSizeIsAllocated() throws IOException {
    byte[] init = init();
    // A 64-bit mdat size of 1 TiB after a valid moof, and a 3 GB moov.
    byte[] hugeMdat = concat(u32(1), "mdat".getBytes("US-ASCII"), u32(256, 0));
    byte[] stream = concat(init, box("moof", box("mfhd", u32(0, 1)),
        box("traf", box("tfhd", u32(0x020000, 1)), box("trun", u32(0, 1)))), hugeMdat);
    Fmp4Parser parser = new Fmp4Parser(new ByteArrayInputStream(stream), INIT_LIMIT, FRAGMENT_LIMIT);
    parser.next();
    FrameCodecException e = assertThrows(FrameCodecException.class, parser::next);
    assertTrue(e.getMessage().startsWith("box 'mdat' at offset " + (stream.length - 16) + " declares 1099511627776"
        + " bytes, more than the "), e.getMessage());
    assertTrue(e.getMessage().endsWith(" bytes left under maxFragmentBytes"), e.getMessage());
    assertTrue(parser.peakAllocationBytes() < 4096, "allocated " + parser.peakAllocationBytes());

    FrameCodecException big = refused(concat(u32(3_000_000_000L), "moov".getBytes("US-ASCII")));
    assertEquals("box 'moov' at offset 0 declares 3000000000 bytes, more than the 1048576 bytes left under"
        + " maxInitBytes", big.getMessage());
  }

  @Test
  void limitsAreChecked() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Fmp4Parser(new ByteArrayInputStream(new byte[0]), 1000, FRAGMENT_LIMIT));
    assertEquals("maxInitBytes must be 65536..1073741824, got 1000", e.getMessage());
  }
}
