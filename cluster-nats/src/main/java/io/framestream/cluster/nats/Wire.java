package io.framestream.cluster.nats;

import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The bridge's wire format: subject and key names for a channel, the metadata a frame or a status carries
 * (as NATS headers on the live subject, and in a small text envelope in the key-value bucket), and
 * checked parsing of both. Everything that arrives from NATS goes through {@link #parse(Map)}, which
 * throws {@link WireException} and nothing else for bad input.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; {@link Meta} is immutable.
 */
final class Wire {

  static final String STREAM = "Fs-Stream";
  static final String SEQ = "Fs-Seq";
  static final String KIND = "Fs-Kind";
  static final String TYPE = "Fs-Type";
  static final String CAPTURE = "Fs-Capture";
  static final String SENT = "Fs-Sent";
  static final String WIDTH = "Fs-Width";
  static final String HEIGHT = "Fs-Height";
  static final String CODEC = "Fs-Codec";
  static final String CHUNK = "Fs-Chunk";
  static final String STATUS = "Fs-Status";
  /** On a want message: the node whose viewers want the channel. */
  static final String NODE = "Fs-Node";

  /** Status values. */
  static final String ONLINE = "online";
  static final String OFFLINE = "offline";

  /** The most chunks one frame may be split into. */
  static final int MAX_CHUNKS = 4096;

  private static final byte[] ENVELOPE_MAGIC = "FS1\n".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_ENVELOPE_HEADER = 4096;

  private Wire() {}

  /**
   * Encodes a channel name as one token usable in a NATS subject and in a key-value key: letters, digits,
   * {@code _} and {@code -} stay, anything else (in a valid channel name only {@code .}) becomes {@code =}
   * and two hex digits. The mapping is one to one.
   */
  static String token(String channel) {
    StringBuilder sb = new StringBuilder(channel.length() + 8);
    for (int i = 0; i < channel.length(); i++) {
      char c = channel.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
        sb.append(c);
      } else {
        sb.append('=').append(String.format(Locale.ROOT, "%02X", (int) c & 0xFF));
      }
    }
    return sb.toString();
  }

  /** Decodes {@link #token(String)}; returns null for a token no channel name maps to. */
  static String channelOf(String token) {
    StringBuilder sb = new StringBuilder(token.length());
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c == '=') {
        if (i + 2 >= token.length()) {
          return null;
        }
        try {
          sb.append((char) Integer.parseInt(token.substring(i + 1, i + 3), 16));
        } catch (NumberFormatException e) {
          return null;
        }
        i += 2;
      } else {
        sb.append(c);
      }
    }
    String name = sb.toString();
    return io.framestream.core.ChannelNames.isValid(name) && token(name).equals(token) ? name : null;
  }

  /** What one message or key-value entry says. Fields not present are 0 / "" / null. */
  record Meta(String stream, long seq, FrameKind kind, String status, String contentType, Instant capture,
      long sentMicros, int width, int height, String codec, int chunkIndex, int chunkCount) {

    boolean isStatus() {
      return status != null;
    }

    /** The node part of the stream id ({@code node/epoch}). */
    String node() {
      int slash = stream.indexOf('/');
      return slash < 0 ? stream : stream.substring(0, slash);
    }

    /** Builds the local frame for a complete payload (copied by the builder). */
    Frame toFrame(byte[] payload, String origin) {
      Frame.Builder b = Frame.builder(payload).contentType(contentType).kind(kind).captureTime(capture)
          .origin(origin);
      if (width > 0 && height > 0) {
        b.dimensions(width, height);
      }
      if (!codec.isEmpty()) {
        b.codec(codec);
      }
      return b.build();
    }
  }

  /** The metadata of a frame (without chunk fields). */
  static Map<String, String> frameFields(String stream, Frame f) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put(STREAM, stream);
    h.put(SEQ, Long.toString(f.sequence()));
    h.put(KIND, f.kind().name());
    h.put(TYPE, f.contentType());
    h.put(CAPTURE, f.captureTime().toString());
    h.put(SENT, Long.toString(nowMicros()));
    f.width().ifPresent(w -> h.put(WIDTH, Integer.toString(w)));
    f.height().ifPresent(v -> h.put(HEIGHT, Integer.toString(v)));
    f.codec().ifPresent(c -> h.put(CODEC, c));
    return h;
  }

  /** The metadata of a status message. */
  static Map<String, String> statusFields(String stream, String status) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put(STREAM, stream);
    h.put(STATUS, status);
    h.put(SENT, Long.toString(nowMicros()));
    return h;
  }

  static long nowMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  /** Parses and checks metadata from outside. */
  static Meta parse(Map<String, String> h) throws WireException {
    String stream = h.get(STREAM);
    if (stream == null || stream.isEmpty() || stream.length() > 80 || !printable(stream)
        || stream.indexOf('"') >= 0 || stream.indexOf('\'') >= 0 || stream.indexOf(';') >= 0) {
      throw new WireException("missing or bad " + STREAM);
    }
    long sent = optLong(h, SENT, 0, Long.MAX_VALUE);
    String status = h.get(STATUS);
    if (status != null) {
      if (!status.equals(ONLINE) && !status.equals(OFFLINE)) {
        throw new WireException("unknown status '" + clip(status) + "'");
      }
      return new Meta(stream, 0, null, status, "", null, sent, 0, 0, "", 0, 1);
    }
    long seq = optLong(h, SEQ, 1, Long.MAX_VALUE);
    if (seq == 0) {
      throw new WireException("missing " + SEQ);
    }
    FrameKind kind;
    try {
      kind = FrameKind.valueOf(require(h, KIND));
    } catch (IllegalArgumentException e) {
      throw new WireException("unknown kind '" + clip(h.get(KIND)) + "'");
    }
    String type = require(h, TYPE);
    try {
      type = ContentTypes.requireValid(type);
    } catch (IllegalArgumentException e) {
      throw new WireException("bad content type '" + clip(type) + "'");
    }
    Instant capture;
    try {
      capture = Instant.parse(require(h, CAPTURE));
    } catch (DateTimeParseException e) {
      throw new WireException("bad " + CAPTURE);
    }
    int width = (int) optLong(h, WIDTH, 1, Frame.MAX_DIMENSION);
    int height = (int) optLong(h, HEIGHT, 1, Frame.MAX_DIMENSION);
    String codec = h.getOrDefault(CODEC, "");
    if (codec.length() > Frame.MAX_CODEC_LENGTH || !printable(codec) || codec.indexOf('"') >= 0
        || codec.indexOf(';') >= 0 || codec.indexOf('\'') >= 0) {
      throw new WireException("bad " + CODEC);
    }
    int index = 0;
    int count = 1;
    String chunk = h.get(CHUNK);
    if (chunk != null) {
      int slash = chunk.indexOf('/');
      try {
        index = Integer.parseInt(chunk.substring(0, Math.max(0, slash)));
        count = Integer.parseInt(chunk.substring(slash + 1));
      } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
        throw new WireException("bad " + CHUNK + " '" + clip(chunk) + "'");
      }
      if (count < 1 || count > MAX_CHUNKS || index < 0 || index >= count) {
        throw new WireException("bad " + CHUNK + " '" + clip(chunk) + "'");
      }
    }
    return new Meta(stream, seq, kind, null, type, capture, sent, width, height, codec, index, count);
  }

  /**
   * Wraps fields and a payload into one key-value entry: {@code FS1\n}, one {@code Name: value} line per
   * field, an empty line, then the payload bytes.
   */
  static byte[] envelope(Map<String, String> fields, byte[] payload, int offset, int length) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(length + 256);
    out.writeBytes(ENVELOPE_MAGIC);
    for (Map.Entry<String, String> e : fields.entrySet()) {
      out.writeBytes((e.getKey() + ": " + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    out.write('\n');
    out.write(payload, offset, length);
    return out.toByteArray();
  }

  /** An unwrapped key-value entry. */
  record Entry(Map<String, String> fields, byte[] payload) {}

  /** Unwraps {@link #envelope}; throws {@link WireException} for anything else. */
  static Entry unwrap(byte[] value) throws WireException {
    if (value == null || value.length < ENVELOPE_MAGIC.length + 1) {
      throw new WireException("entry too short");
    }
    for (int i = 0; i < ENVELOPE_MAGIC.length; i++) {
      if (value[i] != ENVELOPE_MAGIC[i]) {
        throw new WireException("entry is not a framestream envelope");
      }
    }
    Map<String, String> fields = new LinkedHashMap<>();
    int pos = ENVELOPE_MAGIC.length;
    int limit = Math.min(value.length, ENVELOPE_MAGIC.length + MAX_ENVELOPE_HEADER);
    while (true) {
      int end = pos;
      while (end < limit && value[end] != '\n') {
        end++;
      }
      if (end >= limit) {
        throw new WireException("entry header unterminated or longer than " + MAX_ENVELOPE_HEADER + " bytes");
      }
      if (end == pos) {
        pos++;
        break;
      }
      String line = new String(value, pos, end - pos, StandardCharsets.UTF_8);
      int colon = line.indexOf(": ");
      if (colon <= 0) {
        throw new WireException("bad entry header line");
      }
      fields.put(line.substring(0, colon), line.substring(colon + 2));
      pos = end + 1;
    }
    byte[] payload = new byte[value.length - pos];
    System.arraycopy(value, pos, payload, 0, payload.length);
    return new Entry(fields, payload);
  }

  private static String require(Map<String, String> h, String name) throws WireException {
    String v = h.get(name);
    if (v == null || v.isEmpty()) {
      throw new WireException("missing " + name);
    }
    return v;
  }

  private static long optLong(Map<String, String> h, String name, long min, long max) throws WireException {
    String v = h.get(name);
    if (v == null) {
      return 0;
    }
    try {
      long n = Long.parseLong(v);
      if (n < min || n > max) {
        throw new WireException(name + " out of range");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new WireException("bad " + name + " '" + clip(v) + "'");
    }
  }

  private static boolean printable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  private static String clip(String s) {
    if (s == null) {
      return "";
    }
    String t = s.length() > 40 ? s.substring(0, 40) + "…" : s;
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return sb.toString();
  }

  /** Bad input from NATS: the message or entry is dropped and counted. */
  static final class WireException extends Exception {
    private static final long serialVersionUID = 1L;

    WireException(String message) {
      super(message, null, false, false);
    }
  }
}
