package io.framestream.transport.websocket.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import jakarta.websocket.CloseReason;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A publisher's JSON control message: <code>{"type":"meta","contentType":"...","width":W,"height":H,
 * "codec":"..."}</code>, every field but {@code type} optional. {@link #parse(String)} accepts exactly
 * that, or throws {@link Refused} carrying the close code: 1009 (too long), 1003 (not a control message,
 * or an unsupported type), 1007 (malformed JSON or an invalid value).
 *
 * <h2>Thread safety</h2>
 *
 * Immutable; {@link #parse(String)} is thread-safe.
 *
 * @param contentType the announced content type
 * @param width the announced width
 * @param height the announced height
 * @param codec the announced codec
 */
public record ControlMessage(Optional<String> contentType, OptionalInt width, OptionalInt height,
    Optional<String> codec) {

  /** Control messages are small; anything longer that is not a data URI is refused. */
  public static final int MAX_LENGTH = 16 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Why a control message was refused, with the WebSocket close code to answer with.
   *
   * <h2>Thread safety</h2>
   *
   * Effectively immutable once thrown.
   */
  public static final class Refused extends RuntimeException {
    private final transient CloseReason.CloseCode code;

    Refused(CloseReason.CloseCode code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    /**
     * Returns the close code.
     *
     * @return 1003, 1007 or 1009
     */
    public CloseReason.CloseCode code() {
      return code;
    }
  }

  /**
   * Parses and validates a control message.
   *
   * @param text the text message
   * @return the message
   * @throws Refused if it is too long, not JSON, not a {@code meta} message, or has an invalid value
   */
  public static ControlMessage parse(String text) {
    if (text.length() > MAX_LENGTH) {
      throw new Refused(CloseReason.CloseCodes.TOO_BIG, "control message longer than " + MAX_LENGTH + " characters");
    }
    if (!text.startsWith("{")) {
      throw new Refused(CloseReason.CloseCodes.CANNOT_ACCEPT, "text messages must be data: URIs or JSON control messages");
    }
    JsonNode msg;
    try {
      msg = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new Refused(CloseReason.CloseCodes.NOT_CONSISTENT, "malformed JSON control message at column "
          + (e.getLocation() != null ? e.getLocation().getColumnNr() : 0));
    }
    if (msg == null || !msg.isObject() || !"meta".equals(msg.path("type").asText())) {
      throw new Refused(CloseReason.CloseCodes.CANNOT_ACCEPT, "unsupported control message: expected {\"type\":\"meta\",...}");
    }
    try {
      Optional<String> type = Optional.empty();
      if (msg.hasNonNull("contentType")) {
        type = Optional.of(ContentTypes.requireValid(msg.get("contentType").asText()));
      }
      OptionalInt w = OptionalInt.empty();
      OptionalInt h = OptionalInt.empty();
      if (msg.has("width") || msg.has("height")) {
        int width = msg.path("width").asInt(-1);
        int height = msg.path("height").asInt(-1);
        Frame.builder(new byte[0]).dimensions(width, height); // validates
        w = OptionalInt.of(width);
        h = OptionalInt.of(height);
      }
      Optional<String> codec = Optional.empty();
      if (msg.hasNonNull("codec")) {
        String c = msg.get("codec").asText();
        Frame.builder(new byte[0]).codec(c); // validates
        codec = Optional.of(c);
      }
      return new ControlMessage(type, w, h, codec);
    } catch (IllegalArgumentException e) {
      throw new Refused(CloseReason.CloseCodes.NOT_CONSISTENT, "invalid control message: " + e.getMessage());
    }
  }
}
