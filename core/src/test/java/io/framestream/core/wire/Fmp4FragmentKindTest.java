package io.framestream.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.FrameKind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One fragment at a time, against its init segment, gives the same kinds as parsing the whole stream. */
class Fmp4FragmentKindTest {

  @Test
  void fragmentsClassifiedOneByOneMatchTheWholeStream() throws Exception {
    List<Fmp4Parser.Segment> segments = Fmp4ParserTest.parseAll(Fmp4Samples.read(Fmp4Samples.AVC_EVERY_FRAME));
    byte[] init = segments.get(0).bytes();
    List<Integer> keys = new ArrayList<>();
    for (int i = 1; i < segments.size(); i++) {
      Fmp4Parser.Segment s = segments.get(i);
      assertEquals(Optional.of(s.kind()), Fmp4Parser.fragmentKind(init, ByteBuffer.wrap(s.bytes())), "fragment " + i);
      if (s.kind() == FrameKind.KEY) {
        keys.add(i - 1);
      }
    }
    assertEquals(List.of(0, 10, 20), keys, "ffmpeg's GOP of 10");
  }

  @Test
  void bytesThatAreNotAFragmentGiveNothing() {
    byte[] init = Fmp4ParserTest.parseAllUnchecked(Fmp4Samples.read(Fmp4Samples.AVC_KEYFRAME)).get(0).bytes();
    assertTrue(Fmp4Parser.fragmentKind(init, ByteBuffer.wrap(new byte[] {0, 0, 0, 8, 'j', 'u', 'n', 'k'})).isEmpty());
    assertTrue(Fmp4Parser.fragmentKind(new byte[] {1, 2, 3}, ByteBuffer.wrap(init)).isEmpty());
  }
}
