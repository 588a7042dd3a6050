package io.framestream.conformance;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads one binary message of the chunk stream (W12), the way a page does; fails on any inconsistency. */
final class Chunks {

  private Chunks() {}

  /** One sample: key flag, presentation time and duration (µs), data. */
  record Sample(boolean key, long timestampMicros, long durationMicros, byte[] data) {}

  /** One message: its header and samples. */
  record Message(boolean key, long publishMicros, long sequence, List<Sample> samples) {}

  static Message parse(byte[] message) {
    ByteBuffer b = ByteBuffer.wrap(message);
    int version = b.get() & 0xFF;
    if (version != 1) {
      throw new AssertionError("W12: version 1 expected, got " + version);
    }
    boolean key = (b.get() & 1) != 0;
    int count = b.getShort() & 0xFFFF;
    long publish = b.getLong();
    long sequence = b.getLong();
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      boolean k = (b.get() & 1) != 0;
      b.get();
      b.getShort();
      long timestamp = b.getLong();
      long duration = b.getInt() & 0xFFFF_FFFFL;
      int length = b.getInt();
      byte[] data = Arrays.copyOfRange(message, b.position(), b.position() + length);
      b.position(b.position() + length);
      samples.add(new Sample(k, timestamp, duration, data));
    }
    if (b.hasRemaining() || count == 0 || key != samples.get(0).key()) {
      throw new AssertionError("W12: " + b.remaining() + " bytes after " + count + " samples, or a header key flag"
          + " that differs from the first sample's");
    }
    return new Message(key, publish, sequence, samples);
  }
}
