package io.framestream.server.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.transport.websocket.spi.PublisherInput;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.memory.MemoryManager;
import org.junit.jupiter.api.Test;

/**
 * Rule W1 on the embedded server's direct ingest: a publisher's data messages, read and unmasked in front of
 * Tyrus, arrive whole and exact however the stream is split, with control frames passed on untouched.
 */
class PublisherFramesTest {

  private static final int LIMIT = 4 << 20;

  /** What the endpoint received, in order: byte[] for binary, String for text. */
  private final List<Object> received = new ArrayList<>();
  private final PublisherInput input = new PublisherInput() {
    @Override
    public void binary(byte[] message) {
      received.add(message);
    }

    @Override
    public void text(String message) {
      received.add(message);
    }
  };

  /** A masked client frame with the given key. */
  private static byte[] frame(boolean fin, int opcode, byte[] payload, int key) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | opcode);
    int length = payload.length;
    if (length < 126) {
      f.write(0x80 | length);
    } else if (length < 65_536) {
      f.write(0x80 | 126);
      f.write(length >>> 8);
      f.write(length);
    } else {
      f.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        f.write((int) ((long) length >>> shift));
      }
    }
    byte[] k = {(byte) (key >>> 24), (byte) (key >>> 16), (byte) (key >>> 8), (byte) key};
    f.writeBytes(k);
    for (int i = 0; i < length; i++) {
      f.write(payload[i] ^ k[i & 3]);
    }
    return f.toByteArray();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Feeds the stream in pieces of random sizes; returns the control frames passed on, in order. */
  private byte[] feed(FrameGuard guard, PublisherFrames frames, byte[] stream, long seed, int maxPiece) {
    Random random = new Random(seed);
    ByteArrayOutputStream control = new ByteArrayOutputStream();
    int at = 0;
    while (at < stream.length) {
      int to = Math.min(stream.length, at + 1 + random.nextInt(maxPiece));
      Buffer piece = Buffers.wrap(MemoryManager.DEFAULT_MEMORY_MANAGER, stream);
      piece.position(at);
      piece.limit(to);
      assertNull(guard.scan(piece));
      assertEquals(at, piece.position(), "the buffer is not moved");
      byte[] passed = frames.takeControlFrames();
      if (passed != null) {
        control.writeBytes(passed);
      }
      at = to;
    }
    return control.toByteArray();
  }

  private FrameGuard guardWith(PublisherFrames frames) {
    FrameGuard guard = new FrameGuard(LIMIT, "text limit", LIMIT, "binary limit");
    guard.readBy(frames);
    return guard;
  }

  @Test
  void w1_messagesArriveWholeAndUnmaskedHoweverTheStreamIsSplit() {
    byte[] big = random(300_000, 1); // more than one read; length not a multiple of 8
    byte[] small = random(13, 2);
    byte[] fragA = random(70_001, 3);
    byte[] fragB = random(5, 4);
    byte[] ping = frame(true, 9, "hi".getBytes(StandardCharsets.UTF_8), 0x01020304);
    byte[] pong = frame(true, 10, new byte[0], 0x0A0B0C0D);
    String text = "{\"type\":\"image/png\"} ✓";
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(frame(true, 2, big, 0xDEADBEEF));
    stream.writeBytes(frame(true, 1, text.getBytes(StandardCharsets.UTF_8), 0x11223344));
    stream.writeBytes(frame(false, 2, fragA, 0x55667788));
    stream.writeBytes(ping); // a control frame inside a fragmented message
    stream.writeBytes(frame(true, 0, fragB, 0x99AABBCC));
    stream.writeBytes(frame(true, 2, small, 0x7F000001));
    stream.writeBytes(pong);
    stream.writeBytes(frame(true, 2, new byte[0], 0x12345678));
    byte[] all = stream.toByteArray();
    ByteArrayOutputStream expectedControl = new ByteArrayOutputStream();
    expectedControl.writeBytes(ping);
    expectedControl.writeBytes(pong);
    byte[] joined = new byte[fragA.length + fragB.length];
    System.arraycopy(fragA, 0, joined, 0, fragA.length);
    System.arraycopy(fragB, 0, joined, fragA.length, fragB.length);

    for (long seed = 0; seed < 12; seed++) {
      received.clear();
      PublisherFrames frames = new PublisherFrames(() -> Optional.of(input), LIMIT, LIMIT);
      int maxPiece = seed < 4 ? 7 : seed < 8 ? 70_000 : all.length;
      byte[] control = feed(guardWith(frames), frames, all, seed, maxPiece);
      assertEquals(5, received.size(), "seed " + seed);
      assertArrayEquals(big, (byte[]) received.get(0), "seed " + seed);
      assertEquals(text, received.get(1));
      assertArrayEquals(joined, (byte[]) received.get(2), "seed " + seed);
      assertArrayEquals(small, (byte[]) received.get(3));
      assertArrayEquals(new byte[0], (byte[]) received.get(4));
      assertArrayEquals(expectedControl.toByteArray(), control, "control frames pass on as they came");
      assertNull(frames.refusal());
    }
  }

  @Test
  void w1_aMessageWithinTheFirstAllocationIsExactlyItsArray() {
    byte[] payload = random(100_000, 5);
    PublisherFrames frames = new PublisherFrames(() -> Optional.of(input), LIMIT, LIMIT);
    feed(guardWith(frames), frames, frame(true, 2, payload, 0x0F0E0D0C), 9, 8_192);
    assertEquals(payload.length, ((byte[]) received.get(0)).length);
    assertArrayEquals(payload, (byte[]) received.get(0));
  }

  @Test
  void w4_aTextMessageThatIsNotUtf8IsRefusedWith1007AndNothingMoreIsRead() {
    PublisherFrames frames = new PublisherFrames(() -> Optional.of(input), LIMIT, LIMIT);
    FrameGuard guard = guardWith(frames);
    byte[] stream = concat(frame(true, 1, new byte[] {(byte) 0xC3, (byte) 0x28}, 0x01010101),
        frame(true, 2, new byte[] {1, 2, 3}, 0x02020202));
    feed(guard, frames, stream, 0, stream.length);
    FrameGuard.Refusal refusal = frames.refusal();
    assertNotNull(refusal);
    assertEquals(PublisherFrames.INVALID_PAYLOAD, refusal.code());
    assertTrue(received.isEmpty(), "nothing after the refusal is delivered: " + received);
  }

  @Test
  void h2_anUnmaskedClientFrameIsAProtocolError() {
    PublisherFrames frames = new PublisherFrames(() -> Optional.of(input), LIMIT, LIMIT);
    FrameGuard guard = guardWith(frames);
    byte[] unmasked = {(byte) 0x82, 3, 1, 2, 3};
    FrameGuard.Refusal refusal = guard.scan(Buffers.wrap(MemoryManager.DEFAULT_MEMORY_MANAGER, unmasked));
    assertNotNull(refusal);
    assertEquals(FrameGuard.PROTOCOL_ERROR, refusal.code());
    assertTrue(received.isEmpty());
  }

  @Test
  void w1_messagesBeforeTheSessionOpensAreDropped() {
    List<PublisherInput> open = new ArrayList<>();
    PublisherFrames frames = new PublisherFrames(() -> open.stream().findFirst(), LIMIT, LIMIT);
    FrameGuard guard = guardWith(frames);
    feed(guard, frames, frame(true, 2, new byte[] {9}, 0x01020304), 0, 100);
    open.add(input);
    feed(guard, frames, frame(true, 2, new byte[] {7}, 0x01020304), 0, 100);
    assertEquals(1, received.size());
    assertArrayEquals(new byte[] {7}, (byte[]) received.get(0));
  }

  @Test
  void unmaskMatchesTheBytewiseDefinitionAtEveryOffset() {
    byte[] plain = random(41, 6);
    for (int start = 0; start < 8; start++) {
      for (long frameOffset = 0; frameOffset < 5; frameOffset++) {
        int key = 0xA1B2C3D4;
        byte[] k = {(byte) 0xA1, (byte) 0xB2, (byte) 0xC3, (byte) 0xD4};
        byte[] bytes = plain.clone();
        int length = plain.length - start;
        PublisherFrames.unmask(bytes, start, length, key, frameOffset);
        for (int i = 0; i < plain.length; i++) {
          byte want = i < start ? plain[i] : (byte) (plain[i] ^ k[(int) ((frameOffset + i - start) & 3)]);
          assertEquals(want, bytes[i], "start " + start + " frameOffset " + frameOffset + " byte " + i);
        }
      }
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
