package io.framestream.conformance;

import io.framestream.core.Frame;
import io.framestream.core.FrameKind;

/**
 * Frames a test can recognise at the far end: a JPEG start (so that publishing over WebSocket recognises the
 * type), then the frame's index, then filler, then a JPEG end.
 */
final class TestFrames {

  static final String VIDEO_CODEC = "avc1.42E01E";

  private TestFrames() {}

  /** The payload of frame {@code index}, {@code size} bytes (at least 10). */
  static byte[] payload(int index, int size) {
    byte[] b = new byte[Math.max(10, size)];
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xD8;
    b[2] = (byte) 0xFF;
    b[3] = (byte) 0xE0;
    b[4] = (byte) (index >>> 24);
    b[5] = (byte) (index >>> 16);
    b[6] = (byte) (index >>> 8);
    b[7] = (byte) index;
    for (int i = 8; i < b.length - 2; i++) {
      b[i] = (byte) (i * 31 + index);
    }
    b[b.length - 2] = (byte) 0xFF;
    b[b.length - 1] = (byte) 0xD9;
    return b;
  }

  /** The index a test payload carries, or -1 for anything else. */
  static int indexOf(byte[] payload) {
    if (payload == null || payload.length < 10 || (payload[0] & 0xFF) != 0xFF || (payload[1] & 0xFF) != 0xD8
        || (payload[2] & 0xFF) != 0xFF || (payload[3] & 0xFF) != 0xE0) {
      return -1;
    }
    return (payload[4] & 0xFF) << 24 | (payload[5] & 0xFF) << 16 | (payload[6] & 0xFF) << 8 | (payload[7] & 0xFF);
  }

  /** A JPEG image frame. */
  static Frame image(int index, int size) {
    return Frame.of("image/jpeg", payload(index, size));
  }

  /** A video frame of one H.264 stream, 640 x 360. */
  static Frame video(FrameKind kind, int index, int size) {
    return Frame.builder(payload(index, size)).contentType("video/mp4").kind(kind).codec(VIDEO_CODEC)
        .dimensions(640, 360).build();
  }
}
