package io.framestream.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The SSE reader's eight-bytes-at-a-time newline search agrees with a byte-by-byte one. */
class NewlineSearchTest {

  private static int slow(byte[] b, int from, int end) {
    for (int i = from; i < end; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return end;
  }

  @Test
  void findsTheFirstNewlineAtEveryPositionAndOffset() {
    byte[] b = new byte[40];
    for (int at = 0; at < b.length; at++) {
      Arrays.fill(b, (byte) 'A');
      b[at] = '\n';
      for (int from = 0; from < b.length; from++) {
        for (int end = from; end <= b.length; end++) {
          assertEquals(slow(b, from, end), ViewerClients.newlineOrEnd(b, from, end), at + " " + from + " " + end);
        }
      }
    }
  }

  @Test
  void agreesOnBytesThatBorrowAcrossTheWord() {
    Random random = new Random(7);
    // 0x0B and 0x0A next to each other, 0x8A, 0x00 and 0xFF: where a sloppy zero-byte test reports the wrong byte.
    byte[] alphabet = {'\n', 0x0B, 0x09, (byte) 0x8A, 0x00, (byte) 0xFF, 'A', '/', '+'};
    byte[] b = new byte[64];
    for (int round = 0; round < 20_000; round++) {
      for (int i = 0; i < b.length; i++) {
        b[i] = alphabet[random.nextInt(alphabet.length)];
      }
      int from = random.nextInt(b.length);
      int end = from + random.nextInt(b.length - from + 1);
      assertEquals(slow(b, from, end), ViewerClients.newlineOrEnd(b, from, end));
    }
  }
}
