package io.framestream.benchmarks;

/**
 * The benchmark frame layout: a JPEG start-of-image marker (so the server sniffs {@code image/jpeg}), then
 * the sequence number and the send time ({@link System#nanoTime()} of the load tool, which also runs every
 * viewer), then filler.
 */
final class Payloads {

  /** Bytes at the start of every payload that carry the header. */
  static final int HEADER = 20;

  private Payloads() {}

  /** Creates a payload of {@code size} bytes (at least {@link #HEADER}). */
  static byte[] create(int size) {
    byte[] p = new byte[Math.max(size, HEADER + 2)];
    p[0] = (byte) 0xFF;
    p[1] = (byte) 0xD8;
    p[2] = (byte) 0xFF;
    p[3] = (byte) 0xE0;
    for (int i = HEADER; i < p.length; i++) {
      p[i] = (byte) (i * 31);
    }
    p[p.length - 2] = (byte) 0xFF;
    p[p.length - 1] = (byte) 0xD9;
    return p;
  }

  /** Writes the sequence number and send time into a payload. */
  static void stamp(byte[] p, long seq, long sendNanos) {
    putLong(p, 4, seq);
    putLong(p, 12, sendNanos);
  }

  static boolean isStamped(byte[] head) {
    return (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xD8 && (head[2] & 0xFF) == 0xFF && (head[3] & 0xFF) == 0xE0;
  }

  static long seq(byte[] head) {
    return getLong(head, 4);
  }

  static long sendNanos(byte[] head) {
    return getLong(head, 12);
  }

  private static void putLong(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }

  private static long getLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }
}
