package io.framestream.core;

import java.util.Base64;
import java.util.Objects;
import java.util.function.Consumer;
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
  /** Told a frame's value once the frame left its channel; null for most encodings. */
  private final Consumer<? super T> onRetire;

  private FrameEncoding(String name, Function<? super Frame, ? extends T> encoder, Consumer<? super T> onRetire) {
    this.name = name;
    this.encoder = encoder;
    this.onRetire = onRetire;
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
    return new FrameEncoding<>(Objects.requireNonNull(name, "name"), Objects.requireNonNull(encoder, "encoder"), null);
  }

  /**
   * Creates an encoding whose values hold something that should go back to a pool once the frame is no
   * longer needed for new sends (pooled native memory, say; see {@link DirectMessage}). {@code onRetire} is
   * called at most once per frame with its cached value: when the channel that published the frame no
   * longer holds it (a newer frame replaced it and the late-joiner cache does not keep it, or the channel
   * closed), or at once if the value is computed after that. Frames that never pass through a channel are
   * never retired.
   *
   * <p>Retiring is a hint, not the end of the value's use: a frame can still wait in a viewer's queue, or be
   * in a socket's write queue, and may still be asked for the encoding afterwards. A value must therefore
   * guard its own resources (with reference counts, as {@link DirectMessage} does) and stay safe to use, if
   * only to say that it can no longer serve.
   *
   * @param name a short name for diagnostics
   * @param encoder computes the encoded value; must not return {@code null}
   * @param onRetire told the value when the frame is retired; must not block or throw
   * @param <T> the encoded type
   * @return a new encoding
   * @throws NullPointerException if an argument is {@code null}
   * @since 0.4.0
   */
  public static <T> FrameEncoding<T> of(String name, Function<? super Frame, ? extends T> encoder,
      Consumer<? super T> onRetire) {
    return new FrameEncoding<>(Objects.requireNonNull(name, "name"), Objects.requireNonNull(encoder, "encoder"),
        Objects.requireNonNull(onRetire, "onRetire"));
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

  /** Tells whether values of this encoding want to hear that their frame was retired. */
  boolean retires() {
    return onRetire != null;
  }

  @SuppressWarnings("unchecked") // value came from this encoding's encoder (Frame's cache keys by encoding)
  void retired(Object value) {
    if (onRetire != null) {
      ((Consumer<Object>) onRetire).accept(value);
    }
  }

  @Override
  public String toString() {
    return "FrameEncoding[" + name + "]";
  }
}
