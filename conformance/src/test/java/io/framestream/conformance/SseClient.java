package io.framestream.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import io.framestream.transport.sse.internal.EventStreamParser;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * An SSE viewer on the JDK's {@code HttpClient} (HTTP/1.1), parsing the stream with the library's WHATWG
 * parser, one chunk of the body at a time.
 */
final class SseClient extends HttpStreamClient {

  private static final int MAX = 64 << 20;

  private final EventStreamParser parser = new EventStreamParser(this::onEvent, MAX, MAX);

  private SseClient() {}

  /** Opens {@code GET uri} with extra headers (name, value, ...); fails unless the answer is 200 within 15 s. */
  static SseClient connect(URI uri, String... headers) {
    return connect(new SseClient(), uri, "text/event-stream", headers);
  }

  private void onEvent(String type, String data, String lastEventId) {
    if (type.equals("data")) {
      Frame f = DataUris.decode(data, MAX).build();
      add(ViewerEvent.frame(f.copyPayload(), f.contentType()));
    } else if (type.equals("status")) {
      add(ViewerEvent.status(json(data)));
    } else if (type.equals("init")) {
      JsonNode init = json(data);
      add(ViewerEvent.description(init));
      if (init.hasNonNull("initSegment")) { // a video INIT frame travels inside its init event
        add(ViewerEvent.frame(Base64.getDecoder().decode(init.get("initSegment").asText()),
            init.path("contentType").asText(null)));
      }
    }
  }

  @Override
  void feed(ByteBuffer chunk) {
    parser.feed(chunk);
  }
}
