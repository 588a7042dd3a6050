package io.framestream.transport.sse.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.ContentTypes;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.LimitExceededException;
import io.framestream.core.internal.Fmp4Kinds;
import io.framestream.core.FrameKind;
import java.util.Base64;
import java.util.Optional;

/**
 * Turns the events of a framestream SSE stream back into frames (client side).
 *
 * <ul>
 *   <li>{@code init}: remembers content type, width, height and codec for the frames that follow; if the
 *       JSON carries an {@code initSegment}, returns it as a {@link FrameKind#INIT} frame.
 *   <li>{@code data}: a data URI ({@code data:<type>;base64,<payload>}) gives type and bytes; anything else
 *       is bare base64 whose type is the last {@code init}'s (or {@code application/octet-stream}).
 *       Returned as {@link FrameKind#KEY} frames: the SSE wire format does not carry a frame's kind.
 *   <li>Other event types are ignored.
 * </ul>
 *
 * <p>Malformed JSON, data URIs or base64 raise {@link FrameCodecException}. Width, height or codec values
 * out of range are ignored rather than fatal.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: used by one stream's parser thread at a time.
 *
 * @since 0.1.0
 */
public final class SseFrameDecoder {

  private static final ObjectMapper JSON = new ObjectMapper();

  private String contentType = ContentTypes.OCTET_STREAM;
  private final Fmp4Kinds mp4Kinds = new Fmp4Kinds(); // the newest init segment tells keys from deltas
  private int width;
  private int height;
  private String codec = "";

  /** Creates a decoder with no stream description yet. */
  public SseFrameDecoder() {}

  /**
   * Decodes one event.
   *
   * @param type the event type
   * @param data the event data
   * @return a frame, or empty for events that carry none
   * @throws FrameCodecException if the event is malformed
   */
  public Optional<Frame> decode(String type, String data) {
    switch (type) {
      case "init":
        return init(data);
      case "data":
        return Optional.of(data(data));
      default:
        return Optional.empty();
    }
  }

  private Optional<Frame> init(String data) {
    JsonNode json;
    try {
      json = JSON.readTree(data);
    } catch (JsonProcessingException e) {
      throw new FrameCodecException("malformed init event JSON: " + e.getOriginalMessage(), e);
    }
    if (json == null || !json.isObject()) {
      throw new FrameCodecException("the init event's data is not a JSON object");
    }
    JsonNode type = json.get("contentType");
    if (type != null && type.isTextual()) {
      contentType = validType(type.asText());
    } else {
      contentType = ContentTypes.OCTET_STREAM;
    }
    width = dimension(json.get("width"));
    height = dimension(json.get("height"));
    JsonNode c = json.get("codec");
    codec = c != null && c.isTextual() ? c.asText() : "";
    JsonNode segment = json.get("initSegment");
    if (segment == null || !segment.isTextual()) {
      return Optional.empty();
    }
    byte[] bytes = base64(segment.asText(), "initSegment");
    mp4Kinds.initSegment(bytes);
    return Optional.of(build(Frame.builder(bytes).kind(FrameKind.INIT).contentType(contentType)));
  }

  private Frame data(String data) {
    if (DataUris.isDataUri(data)) {
      try {
        return build(DataUris.decode(data, Integer.MAX_VALUE - 8)); // the event size limit bounds it
      } catch (LimitExceededException e) {
        throw new FrameCodecException(e.getMessage(), e);
      }
    }
    return build(Frame.builder(base64(data, "data event")).contentType(contentType));
  }

  private Frame build(Frame.Builder b) {
    Frame probe = b.build();
    if (ContentTypes.MP4.equals(probe.contentType()) && probe.kind() != FrameKind.INIT) {
      // The wire does not say key or delta: read it from the fragment's sample flags.
      mp4Kinds.kindOf(probe.payload(), null).ifPresent(b::kind);
    }
    if (width > 0 && height > 0) {
      b.dimensions(width, height);
    }
    if (!codec.isEmpty()) {
      try {
        b.codec(codec);
      } catch (IllegalArgumentException e) {
        codec = ""; // ignore a malformed codec string
      }
    }
    return b.build();
  }

  private static String validType(String type) {
    try {
      return ContentTypes.requireValid(type);
    } catch (IllegalArgumentException e) {
      throw new FrameCodecException("invalid content type in the stream: " + e.getMessage(), e);
    }
  }

  private static int dimension(JsonNode n) {
    if (n == null || !n.canConvertToInt()) {
      return 0;
    }
    int v = n.asInt();
    return v >= 1 && v <= Frame.MAX_DIMENSION ? v : 0;
  }

  private static byte[] base64(String text, String what) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new FrameCodecException("invalid base64 in the " + what + ": " + e.getMessage(), e);
    }
  }
}
