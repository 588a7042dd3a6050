package io.framestream.transport.sse.internal;

import java.util.Locale;
import java.util.Optional;

/**
 * How a {@code data} event carries a frame: as a {@code data:} URI (the default, directly usable as an
 * {@code img.src}) or as bare base64 ({@code ?format=base64}, content type announced by the {@code init}
 * event).
 *
 * <h2>Thread safety</h2>
 *
 * An enum: immutable.
 *
 * @since 0.1.0
 */
public enum SseFormat {
  /** {@code data: data:<type>;base64,<payload>}. */
  DATA_URI("datauri"),
  /** {@code data: <payload as base64>}. */
  BASE64("base64");

  private final String queryValue;

  SseFormat(String queryValue) {
    this.queryValue = queryValue;
  }

  /**
   * Returns the value of the {@code format} query parameter that selects this format.
   *
   * @return the parameter value
   */
  public String queryValue() {
    return queryValue;
  }

  /**
   * Looks up a format by its query value, ignoring case.
   *
   * @param value the {@code format} parameter
   * @return the format, or empty if unknown
   */
  public static Optional<SseFormat> fromQueryValue(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    for (SseFormat f : values()) {
      if (f.queryValue.equals(v)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }
}
