package io.framestream.edge;

import java.nio.charset.StandardCharsets;

/**
 * The one error body every entry point answers with: {@code {"error":"<message>"}} as UTF-8 JSON, for
 * HTTP refusals of handshakes, SSE requests, HTTP publishing and the API alike.
 *
 * <p>The message is escaped as a JSON string (quotes, backslashes and control characters), so that a
 * channel name or header a peer sent can never break the body's syntax.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 *
 * @since 0.3.0
 */
public final class ErrorBody {

  /** The content type of the body. */
  public static final String CONTENT_TYPE = "application/json";

  private ErrorBody() {}

  /**
   * Returns the JSON text of an error body.
   *
   * @param message the error text ({@code null} is written as an empty string)
   * @return {@code {"error":"..."}}
   */
  public static String json(String message) {
    StringBuilder out = new StringBuilder(16 + (message == null ? 0 : message.length()));
    out.append("{\"error\":");
    quote(message == null ? "" : message, out);
    return out.append('}').toString();
  }

  /**
   * Returns the UTF-8 bytes of an error body.
   *
   * @param message the error text
   * @return the body's bytes
   */
  public static byte[] bytes(String message) {
    return json(message).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Shows text a peer sent (a method, a query value, an origin) inside an error message: in single quotes,
   * at most {@code maxChars} characters (then {@code ...}), anything but printable ASCII as {@code \\uXXXX}.
   * What a peer sends can then never forge a log line or a header, however it is spelled.
   *
   * @param peerText the text, or {@code null}
   * @param maxChars how many characters to show, at least 1
   * @return the quoted text; {@code ''} for {@code null}
   */
  public static String shown(String peerText, int maxChars) {
    if (peerText == null) {
      return "''";
    }
    int n = Math.min(peerText.length(), Math.max(1, maxChars));
    StringBuilder sb = new StringBuilder(n + 8).append('\'');
    for (int i = 0; i < n; i++) {
      char c = peerText.charAt(i);
      if (c >= 0x20 && c < 0x7f) {
        sb.append(c);
      } else {
        sb.append(String.format("\\u%04x", (int) c));
      }
    }
    return sb.append(peerText.length() > n ? "...'" : "'").toString();
  }

  /**
   * Appends a string as a JSON string literal, escaping what JSON requires.
   *
   * @param s the string
   * @param out where to append it
   */
  public static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }
}
