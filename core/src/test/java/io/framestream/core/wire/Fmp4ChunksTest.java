package io.framestream.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameKind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rule F6: decoder configuration and per-sample chunks from ffmpeg's fragmented MP4. */
class Fmp4ChunksTest {

  /** NAL unit types of the length-prefixed NALs of one sample; fails if the lengths do not add up exactly. */
  private static List<Integer> nalTypes(byte[] fragment, Fmp4Chunks.Sample s, int lengthSize) {
    List<Integer> types = new ArrayList<>();
    int at = s.offset();
    int end = s.offset() + s.length();
    while (at < end) {
      int n = 0;
      for (int i = 0; i < lengthSize; i++) {
        n = (n << 8) | (fragment[at + i] & 0xFF);
      }
      at += lengthSize;
      types.add(fragment[at] & 0x1F);
      at += n;
    }
    assertEquals(end, at, "NAL lengths add up to the sample's length");
    return types;
  }

  @Test
  void f6_everyFrameFragments_oneSampleEachWithKeyFlagTimeAndIdrNals() throws Exception {
    List<Fmp4Parser.Segment> segments = Fmp4ParserTest.parseAll(Fmp4Samples.read(Fmp4Samples.AVC_EVERY_FRAME));
    Fmp4Chunks.DecoderConfig config = Fmp4Chunks.decoderConfig(segments.get(0).bytes());
    assertEquals("avc1.640028", config.codec());
    assertEquals(160, config.width());
    assertEquals(90, config.height());
    byte[] avcc = config.description();
    assertEquals(1, avcc[0], "avcC configurationVersion");
    assertEquals(String.format("avc1.%02X%02X%02X", avcc[1], avcc[2], avcc[3]), config.codec());
    int lengthSize = (avcc[4] & 3) + 1;
    long previous = -1;
    for (int i = 1; i < segments.size(); i++) {
      byte[] fragment = segments.get(i).bytes();
      List<Fmp4Chunks.Sample> samples = Fmp4Chunks.samples(config, ByteBuffer.wrap(fragment));
      assertEquals(1, samples.size());
      Fmp4Chunks.Sample s = samples.get(0);
      assertEquals(segments.get(i).kind() == FrameKind.KEY, s.key(), "sample " + i);
      assertEquals((i - 1) % 10 == 0, s.key(), "keys at 0, 10, 20");
      assertEquals(66_666, s.durationMicros(), 1);
      assertTrue(s.timestampMicros() > previous, "presentation times rise");
      previous = s.timestampMicros();
      List<Integer> types = nalTypes(fragment, s, lengthSize);
      assertEquals(s.key(), types.contains(5), "an IDR slice exactly in key samples: " + types);
    }
    assertEquals(29 * 66_666, previous, 30);
  }

  @Test
  void f6_keyframeFragments_manySamplesContiguousInsideMdat() throws Exception {
    byte[] file = Fmp4Samples.read(Fmp4Samples.AVC_KEYFRAME);
    List<Fmp4Parser.Segment> segments = Fmp4ParserTest.parseAll(file);
    Fmp4Chunks.DecoderConfig config = Fmp4Chunks.decoderConfig(segments.get(0).bytes());
    assertEquals("avc1.42C01E", config.codec());
    int total = 0;
    for (int i = 1; i < segments.size(); i++) {
      byte[] fragment = segments.get(i).bytes();
      // A buffer whose position is not 0: offsets count from the position.
      ByteBuffer shifted = ByteBuffer.allocate(fragment.length + 7).position(7);
      shifted.put(fragment).position(7);
      List<Fmp4Chunks.Sample> samples = Fmp4Chunks.samples(config, shifted);
      assertEquals(15, samples.size());
      assertTrue(samples.get(0).key());
      assertFalse(samples.get(1).key());
      for (int k = 1; k < samples.size(); k++) {
        assertEquals(samples.get(k - 1).offset() + samples.get(k - 1).length(), samples.get(k).offset());
      }
      Fmp4Chunks.Sample last = samples.get(samples.size() - 1);
      assertEquals(fragment.length, last.offset() + last.length(), "the samples fill the mdat");
      nalTypes(fragment, samples.get(0), (config.description()[4] & 3) + 1);
      total += samples.size();
    }
    assertEquals(30, total);
  }

  @Test
  void f6_audioTrackIsLeftOutAndHevcAndVp9HaveTheirDescriptions() throws Exception {
    List<Fmp4Parser.Segment> av = Fmp4ParserTest.parseAll(Fmp4Samples.read("avc-aac-frag-keyframe.mp4"));
    Fmp4Chunks.DecoderConfig config = Fmp4Chunks.decoderConfig(av.get(0).bytes());
    assertEquals("avc1.42C01E", config.codec(), "video codec alone");
    List<Fmp4Chunks.Sample> samples = Fmp4Chunks.samples(config, ByteBuffer.wrap(av.get(1).bytes()));
    assertEquals(15, samples.size(), "the video traf's samples only");
    List<Fmp4Parser.Segment> hevc = Fmp4ParserTest.parseAll(Fmp4Samples.read(Fmp4Samples.HEVC));
    assertEquals(1, Fmp4Chunks.decoderConfig(hevc.get(0).bytes()).description()[0], "hvcC version 1");
    List<Fmp4Parser.Segment> vp9 = Fmp4ParserTest.parseAll(Fmp4Samples.read(Fmp4Samples.VP9));
    assertEquals(0, Fmp4Chunks.decoderConfig(vp9.get(0).bytes()).description().length);
  }

  @Test
  void f6_samplesOutsideTheMdatAndTruncatedFragmentsAreRefused() throws Exception {
    List<Fmp4Parser.Segment> segments = Fmp4ParserTest.parseAll(Fmp4Samples.read(Fmp4Samples.AVC_KEYFRAME));
    Fmp4Chunks.DecoderConfig config = Fmp4Chunks.decoderConfig(segments.get(0).bytes());
    byte[] fragment = segments.get(1).bytes();
    byte[] cut = Arrays.copyOf(fragment, fragment.length - 100);
    // The mdat's declared size no longer fits: refused as a box, never read past the end.
    assertThrows(FrameCodecException.class, () -> Fmp4Chunks.samples(config, ByteBuffer.wrap(cut)));
    // Shrink the mdat's declared size so the samples stick out of it.
    byte[] shrunk = fragment.clone();
    int mdatAt = indexOf(shrunk, "mdat") - 4;
    long size = ByteBuffer.wrap(shrunk, mdatAt, 4).getInt() & 0xFFFFFFFFL;
    ByteBuffer.wrap(shrunk).putInt(mdatAt, (int) (size - 100));
    FrameCodecException e = assertThrows(FrameCodecException.class,
        () -> Fmp4Chunks.samples(config, ByteBuffer.wrap(shrunk)));
    assertTrue(e.getMessage().contains("outside the 'mdat'"), e.getMessage());
    assertThrows(FrameCodecException.class, () -> Fmp4Chunks.samples(config, ByteBuffer.wrap(new byte[] {0, 0, 0, 8,
        'f', 'r', 'e', 'e'})));
  }

  @Test
  void f6_aHugeCountOfEmptySamplesIsRefusedBeforeAnyIsListed() throws Exception {
    List<Fmp4Parser.Segment> segments = Fmp4ParserTest.parseAll(Fmp4Samples.read(Fmp4Samples.AVC_KEYFRAME));
    Fmp4Chunks.DecoderConfig config = Fmp4Chunks.decoderConfig(segments.get(0).bytes());
    // moof(mfhd, traf(tfhd with default size 0, trun of 1,000,000 samples and no table)) + a 2 MB mdat.
    byte[] tfhd = Fmp4Samples.box("tfhd", Fmp4Samples.u32(0x020010, config.track().id(), 0));
    byte[] trun = Fmp4Samples.box("trun", Fmp4Samples.u32(0, 1_000_000));
    byte[] moof = Fmp4Samples.box("moof", Fmp4Samples.box("mfhd", Fmp4Samples.u32(0, 1)),
        Fmp4Samples.box("traf", tfhd, trun));
    byte[] fragment = Fmp4Samples.concat(moof, Fmp4Samples.box("mdat", new byte[2_000_000]));
    FrameCodecException e = assertThrows(FrameCodecException.class,
        () -> Fmp4Chunks.samples(config, ByteBuffer.wrap(fragment)));
    assertTrue(e.getMessage().contains("more than 65535 samples"), e.getMessage());
  }

  @Test
  void f6_microsNeverOverflow() {
    assertEquals(1_000_000, Fmp4Chunks.micros(90_000, 90_000));
    assertEquals(Long.MAX_VALUE / 1000 * 1000 / 1000, Fmp4Chunks.micros(Long.MAX_VALUE / 1000, 1_000_000), 1);
  }

  private static int indexOf(byte[] b, String type) {
    outer:
    for (int i = 0; i + 4 <= b.length; i++) {
      for (int k = 0; k < 4; k++) {
        if (b[i + k] != type.charAt(k)) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
