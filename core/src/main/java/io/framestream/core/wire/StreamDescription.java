package io.framestream.core.wire;

import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.internal.FlatJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The description of a stream that travels as JSON beside its frames: content type, width and height, and
 * codec. The one codec for these fields, wherever they go: a server's {@code init} message to its viewers
 * (written by {@link io.framestream.core.InitMessage}), a publisher's {@code meta} control message, and what
 * the Java clients read back.
 *
 * <p>Reading checks every value as a server checks a publisher's (rule L1): content type as {@link
 * ContentTypes#requireValid(String)}, width and height 1 to {@link Frame#MAX_DIMENSION} as integral JSON
 * numbers and only as a pair, codec as {@link Frame.Builder#codec(String)} accepts it. A value that fails, is
 * of the wrong JSON type, or has a partner missing is dropped and listed in {@link #rejected()}; {@code null}
 * means absent. The JSON itself is read strictly and within bounds (one object, nesting at most 4 deep,
 * integers within a {@code long}, no named member twice).
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe.
 *
 * @since 0.2.0
 */
public final class StreamDescription {

  /** No description: {@code application/octet-stream}, no dimensions, no codec. */
  public static final StreamDescription NONE = new StreamDescription("", "", 0, 0, "", List.of());

  /** The longest part of a rejected value quoted in {@link #rejected()}. */
  private static final int QUOTE_LIMIT = 40;

  private static final String[] MEMBERS = {"type", "contentType", "width", "height", "codec"};

  private final String messageType; // "" when absent
  private final String contentType; // "" when absent
  private final int width;
  private final int height;
  private final String codec; // "" when absent
  private final List<String> rejected;

  private StreamDescription(String messageType, String contentType, int width, int height, String codec,
      List<String> rejected) {
    this.messageType = messageType;
    this.contentType = contentType;
    this.width = width;
    this.height = height;
    this.codec = codec;
    this.rejected = rejected;
  }

  /**
   * Describes a frame: its content type, and its dimensions and codec where it has them.
   *
   * @param frame the frame
   * @return its description
   * @throws NullPointerException if {@code frame} is {@code null}
   */
  public static StreamDescription of(Frame frame) {
    Objects.requireNonNull(frame, "frame");
    int w = frame.width().orElse(0);
    int h = frame.height().orElse(0);
    return new StreamDescription("", frame.contentType(), w > 0 && h > 0 ? w : 0, w > 0 && h > 0 ? h : 0,
        frame.codec().orElse(""), List.of());
  }

  /**
   * Reads the description in a server's {@code init} message as a client does (rule L1): never throws. Every
   * member other than the description's is ignored. Text that is not a JSON object this codec accepts
   * describes nothing and is listed in {@link #rejected()} as one entry.
   *
   * @param json the message text; {@code null} describes nothing
   * @return the checked description
   */
  public static StreamDescription fromInit(String json) {
    if (json == null) {
      return NONE;
    }
    try {
      return parse(json);
    } catch (FrameCodecException e) {
      return new StreamDescription("", "", 0, 0, "", List.of(e.getMessage()));
    }
  }

  /**
   * Reads a description message, such as a publisher's {@code meta} control message, keeping its {@code
   * type} member ({@link #messageType()}). Invalid values are dropped and listed in {@link #rejected()}, as
   * in {@link #fromInit(String)}: a publisher's reader refuses the message when that list is not empty.
   *
   * @param json the message text
   * @return the checked description
   * @throws NullPointerException if {@code json} is {@code null}
   * @throws FrameCodecException if the text is not a JSON object this codec accepts; the message says what
   *     and where
   */
  public static StreamDescription parse(String json) {
    FlatJson.Value[] v;
    try {
      v = FlatJson.read(json, MEMBERS);
    } catch (FlatJson.MalformedJsonException e) {
      throw new FrameCodecException("malformed JSON: " + e.getMessage(), e);
    }
    List<String> rejected = new ArrayList<>(0);
    String type = present(v[0]) && v[0].kind() == FlatJson.Kind.STRING ? v[0].asString() : "";
    String contentType = "";
    if (present(v[1])) {
      try {
        contentType = ContentTypes.requireValid(string(v[1], ContentTypes.MAX_LENGTH));
      } catch (IllegalArgumentException e) {
        rejected.add("contentType " + quote(v[1]));
      }
    }
    int w = dimension(v[2], "width", rejected);
    int h = dimension(v[3], "height", rejected);
    if (w > 0 && !present(v[3])) {
      rejected.add("width " + quote(v[2]) + " without height");
    } else if (h > 0 && !present(v[2])) {
      rejected.add("height " + quote(v[3]) + " without width");
    }
    if (w == 0 || h == 0) {
      w = 0;
      h = 0;
    }
    String codec = "";
    if (present(v[4])) {
      try {
        String c = string(v[4], Frame.MAX_CODEC_LENGTH);
        Frame.builder(new byte[0]).codec(c); // the check a frame's codec passes
        codec = c;
      } catch (IllegalArgumentException e) {
        rejected.add("codec " + quote(v[4]));
      }
    }
    return new StreamDescription(type, contentType, w, h, codec,
        rejected.isEmpty() ? List.of() : List.copyOf(rejected));
  }

  private static boolean present(FlatJson.Value v) {
    return v != null && v.kind() != FlatJson.Kind.NULL;
  }

  /** A string value no longer than max once decoded (its JSON text is at most 6 characters per character). */
  private static String string(FlatJson.Value v, int max) {
    if (v.kind() != FlatJson.Kind.STRING) {
      throw new IllegalArgumentException("not a string");
    }
    if (v.rawLength() > 6 * max + 2) {
      throw new IllegalArgumentException("longer than " + max);
    }
    return v.asString();
  }

  /** 1 to {@link Frame#MAX_DIMENSION}, as an integral JSON number; 0 when absent or rejected. */
  private static int dimension(FlatJson.Value v, String name, List<String> rejected) {
    if (!present(v)) {
      return 0;
    }
    if (v.kind() == FlatJson.Kind.INTEGER && v.asLong() >= 1 && v.asLong() <= Frame.MAX_DIMENSION) {
      return (int) v.asLong();
    }
    rejected.add(name + " " + quote(v));
    return 0;
  }

  /** The value's JSON text, shortened, with anything outside printable ASCII escaped. */
  private static String quote(FlatJson.Value v) {
    String s = v.raw(QUOTE_LIMIT);
    StringBuilder sb = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch < 0x20 || ch >= 0x7f) {
        sb.append(String.format("\\u%04x", (int) ch));
      } else {
        sb.append(ch);
      }
    }
    if (v.rawLength() > QUOTE_LIMIT) {
      sb.append("...");
    }
    return sb.toString();
  }

  /**
   * Writes the description as a JSON object of its known members, in the order {@code contentType}, {@code
   * width}, {@code height}, {@code codec}, such as <code>{"contentType":"video/mp4","width":640,"height":360,
   * "codec":"avc1.42E01E"}</code>.
   *
   * @return the JSON text
   */
  public String toJson() {
    return write(new FlatJson.Writer(96)).toString();
  }

  /**
   * Writes the description as a message of the given type: <code>{"type":"meta","contentType":"image/jpeg",
   * "width":640,"height":360}</code>.
   *
   * @param type the message type, such as {@code meta}
   * @return the JSON text
   * @throws NullPointerException if {@code type} is {@code null}
   */
  public String toJson(String type) {
    return write(new FlatJson.Writer(112).add("type", Objects.requireNonNull(type, "type"))).toString();
  }

  private FlatJson.Writer write(FlatJson.Writer w) {
    if (!contentType.isEmpty()) {
      w.add("contentType", contentType);
    }
    if (width > 0) {
      w.add("width", width).add("height", height);
    }
    if (!codec.isEmpty()) {
      w.add("codec", codec);
    }
    return w;
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
   * Returns the message's {@code type} member, as read by {@link #parse(String)} or {@link
   * #fromInit(String)}.
   *
   * @return the type, or {@code ""} when absent, not a string, or not read from a message
   */
  public String messageType() {
    return messageType;
  }

  /**
   * Returns the content type.
   *
   * @return a valid, normalised content type; {@code application/octet-stream} when unknown
   */
  public String contentType() {
    return contentType.isEmpty() ? ContentTypes.OCTET_STREAM : contentType;
  }

  /**
   * Returns the content type the message named, if it named a valid one.
   *
   * @return the normalised content type, or empty when absent or rejected
   */
  public Optional<String> declaredContentType() {
    return contentType.isEmpty() ? Optional.empty() : Optional.of(contentType);
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
   * Returns what was dropped: each invalid value as its member name and its (shortened, escaped) JSON text,
   * or one entry saying why the text as a whole was not accepted.
   *
   * @return an immutable list, empty when every value was valid
   */
  public List<String> rejected() {
    return rejected;
  }

  @Override
  public String toString() {
    return "StreamDescription[" + contentType() + (width > 0 ? ", " + width + "x" + height : "")
        + (codec.isEmpty() ? "" : ", codec=" + codec) + (rejected.isEmpty() ? "" : ", rejected=" + rejected)
        + "]";
  }
}
