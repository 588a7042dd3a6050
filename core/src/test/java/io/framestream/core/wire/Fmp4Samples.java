package io.framestream.core.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The fragmented-MP4 samples in {@code core/src/test/resources/fmp4/} (made by ffmpeg; the commands are in
 * the README there) and a small box writer for hand-made streams.
 */
public final class Fmp4Samples {

  /** H.264 baseline 3.0, 160x90, 15 fps, 2 s, GOP 15, one fragment per GOP (all key fragments). */
  public static final String AVC_KEYFRAME = "avc-frag-keyframe.mp4";
  /** H.264 high 4.0, 160x90, 15 fps, 2 s, GOP 10, one fragment per frame (key every tenth). */
  public static final String AVC_EVERY_FRAME = "avc-frag-every-frame.mp4";
  /** HEVC main, 160x96, 15 fps, 1 s, as {@code hvc1}. */
  public static final String HEVC = "hevc-frag-keyframe.mp4";
  /** VP9 profile 0, 160x90, 15 fps, 1 s. */
  public static final String VP9 = "vp9-frag-keyframe.mp4";

  private Fmp4Samples() {}

  /** Reads a sample from the test class path. */
  public static byte[] read(String name) {
    try (InputStream in = Fmp4Samples.class.getResourceAsStream("/fmp4/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test sample /fmp4/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The length of the init segment (ftyp + moov) at the start of a sample. */
  public static int initLength(byte[] sample) {
    int ftyp = (int) Fmp4Parser.Buf.u32(sample, 0);
    return ftyp + (int) Fmp4Parser.Buf.u32(sample, ftyp);
  }

  /** Writes a box with a 32-bit size. */
  public static byte[] box(String type, byte[]... body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int size = 8;
    for (byte[] part : body) {
      size += part.length;
    }
    out.writeBytes(u32(size));
    out.writeBytes(type.getBytes(StandardCharsets.US_ASCII));
    for (byte[] part : body) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** Big-endian 32-bit values, concatenated. */
  public static byte[] u32(long... values) {
    byte[] b = new byte[values.length * 4];
    for (int i = 0; i < values.length; i++) {
      long v = values[i];
      b[4 * i] = (byte) (v >>> 24);
      b[4 * i + 1] = (byte) (v >>> 16);
      b[4 * i + 2] = (byte) (v >>> 8);
      b[4 * i + 3] = (byte) v;
    }
    return b;
  }

  /** Concatenates byte arrays. */
  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
