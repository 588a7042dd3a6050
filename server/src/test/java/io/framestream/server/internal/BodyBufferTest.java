package io.framestream.server.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Rule H2: how an HTTP body's buffer grows, and what it holds at most while the body arrives. */
class BodyBufferTest {

  private static final int LIMIT = 1024 * 1024;

  private static byte[] body(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }

  /** Feeds {@code body} in pieces of {@code piece} bytes, checking the bound after each; returns the result. */
  private static byte[] feed(BodyReader.BodyBuffer buffer, byte[] body, int piece, long slack) throws IOException {
    int[] at = {0};
    while (at[0] < body.length) {
      int ready = Math.min(piece, body.length - at[0]);
      int before = at[0];
      int n = buffer.readFrom((into, offset, length) -> {
        int copied = Math.min(length, before + ready - at[0]); // the input has only the ready bytes
        System.arraycopy(body, at[0], into, offset, copied);
        at[0] += copied;
        return copied;
      }, ready);
      assertEquals(ready, n);
      assertEquals(before + ready, at[0]);
      assertEquals(at[0], buffer.received());
      assertTrue(buffer.held() <= Math.min(LIMIT, (long) at[0] + slack),
          "holds " + buffer.held() + " bytes for " + at[0] + " received");
      assertTrue(buffer.peak() <= Math.min(LIMIT, (long) at[0] + slack),
          "held " + buffer.peak() + " bytes at once for " + at[0] + " received");
    }
    return buffer.take();
  }

  @Test
  void h2_aDeclaredLengthIsNotAllocatedAheadOfTheBytes() throws IOException {
    byte[] body = body(600_000);
    BodyReader.BodyBuffer buffer = new BodyReader.BodyBuffer(body.length, LIMIT);
    byte[] taken = feed(buffer, body, 7_000, BodyReader.BodyBuffer.CHUNK);
    assertArrayEquals(body, taken);
    assertTrue(buffer.peak() <= 2L * body.length + BodyReader.BodyBuffer.CHUNK, "held " + buffer.peak());

    // A peer that declares the limit and sends one byte makes the server hold one chunk, not the limit.
    BodyReader.BodyBuffer greedy = new BodyReader.BodyBuffer(LIMIT, LIMIT);
    feed(greedy, new byte[1], 1, BodyReader.BodyBuffer.CHUNK);
    assertEquals(BodyReader.BodyBuffer.CHUNK + 1, greedy.peak(), "one chunk, plus the 1-byte body it gives");

    // A declared body that fits one chunk is one array of its length, handed over without a copy.
    byte[] small = body(5_000);
    BodyReader.BodyBuffer exact = new BodyReader.BodyBuffer(small.length, LIMIT);
    assertArrayEquals(small, feed(exact, small, 1_000, small.length));
    assertEquals(small.length, exact.peak(), "one array of the declared length, never a second one");

    BodyReader.BodyBuffer empty = new BodyReader.BodyBuffer(0, LIMIT);
    assertEquals(0, empty.take().length);
  }

  @Test
  void h2_aChunkedBodyHoldsAtMostOneChunkMoreThanItsBytesUntilTheFinalJoin() throws IOException {
    for (int size : new int[] {1, 100, BodyReader.BodyBuffer.CHUNK, BodyReader.BodyBuffer.CHUNK + 1, 600_000,
        LIMIT}) {
      for (int piece : new int[] {1_000, 8_192, 65_536}) {
        if (size > 200_000 && piece == 1_000) {
          continue; // a thousand pieces make the point; the big bodies come in bigger ones
        }
        byte[] body = body(size);
        BodyReader.BodyBuffer buffer = new BodyReader.BodyBuffer(-1, LIMIT);
        byte[] taken = feed(buffer, body, piece, BodyReader.BodyBuffer.CHUNK);
        assertArrayEquals(body, taken, size + " bytes in pieces of " + piece);
        assertTrue(buffer.peak() <= Math.min(2L * size + BodyReader.BodyBuffer.CHUNK, (long) size + LIMIT),
            size + " bytes in pieces of " + piece + ": held " + buffer.peak() + " at the final join");
      }
    }
  }
}
