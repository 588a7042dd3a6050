package io.framestream.core;

import java.util.Base64;
import java.util.Objects;
import java.util.function.Function;

/**
 * A named, derived wire form of a {@link Frame} (base64 text, a data URI, an SSE event's bytes, a
 * pre-built WebSocket frame, ...), computed at most once per frame and cached on it.
 *
 * <p>Encodings are compared by identity: create each one once, as a constant, and reuse it. {@link
 * Frame#encoded(FrameEncoding)} runs the encoder the first time any thread asks a given frame for it; all
 * other callers, concurrent or later, get the same instance. The encoder must be a pure function of the
 * frame, must not block, and may itself ask the frame for other encodings.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe. The encoder function may be called from any thread, but never twice for the
 * same frame.
 *
 * @param <T> the type of the encoded value; it should be immutable or never mutated once built
 * @since 0.1.0
 */
public final class FrameEncoding<T> {

  /** The payload as standard base64 (RFC 4648, with padding, no line breaks). */
  public static final FrameEncoding<String> BASE64 =
      of("base64", frame -> Base64.getEncoder().encodeToString(frame.payloadArrayUnsafe()));

  /**
   * The frame as a {@code data:} URI: {@code data:<content type>;base64,<payload>}, exactly what a browser
   * accepts as {@code img.src}. Shares the cached {@link #BASE64} text.
   */
  public static final FrameEncoding<String> DATA_URI =
      of("data-uri", frame -> "data:" + frame.contentType() + ";base64," + frame.encoded(BASE64));

  private final String name;
  private final Function<? super Frame, ? extends T> encoder;

  private FrameEncoding(String name, Function<? super Frame, ? extends T> encoder) {
    this.name = name;
    this.encoder = encoder;
  }

  /**
   * Creates an encoding. Call this once and keep the result in a constant: two encodings created from the
   * same arguments are still different cache keys.
   *
   * @param name a short name for diagnostics
   * @param encoder computes the encoded value; must not return {@code null}
   * @param <T> the encoded type
   * @return a new encoding
   * @throws NullPointerException if an argument is {@code null}
   */
  public static <T> FrameEncoding<T> of(String name, Function<? super Frame, ? extends T> encoder) {
    return new FrameEncoding<>(Objects.requireNonNull(name, "name"), Objects.requireNonNull(encoder, "encoder"));
  }

  /**
   * Returns this encoding's name.
   *
   * @return the name given at creation
   */
  public String name() {
    return name;
  }

  T encode(Frame frame) {
    T value = encoder.apply(frame);
    if (value == null) {
      throw new NullPointerException("encoding '" + name + "' returned null");
    }
    return value;
  }

  @Override
  public String toString() {
    return "FrameEncoding[" + name + "]";
  }
}
