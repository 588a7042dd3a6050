package io.framestream.core;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Content-type helpers: validation of MIME types and recognition of common frame formats from their first
 * bytes ("magic numbers").
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; every method is thread-safe.
 *
 * @since 0.1.0
 */
public final class ContentTypes {

  /** {@code image/jpeg}. */
  public static final String JPEG = "image/jpeg";
  /** {@code image/png}. */
  public static final String PNG = "image/png";
  /** {@code image/webp}. */
  public static final String WEBP = "image/webp";
  /** {@code image/gif}. */
  public static final String GIF = "image/gif";
  /** {@code video/mp4}, used for fragmented-MP4 init segments and fragments. */
  public static final String MP4 = "video/mp4";
  /** {@code application/octet-stream}, the type of bytes of no known format. */
  public static final String OCTET_STREAM = "application/octet-stream";

  /** The longest content type accepted. */
  public static final int MAX_LENGTH = 255;

  private ContentTypes() {}

  /**
   * Checks that a content type has the form {@code type/subtype[;parameters]}, with no control characters,
   * and returns it with the type and subtype in lower case.
   *
   * @param type the content type
   * @return the normalised content type
   * @throws NullPointerException if {@code type} is {@code null}
   * @throws IllegalArgumentException if it is malformed, naming what is wrong
   */
  public static String requireValid(String type) {
    Objects.requireNonNull(type, "contentType");
    if (type.isEmpty() || type.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("content type must be 1.." + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < type.length(); i++) {
      char c = type.charAt(i);
      if (c < 0x20 || c >= 0x7f) {
        throw new IllegalArgumentException("content type has a control or non-ASCII character at index " + i);
      }
    }
    int semicolon = type.indexOf(';');
    String essence = (semicolon < 0 ? type : type.substring(0, semicolon)).trim();
    int slash = essence.indexOf('/');
    if (slash <= 0
        || slash == essence.length() - 1
        || essence.indexOf('/', slash + 1) >= 0
        || !isToken(essence, 0, slash)
        || !isToken(essence, slash + 1, essence.length())) {
      throw new IllegalArgumentException("content type must look like type/subtype: '" + type + "'");
    }
    String lower = essence.toLowerCase(Locale.ROOT);
    return semicolon < 0 ? lower : lower + type.substring(semicolon);
  }

  private static boolean isToken(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$&-^_.+".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * Recognises JPEG, PNG, WebP, GIF and MP4 (ISO BMFF boxes such as {@code ftyp}, {@code moof}, {@code
   * styp}) from the first bytes of a payload. The buffer's position is not changed.
   *
   * @param payload the bytes, starting at the buffer's position
   * @return the content type, or empty when the format is not recognised
   * @throws NullPointerException if {@code payload} is {@code null}
   */
  public static Optional<String> sniff(ByteBuffer payload) {
    ByteBuffer b = payload.duplicate();
    int p = b.position();
    int n = b.remaining();
    if (n >= 3 && u(b, p) == 0xFF && u(b, p + 1) == 0xD8 && u(b, p + 2) == 0xFF) {
      return Optional.of(JPEG);
    }
    if (n >= 8 && u(b, p) == 0x89 && ascii(b, p + 1, "PNG") && u(b, p + 4) == 0x0D
        && u(b, p + 5) == 0x0A && u(b, p + 6) == 0x1A && u(b, p + 7) == 0x0A) {
      return Optional.of(PNG);
    }
    if (n >= 12 && ascii(b, p, "RIFF") && ascii(b, p + 8, "WEBP")) {
      return Optional.of(WEBP);
    }
    if (n >= 6 && (ascii(b, p, "GIF87a") || ascii(b, p, "GIF89a"))) {
      return Optional.of(GIF);
    }
    if (n >= 8) {
      for (String box : new String[] {"ftyp", "styp", "moof", "moov", "sidx", "emsg", "free", "mdat"}) {
        if (ascii(b, p + 4, box)) {
          return Optional.of(MP4);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Recognises the format of a byte array; see {@link #sniff(ByteBuffer)}.
   *
   * @param payload the bytes
   * @return the content type, or empty when the format is not recognised
   * @throws NullPointerException if {@code payload} is {@code null}
   */
  public static Optional<String> sniff(byte[] payload) {
    return sniff(ByteBuffer.wrap(payload));
  }

  /**
   * Tells whether MP4 bytes start an init segment: their first box is {@code ftyp} or {@code moov}. The
   * buffer's position is not changed.
   *
   * @param payload the bytes, starting at the buffer's position
   * @return {@code true} for an init segment
   * @throws NullPointerException if {@code payload} is {@code null}
   */
  public static boolean isMp4InitSegment(ByteBuffer payload) {
    ByteBuffer b = payload.duplicate();
    int p = b.position();
    return b.remaining() >= 8 && (ascii(b, p + 4, "ftyp") || ascii(b, p + 4, "moov"));
  }

  private static int u(ByteBuffer b, int i) {
    return b.get(i) & 0xFF;
  }

  private static boolean ascii(ByteBuffer b, int at, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (b.get(at + i) != (byte) s.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
