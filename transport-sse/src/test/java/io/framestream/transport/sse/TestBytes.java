package io.framestream.transport.sse;

import java.util.Random;

/** Reproducible random payloads for test frames. */
final class TestBytes {

  private TestBytes() {}

  /** {@code size} random bytes drawn from {@code seed}. */
  static byte[] payload(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }
}
