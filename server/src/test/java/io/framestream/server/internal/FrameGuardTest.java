package io.framestream.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.memory.MemoryManager;
import org.junit.jupiter.api.Test;

/** Rule H2: the frame-header reader, fed in every way a stream can be split. */
class FrameGuardTest {

  private static byte[] header(boolean fin, int opcode, long length, boolean masked) {
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    h.write((fin ? 0x80 : 0) | opcode);
    int mask = masked ? 0x80 : 0;
    if (length >= 0 && length < 126) {
      h.write(mask | (int) length);
    } else if (length >= 0 && length < 65_536) {
      h.write(mask | 126);
      h.write((int) (length >>> 8));
      h.write((int) length);
    } else {
      h.write(mask | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        h.write((int) (length >>> shift));
      }
    }
    if (masked) {
      h.writeBytes(new byte[] {1, 2, 3, 4});
    }
    return h.toByteArray();
  }

  private static byte[] frame(boolean fin, int opcode, int length) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.writeBytes(header(fin, opcode, length, true));
    f.writeBytes(new byte[length]);
    return f.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static Buffer wrap(byte[] bytes, int from, int to) {
    Buffer b = Buffers.wrap(MemoryManager.DEFAULT_MEMORY_MANAGER, bytes);
    b.position(from);
    b.limit(to);
    return b;
  }

  /** Feeds the stream in pieces of random sizes (1 byte up to whole); returns the first refusal. */
  private static FrameGuard.Refusal feed(FrameGuard guard, byte[] stream, long seed) {
    Random random = new Random(seed);
    int at = 0;
    while (at < stream.length) {
      int n = seed == 0 ? stream.length : 1 + random.nextInt(Math.min(40, stream.length - at));
      int to = Math.min(stream.length, at + n);
      Buffer piece = wrap(stream, at, to);
      FrameGuard.Refusal r = guard.scan(piece);
      assertEquals(at, piece.position(), "scan does not move the buffer");
      if (r != null) {
        return r;
      }
      at = to;
    }
    return null;
  }

  @Test
  void h2_framesWithinTheLimitPassHoweverTheStreamIsSplit() {
    byte[] stream = concat(frame(true, 2, 100), frame(true, 1, 50), frame(true, 9, 125), frame(false, 2, 60),
        frame(true, 10, 0), frame(true, 0, 40), header(true, 2, 100, true));
    for (long seed = 0; seed < 200; seed++) {
      assertNull(feed(new FrameGuard(100, "text", 100, "binary"), stream, seed), "seed " + seed);
    }
  }

  @Test
  void h2_anAnnouncedLengthOverTheLimitIsRefusedFromTheHeaderAlone() {
    for (long seed = 0; seed < 50; seed++) {
      assertEquals(FrameGuard.TOO_BIG, feed(new FrameGuard(1 << 20, "text", 1 << 20, "binary"),
          concat(frame(true, 2, 10), header(true, 2, 200L << 20, true)), seed).code());
      assertEquals(FrameGuard.TOO_BIG, feed(new FrameGuard(4096, "text", 4096, "binary"), header(true, 1, 4097, true), seed).code());
      assertEquals(FrameGuard.TOO_BIG, feed(new FrameGuard(70_000, "text", 100, "binary"), header(true, 2, 101, true), seed).code(),
          "binary and text have their own limits");
      assertNull(feed(new FrameGuard(70_000, "text", 100, "binary"), header(true, 1, 70_000, true), seed));
    }
  }

  @Test
  void h2_theRunningTotalOfAFragmentedMessageCounts() {
    byte[] stream = concat(frame(false, 1, 60), frame(false, 0, 30), frame(true, 9, 5), header(false, 0, 11, true));
    for (long seed = 0; seed < 50; seed++) {
      FrameGuard.Refusal r = feed(new FrameGuard(100, "text", 1000, "binary"), stream, seed);
      assertEquals(FrameGuard.TOO_BIG, r.code(), "60 + 30 + 11 > 100 (the ping in between does not count)");
    }
    assertNull(feed(new FrameGuard(100, "text", 1000, "binary"), concat(frame(false, 1, 60), frame(true, 0, 40), frame(true, 1, 100)), 0),
        "a new message starts a new total");
  }

  @Test
  void h2_aHugeContinuationLengthCannotOverflowTheRunningTotal() {
    // 1 byte, then a continuation announcing 2^63 - 1 bytes: the sum would wrap negative and pass the limit.
    byte[] stream = concat(frame(false, 2, 1), header(false, 0, Long.MAX_VALUE, true), new byte[64]);
    for (long seed = 0; seed < 50; seed++) {
      FrameGuard guard = new FrameGuard(4096, "text", 4096, "binary");
      FrameGuard.Refusal r = feed(guard, stream, seed);
      assertEquals(FrameGuard.TOO_BIG, r == null ? -1 : r.code(), "seed " + seed);
      assertTrue(guard.refused());
    }
    byte[] textStream = concat(frame(false, 1, 100), header(true, 0, Long.MAX_VALUE - 50, true));
    assertEquals(FrameGuard.TOO_BIG, feed(new FrameGuard(1 << 20, "text", 1 << 20, "binary"), textStream, 0).code());
  }

  @Test
  void h2_aClientThatFloodsPingsIsRefused() {
    long[] now = {0};
    FrameGuard guard = new FrameGuard(4096, "text", 4096, "binary", () -> now[0]);
    byte[] ping = frame(true, 9, 4);
    for (int second = 0; second < 5; second++) {
      for (int i = 0; i < FrameGuard.MAX_PINGS_PER_SECOND; i++) {
        assertNull(guard.scan(wrap(ping, 0, ping.length)), "ping " + i + " of second " + second);
      }
      now[0] += 1_000_000_000L;
    }
    for (int i = 0; i < FrameGuard.MAX_PINGS_PER_SECOND; i++) {
      assertNull(guard.scan(wrap(ping, 0, ping.length)));
    }
    FrameGuard.Refusal r = guard.scan(wrap(ping, 0, ping.length));
    assertEquals(FrameGuard.POLICY, r == null ? -1 : r.code(), "one ping over the rate within a second");
    assertNull(new FrameGuard(4096, "text", 4096, "binary", () -> now[0])
        .scan(wrap(concat(frame(true, 10, 4), frame(true, 10, 4), frame(true, 10, 4)), 0, 3 * ping.length)),
        "pongs are not limited");
  }

  @Test
  void h2_afterATooBigRefusalOnlyTheClientsCloseFrameIsLookedFor() {
    byte[] stream = concat(header(true, 2, 300, true), new byte[300], frame(true, 2, 5000), frame(true, 8, 2));
    for (long seed = 0; seed < 50; seed++) {
      FrameGuard guard = new FrameGuard(100, "text", 100, "binary");
      Random random = new Random(seed);
      int at = 0;
      while (at < stream.length) {
        int to = Math.min(stream.length, at + 1 + random.nextInt(64));
        assertEquals(FrameGuard.TOO_BIG, guard.scan(wrap(stream, at, to)) == null ? -1 : FrameGuard.TOO_BIG);
        assertEquals(to >= stream.length - 2, guard.closeReceived(), "seed " + seed + " at " + to); // its header read
        at = to;
      }
    }
  }

  @Test
  void h2_brokenFramingIsAProtocolError() {
    assertEquals(FrameGuard.PROTOCOL_ERROR, feed(new FrameGuard(1000, "text", 1000, "binary"), header(true, 9, 126, true), 0).code());
    assertEquals(FrameGuard.PROTOCOL_ERROR, feed(new FrameGuard(1000, "text", 1000, "binary"), header(false, 8, 2, true), 0).code());
    assertEquals(FrameGuard.PROTOCOL_ERROR, feed(new FrameGuard(1000, "text", 1000, "binary"), header(true, 0, 2, true), 0).code());
    assertEquals(FrameGuard.PROTOCOL_ERROR,
        feed(new FrameGuard(1000, "text", 1000, "binary"), concat(frame(false, 2, 2), header(true, 1, 2, true)), 0).code());
    assertEquals(FrameGuard.PROTOCOL_ERROR, feed(new FrameGuard(1000, "text", 1000, "binary"), header(true, 3, 2, true), 0).code());
    assertEquals(FrameGuard.PROTOCOL_ERROR, feed(new FrameGuard(1000, "text", 1000, "binary"), header(true, 2, -1L, true), 0).code());
  }

  @Test
  void h2_theCloseFrameCarriesTheCodeAndAShortReason() {
    byte[] frame = new FrameGuard.Refusal(1009, "x".repeat(300)).closeFrame();
    assertEquals((byte) 0x88, frame[0]);
    assertEquals(125, frame[1]);
    assertEquals(127, frame.length);
    assertEquals(1009, ((frame[2] & 0xFF) << 8) | (frame[3] & 0xFF));
  }
}
