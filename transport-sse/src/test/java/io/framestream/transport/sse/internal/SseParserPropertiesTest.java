package io.framestream.transport.sse.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.FrameCodecException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

/** The event-stream parser and frame decoder under random and adversarial input. */
class SseParserPropertiesTest {

  private static final int MAX_LINE = 512;
  private static final int MAX_EVENT = 1024;

  @Provide
  Arbitrary<byte[]> eventStreams() {
    Arbitrary<String> piece = Arbitraries.oneOf(
        Arbitraries.of("data: x\n", "data:\n", "event: init\n", "event: data\n", "id: 7\n", "id\n", "retry: 100\n",
            "retry: x\n", ": comment\n", "\n", "\r", "\r\n", "\uFEFF", "data: " + "y".repeat(600) + "\n", "id: a\u0000b\n"),
        Arbitraries.strings().ofMaxLength(40));
    return piece.list().ofMaxSize(60).map(ps -> String.join("", ps).getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> parse(byte[] bytes, int chunk) {
    List<String> events = new ArrayList<>();
    EventStreamParser parser = new EventStreamParser((type, data, id) -> {
      assertTrue(data.length() <= MAX_EVENT, "event data within the bound");
      events.add(type + "|" + data + "|" + id);
    }, MAX_LINE, MAX_EVENT);
    try {
      for (int i = 0; i < bytes.length; i += chunk) {
        parser.feed(bytes, i, Math.min(chunk, bytes.length - i));
      }
      parser.end();
    } catch (FrameCodecException expected) {
      events.add("FAILED");
    }
    return events;
  }

  @Property(tries = 1000)
  void onlyTheDocumentedErrorAndTheSameEventsHoweverTheBytesAreChunked(
      @ForAll("eventStreams") byte[] stream, @ForAll @IntRange(min = 1, max = 13) int chunk) {
    assertEquals(parse(stream, Math.max(1, stream.length)), parse(stream, chunk));
  }

  @Property(tries = 1000)
  void decodingAnyEventGivesAFrameNothingOrTheDocumentedError(
      @ForAll("types") String type, @ForAll @StringLength(max = 300) String data) {
    SseFrameDecoder decoder = new SseFrameDecoder();
    try {
      decoder.decode(type, data);
    } catch (FrameCodecException expected) {
      assertTrue(expected.getMessage() != null);
    }
  }

  @Provide
  Arbitrary<String> types() {
    return Arbitraries.oneOf(Arbitraries.of("init", "data", "status", "", "message"), Arbitraries.strings().ofMaxLength(8));
  }
}
