package io.framestream.transport.sse.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameKind;
import io.framestream.core.wire.FrameIngest;
import io.framestream.core.wire.IngestException;
import io.framestream.core.wire.StreamDescription;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Turns the events of a framestream SSE stream back into frames (client side).
 *
 * <ul>
 *   <li>{@code init}: remembers content type, width, height and codec for the frames that follow; if the
 *       JSON carries an {@code initSegment}, returns it as a {@link FrameKind#INIT} frame.
 *   <li>{@code data}: a data URI ({@code data:<type>;base64,<payload>}) gives type and bytes; anything else
 *       is bare base64 whose type is the last {@code init}'s (or {@code application/octet-stream}).
 *       The SSE wire format does not carry a frame's kind: fragmented-MP4 fragments are {@link
 *       FrameKind#KEY} or {@link FrameKind#DELTA} from their sample flags (read against the newest init
 *       segment), everything else {@link FrameKind#KEY}.
 *   <li>Other event types are ignored.
 * </ul>
 *
 * <p>Payloads go through the one ingest path ({@link FrameIngest}). Malformed JSON, data URIs or base64 raise
 * {@link FrameCodecException} (with the ingest's {@link IngestException} as its cause). The description in an {@code
 * init} event is checked as a server checks a publisher's ({@link StreamDescription}): a content type,
 * width, height or codec value that does not pass is dropped and reported to the {@code onRejected}
 * callback, never fatal (rule L1).
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: used by one stream's parser thread at a time.
 *
 * @since 0.1.0
 */
public final class SseFrameDecoder {

  private static final ObjectMapper JSON = new ObjectMapper();

  // The newest init segment tells keys from deltas; the event size limit bounds what a payload can be.
  private final FrameIngest ingest = new FrameIngest(Integer.MAX_VALUE - 8);
  private final Consumer<List<String>> onRejected;
  private StreamDescription description = StreamDescription.NONE;

  /** Creates a decoder with no stream description yet that ignores rejected description values. */
  public SseFrameDecoder() {
    this(rejected -> { });
  }

  /**
   * Creates a decoder with no stream description yet.
   *
   * @param onRejected told the values of an {@code init} event that were dropped (see {@link
   *     StreamDescription#rejected()}); must not throw
   * @throws NullPointerException if {@code onRejected} is {@code null}
   */
  public SseFrameDecoder(Consumer<List<String>> onRejected) {
    this.onRejected = Objects.requireNonNull(onRejected, "onRejected");
  }

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
    description = StreamDescription.fromInit(data);
    if (!description.rejected().isEmpty()) {
      onRejected.accept(description.rejected());
    }
    JsonNode segment = json.get("initSegment");
    if (segment == null || !segment.isTextual()) {
      return Optional.empty();
    }
    try {
      return Optional.of(description.describe(ingest.initSegment(segment.asText(), description.contentType())).build());
    } catch (IngestException e) {
      throw new FrameCodecException(e.getMessage(), e);
    }
  }

  private Frame data(String data) {
    try {
      // The wire does not say key or delta: the ingest reads it from an MP4 fragment's sample flags.
      Frame.Builder b = DataUris.isDataUri(data) ? ingest.dataUri(data) : ingest.base64(data, description.contentType());
      return description.describe(b).build();
    } catch (IngestException e) {
      throw new FrameCodecException(e.getMessage(), e);
    }
  }
}
