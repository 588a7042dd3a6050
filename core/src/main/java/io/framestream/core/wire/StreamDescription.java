package io.framestream.core.wire;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import java.util.ArrayList;
import java.util.List;

/**
 * What a server's {@code init} message says about the frames that follow (content type, width and height,
 * codec), checked the way a server checks a publisher's description. Clients (the WebSocket and SSE frame
 * sources) never trust a server: a value out of range, of the wrong JSON type or with control characters
 * is dropped (the frames then carry no such value, or {@code application/octet-stream} for the type) and
 * reported in {@link #rejected()}; nothing here throws on what a server sends. Internal; not API.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe.
 */
public final class StreamDescription {

  /** No description yet: {@code application/octet-stream}, no dimensions, no codec. */
  public static final StreamDescription NONE =
      new StreamDescription(ContentTypes.OCTET_STREAM, 0, 0, "", List.of());

  /** The longest part of a rejected value quoted in {@link #rejected()}. */
  private static final int QUOTE_LIMIT = 40;

  private final String contentType;
  private final int width;
  private final int height;
  private final String codec;
  private final List<String> rejected;

  private StreamDescription(String contentType, int width, int height, String codec, List<String> rejected) {
    this.contentType = contentType;
    this.width = width;
    this.height = height;
    this.codec = codec;
    this.rejected = rejected;
  }

  /**
   * Reads the description fields of a server's {@code init} message; every other field is ignored.
   * Absent (or {@code null}) fields mean "unknown"; invalid ones are dropped and listed in {@link
   * #rejected()}. Width and height go together: if either is invalid, neither is kept.
   *
   * @param init the parsed message, any JSON value (a non-object describes nothing)
   * @return the checked description; never throws for any input
   */
  public static StreamDescription fromInit(JsonNode init) {
    if (init == null || !init.isObject()) {
      return NONE;
    }
    List<String> rejected = new ArrayList<>(0);
    String type = ContentTypes.OCTET_STREAM;
    JsonNode t = init.get("contentType");
    if (present(t)) {
      try {
        type = ContentTypes.requireValid(t.isTextual() ? t.asText() : "");
      } catch (IllegalArgumentException e) {
        rejected.add("contentType " + quote(t));
      }
    }
    int w = dimension(init.get("width"), "width", rejected);
    int h = dimension(init.get("height"), "height", rejected);
    if (w == 0 || h == 0) {
      w = 0;
      h = 0;
    }
    String c = "";
    JsonNode cn = init.get("codec");
    if (present(cn)) {
      try {
        String v = cn.isTextual() ? cn.asText() : "";
        Frame.builder(new byte[0]).codec(v); // the check a frame's codec passes
        c = v;
      } catch (IllegalArgumentException e) {
        rejected.add("codec " + quote(cn));
      }
    }
    return new StreamDescription(type, w, h, c, rejected.isEmpty() ? List.of() : List.copyOf(rejected));
  }

  private static boolean present(JsonNode n) {
    return n != null && !n.isNull() && !n.isMissingNode();
  }

  /** 1 to {@link Frame#MAX_DIMENSION}, as an integral JSON number; 0 when absent or rejected. */
  private static int dimension(JsonNode n, String name, List<String> rejected) {
    if (!present(n)) {
      return 0;
    }
    if (n.isIntegralNumber() && n.canConvertToInt()) {
      int v = n.intValue();
      if (v >= 1 && v <= Frame.MAX_DIMENSION) {
        return v;
      }
    }
    rejected.add(name + " " + quote(n));
    return 0;
  }

  /** The value as JSON text, shortened, with anything outside printable ASCII escaped. */
  private static String quote(JsonNode n) {
    String s = n.toString();
    StringBuilder sb = new StringBuilder(Math.min(s.length(), QUOTE_LIMIT) + 8);
    for (int i = 0; i < s.length() && i < QUOTE_LIMIT; i++) {
      char ch = s.charAt(i);
      if (ch < 0x20 || ch >= 0x7f) {
        sb.append(String.format("\\u%04x", (int) ch));
      } else {
        sb.append(ch);
      }
    }
    if (s.length() > QUOTE_LIMIT) {
      sb.append("...");
    }
    return sb.toString();
  }

  /**
   * Sets the known dimensions and codec on a frame being built (the content type is the caller's: a data
   * URI brings its own).
   *
   * @param b the builder
   * @return {@code b}
   */
  public Frame.Builder describe(Frame.Builder b) {
    if (width > 0) {
      b.dimensions(width, height);
    }
    if (!codec.isEmpty()) {
      b.codec(codec);
    }
    return b;
  }

  /**
   * Returns the content type.
   *
   * @return a valid, normalised content type; {@code application/octet-stream} when unknown
   */
  public String contentType() {
    return contentType;
  }

  /**
   * Returns the width.
   *
   * @return 1 to {@link Frame#MAX_DIMENSION}, or 0 when unknown
   */
  public int width() {
    return width;
  }

  /**
   * Returns the height.
   *
   * @return 1 to {@link Frame#MAX_DIMENSION}, or 0 when unknown
   */
  public int height() {
    return height;
  }

  /**
   * Returns the codec.
   *
   * @return a codec string {@link Frame.Builder#codec(String)} accepts, or {@code ""} when unknown
   */
  public String codec() {
    return codec;
  }

  /**
   * Returns the values that were dropped, each as its field name and the (shortened, escaped) JSON value.
   *
   * @return an immutable list, empty when every value was valid
   */
  public List<String> rejected() {
    return rejected;
  }

  @Override
  public String toString() {
    return "StreamDescription[" + contentType + (width > 0 ? ", " + width + "x" + height : "")
        + (codec.isEmpty() ? "" : ", codec=" + codec) + (rejected.isEmpty() ? "" : ", rejected=" + rejected)
        + "]";
  }
}
