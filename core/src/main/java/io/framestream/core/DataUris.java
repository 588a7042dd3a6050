package io.framestream.core;

import java.util.Base64;
import java.util.Locale;
import java.util.Objects;

/**
 * Decodes {@code data:} URIs (RFC 2397) of the form a canvas {@code toDataURL()} produces: {@code
 * data:<media type>;base64,<payload>}.
 *
 * <p>Only base64 payloads are accepted (frames are binary); the media type must be a valid content type.
 * The decoded size is checked against the limit before anything is decoded, so an oversized URI costs no
 * allocation beyond the text the caller already holds.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 *
 * @since 0.1.0
 */
public final class DataUris {

  private static final byte[] NONE = {};

  private static final String SCHEME = "data:";
  private static final String BASE64 = ";base64";

  private DataUris() {}

  /**
   * Tells whether a text looks like a data URI (starts with {@code data:}, ignoring case).
   *
   * @param text any text
   * @return {@code true} if it starts with the {@code data:} scheme
   */
  public static boolean isDataUri(CharSequence text) {
    return text != null && text.length() >= SCHEME.length()
        && text.subSequence(0, SCHEME.length()).toString().equalsIgnoreCase(SCHEME);
  }

  /**
   * Returns the largest data-URI text that can carry a payload of {@code maxBytes}: the base64 expansion
   * plus room for the header.
   *
   * @param maxBytes the payload limit
   * @return the text length limit
   */
  public static long maxTextLength(long maxBytes) {
    return base64Length(maxBytes) + ContentTypes.MAX_LENGTH + SCHEME.length() + BASE64.length() + 1;
  }

  /**
   * Returns the length of the standard, padded base64 of {@code bytes} bytes (RFC 4648 §4): four characters for
   * every three bytes or part of three. The one formula every encoder that sizes a base64 message uses.
   *
   * @param bytes a byte count, at least 0
   * @return {@code 4 * ceil(bytes / 3)}
   * @throws IllegalArgumentException if {@code bytes} is negative or the result would overflow a {@code long}
   * @since 0.4.0
   */
  public static long base64Length(long bytes) {
    if (bytes < 0 || bytes > Long.MAX_VALUE / 4 * 3) {
      throw new IllegalArgumentException("byte count out of range: " + bytes);
    }
    return (bytes + 2) / 3 * 4;
  }

  /**
   * Decodes a data URI into a frame builder with its content type and payload set (kind {@code KEY}).
   *
   * @param uri the data URI
   * @param maxBytes the largest payload accepted
   * @return a builder holding the decoded payload
   * @throws NullPointerException if {@code uri} is {@code null}
   * @throws FrameCodecException if the URI is malformed, names no valid media type, is not base64, or its
   *     base64 is invalid; the message says which
   * @throws LimitExceededException if the payload would be larger than {@code maxBytes}
   */
  public static Frame.Builder decode(String uri, int maxBytes) {
    Objects.requireNonNull(uri, "uri");
    if (!isDataUri(uri)) {
      throw new FrameCodecException("malformed data URI: does not start with 'data:'");
    }
    int comma = uri.indexOf(',');
    if (comma < 0 || comma > SCHEME.length() + ContentTypes.MAX_LENGTH + BASE64.length()) {
      throw new FrameCodecException("malformed data URI: no ',' after a media type of at most "
          + ContentTypes.MAX_LENGTH + " characters");
    }
    String header = uri.substring(SCHEME.length(), comma);
    if (!header.toLowerCase(Locale.ROOT).endsWith(BASE64)) {
      throw new FrameCodecException("malformed data URI: only ';base64' data URIs are supported");
    }
    String mediaType = header.substring(0, header.length() - BASE64.length());
    String contentType;
    try {
      contentType = ContentTypes.requireValid(mediaType);
    } catch (IllegalArgumentException e) {
      throw new FrameCodecException("malformed data URI: " + e.getMessage(), e);
    }
    int encodedLength = uri.length() - comma - 1;
    // Refused before decoding only when certainly too big: base64 padding takes up to 2 bytes off the
    // 3 per 4 characters, so a payload of exactly maxBytes passes whatever its length modulo 3.
    long decodedAtLeast = (long) encodedLength / 4 * 3 - 2;
    if (decodedAtLeast > maxBytes) {
      throw new LimitExceededException("data URI payload of at least " + decodedAtLeast
          + " bytes exceeds the limit of " + maxBytes + " bytes (maxFrameBytes)");
    }
    byte[] payload;
    try {
      payload = Base64.getDecoder().decode(uri.substring(comma + 1));
    } catch (IllegalArgumentException e) {
      throw new FrameCodecException("malformed data URI: invalid base64 (" + e.getMessage() + ")", e);
    }
    if (payload.length > maxBytes) {
      throw new LimitExceededException("data URI payload of " + payload.length
          + " bytes exceeds the limit of " + maxBytes + " bytes (maxFrameBytes)");
    }
    return Frame.builder(NONE).adoptPayload(payload).contentType(contentType); // our own decode: no copy
  }
}
