package io.framestream.transport.sse.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.FrameCodecException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The WHATWG "Interpreting an event stream" rules, one test (or a few) per rule; test names cite the rule.
 */
class EventStreamParserTest {

  /** Records events as {@code type|data|id} and retries as {@code retry=N}. */
  static final class Recorder implements EventStreamParser.Handler {
    final List<String> seen = new ArrayList<>();

    @Override
    public void onEvent(String type, String data, String lastEventId) {
      seen.add(type + "|" + data + "|" + lastEventId);
    }

    @Override
    public void onRetry(long millis) {
      seen.add("retry=" + millis);
    }
  }

  private static List<String> parse(String stream) {
    return parse(stream.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> parse(byte[] stream) {
    Recorder r = new Recorder();
    EventStreamParser p = new EventStreamParser(r, 1 << 20, 1 << 20);
    p.feed(stream, 0, stream.length);
    p.end();
    return r.seen;
  }

  private static List<String> parseInChunks(byte[] stream, int[] chunkSizes) {
    Recorder r = new Recorder();
    EventStreamParser p = new EventStreamParser(r, 1 << 20, 1 << 20);
    int pos = 0;
    int k = 0;
    while (pos < stream.length) {
      int n = Math.min(chunkSizes[k++ % chunkSizes.length], stream.length - pos);
      p.feed(ByteBuffer.wrap(Arrays.copyOfRange(stream, pos, pos + n)).asReadOnlyBuffer());
      pos += n;
    }
    p.end();
    return r.seen;
  }

  // ---- Dispatch ("If the line is empty, dispatch the event")

  @Test
  void emptyLine_dispatchesTheEvent() {
    assertEquals(List.of("message|hello|"), parse("data: hello\n\n"));
  }

  @Test
  void dispatch_withEmptyDataBuffer_dispatchesNothing() {
    assertEquals(List.of(), parse("event: init\n\n: only a comment\n\nid: 3\n\n"));
  }

  @Test
  void dispatch_removesOnlyTheFinalLf_andDataFieldWithoutValueCountsAsData() {
    assertEquals(List.of("message||", "message|\n|"), parse("data\n\ndata\ndata\n\n"));
  }

  @Test
  void data_multipleLinesAreJoinedWithLf() {
    assertEquals(List.of("message|a\nb\n\nc|"), parse("data: a\ndata: b\ndata:\ndata: c\n\n"));
  }

  @Test
  void eventType_defaultsToMessage_andIsResetAfterDispatch() {
    assertEquals(List.of("init|{}|", "message|x|"), parse("event: init\ndata: {}\n\ndata: x\n\n"));
  }

  @Test
  void eventType_isResetAlsoWhenNothingWasDispatched() {
    assertEquals(List.of("message|x|"), parse("event: init\n\ndata: x\n\n"));
  }

  // ---- Line endings

  @Test
  void lineEndings_crLfLfAndCrAllEndALine_inAnyMix() {
    List<String> expected = List.of("message|a|1", "message|b|2", "message|c|3", "message|d\ne|4");
    assertEquals(expected, parse("id: 1\r\ndata: a\r\n\r\nid: 2\ndata: b\n\nid: 3\rdata: c\r\rid: 4\r\n"
        + "data: d\rdata: e\n\r\n"));
  }

  @Test
  void lineEndings_crAtChunkBoundaryFollowedByLfInNextChunk_isOneLineEnd() {
    Recorder r = new Recorder();
    EventStreamParser p = new EventStreamParser(r, 1024, 1024);
    byte[] a = "data: x\r".getBytes(StandardCharsets.US_ASCII);
    byte[] b = "\ndata: y\r".getBytes(StandardCharsets.US_ASCII);
    byte[] c = "\n\r".getBytes(StandardCharsets.US_ASCII);
    byte[] d = "\n".getBytes(StandardCharsets.US_ASCII);
    p.feed(a, 0, a.length);
    p.feed(b, 0, b.length);
    p.feed(c, 0, c.length);
    assertEquals(List.of("message|x\ny|"), r.seen, "CR LF split over chunks must not make an empty line");
    p.feed(d, 0, d.length); // the LF after the final CR belongs to it: no second dispatch
    assertEquals(List.of("message|x\ny|"), r.seen);
  }

  // ---- Comments and fields

  @Test
  void comment_lineStartingWithColonIsIgnored() {
    assertEquals(List.of("message|x|"), parse(": hb\n:\ndata: x\n: another\n\n"));
  }

  @Test
  void field_spaceAfterColonIsStrippedOnce() {
    assertEquals(List.of("message| two|", "message|none|"), parse("data:  two\n\ndata:none\n\n"));
  }

  @Test
  void field_valueMayContainColons() {
    assertEquals(List.of("message|data:image/png;base64,AA==|"),
        parse("data: data:image/png;base64,AA==\n\n"));
  }

  @Test
  void field_lineWithoutColonIsTheFieldNameWithAnEmptyValue() {
    assertEquals(List.of("message||", "message|x|"), parse("data\n\nevent\ndata: x\n\n"));
  }

  @Test
  void field_unknownNamesAreIgnored() {
    assertEquals(List.of("message|x|"), parse("foo: bar\nData: no\ndata: x\nretry2: 5\n\n"));
  }

  @Test
  void id_setsTheLastEventIdOnDispatch_andPersistsAcrossEvents() {
    assertEquals(List.of("message|a|7", "message|b|7", "message|c|"),
        parse("id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"));
  }

  @Test
  void id_containingNulIsIgnored() {
    assertEquals(List.of("message|a|1", "message|b|1"), parse("id: 1\ndata: a\n\nid: 2\u0000x\ndata: b\n\n"));
  }

  @Test
  void id_lastEventIdIsUpdatedEvenWhenNothingIsDispatched() {
    Recorder r = new Recorder();
    EventStreamParser p = new EventStreamParser(r, 1024, 1024);
    byte[] b = "id: 42\n\n".getBytes(StandardCharsets.US_ASCII);
    p.feed(b, 0, b.length);
    assertEquals("42", p.lastEventId());
    assertEquals(List.of(), r.seen);
  }

  @Test
  void retry_onlyAsciiDigitsSetTheReconnectionTime() {
    assertEquals(List.of("retry=1500", "retry=0"),
        parse("retry: 1500\nretry: 15s\nretry: -1\nretry:\nretry: 1.5\nretry: 0\n\n"));
  }

  // ---- Encoding

  @Test
  void bom_oneLeadingByteOrderMarkIsIgnored() {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] body = "data: x\n\n".getBytes(StandardCharsets.UTF_8);
    assertEquals(List.of("message|x|"), parse(concat(bom, body)));
    assertEquals(List.of("message|x|"), parseInChunks(concat(bom, body), new int[] {1}));
  }

  @Test
  void bom_onlyAtTheStartOfTheStream_aSecondOneIsPartOfTheFieldName() {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] body = "data: x\n\n".getBytes(StandardCharsets.UTF_8);
    // The second BOM makes the field "\uFEFFdata", which is unknown: that event has no data.
    assertEquals(List.of("message|x|"), parse(concat(bom, bom, body, body)));
  }

  @Test
  void bom_aPartialBomIsPartOfTheFirstLine() {
    byte[] partial = {(byte) 0xEF, (byte) 0xBB};
    byte[] body = "data: x\n\n".getBytes(StandardCharsets.UTF_8);
    assertEquals(List.of("message|x|"), parse(concat(partial, "\n".getBytes(StandardCharsets.UTF_8), body)));
  }

  @Test
  void utf8_multiByteCharactersSplitOverChunksDecodeCorrectly() {
    byte[] stream = "data: Grüße, 日本 🎥\n\n".getBytes(StandardCharsets.UTF_8);
    assertEquals(List.of("message|Grüße, 日本 🎥|"), parseInChunks(stream, new int[] {1}));
  }

  @Test
  void utf8_invalidSequencesDecodeToReplacementCharacters() {
    byte[] stream = concat("data: a".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xFF, (byte) 0xC3},
        "b\n\n".getBytes(StandardCharsets.UTF_8));
    List<String> seen = parse(stream);
    assertEquals(1, seen.size());
    assertTrue(seen.get(0).startsWith("message|a\uFFFD"), seen.get(0));
  }

  // ---- End of stream

  @Test
  void endOfStream_anIncompleteEventIsDiscarded() {
    assertEquals(List.of("message|a|1"), parse("id: 1\ndata: a\n\nid: 2\ndata: b\n"));
  }

  @Test
  void endOfStream_anUnterminatedLastLineIsDiscarded() {
    assertEquals(List.of("message|a|", "message|b|"), parse("data: a\n\ndata: b\n\ndata: c"));
    assertEquals(List.of("message|a|"), parse("data: a\n\ndata: b\n"));
  }

  @Test
  void endOfStream_resetsForTheNextStreamButKeepsTheLastEventId() {
    Recorder r = new Recorder();
    EventStreamParser p = new EventStreamParser(r, 1024, 1024);
    byte[] first = "id: 5\ndata: a\n\nid: 6\ndata: cut".getBytes(StandardCharsets.UTF_8);
    p.feed(first, 0, first.length);
    p.end();
    assertEquals("5", p.lastEventId());
    byte[] second = "data: b\n\n".getBytes(StandardCharsets.UTF_8);
    p.feed(second, 0, second.length);
    assertEquals(List.of("message|a|5", "message|b|5"), r.seen);
  }

  // ---- Limits and garbage

  @Test
  void limits_aLineLongerThanTheLimitFailsTheStream() {
    Recorder r = new Recorder();
    EventStreamParser p = new EventStreamParser(r, 1000, 1 << 20);
    byte[] chunk = new byte[600];
    Arrays.fill(chunk, (byte) 'A');
    p.feed(chunk, 0, chunk.length); // 600: fine so far, no line end
    FrameCodecException e = assertThrows(FrameCodecException.class, () -> p.feed(chunk, 0, chunk.length));
    assertTrue(e.getMessage().contains("1000 bytes"), e.getMessage());
    byte[] more = "\n\ndata: x\n\n".getBytes(StandardCharsets.UTF_8);
    p.feed(more, 0, more.length); // ignored after the failure
    assertEquals(List.of(), r.seen);
  }

  @Test
  void limits_anEventLargerThanTheLimitFailsTheStream_evenInShortLines() {
    Recorder r = new Recorder();
    EventStreamParser p = new EventStreamParser(r, 100, 1000);
    byte[] line = "data: 0123456789012345678901234567890123456789\n".getBytes(StandardCharsets.UTF_8);
    FrameCodecException e = assertThrows(FrameCodecException.class, () -> {
      for (int i = 0; i < 100; i++) {
        p.feed(line, 0, line.length);
      }
    });
    assertTrue(e.getMessage().contains("1000 characters"), e.getMessage());
  }

  @Test
  void limits_aHugeEndlessLineNeverGrowsMemoryPastTheLimit() {
    Recorder r = new Recorder();
    int limit = 4 << 20;
    EventStreamParser p = new EventStreamParser(r, limit, limit);
    byte[] chunk = new byte[64 * 1024];
    Arrays.fill(chunk, (byte) 'x');
    long fed = 0;
    try {
      for (int i = 0; i < 10_000; i++) { // 640 MB if it never failed
        p.feed(chunk, 0, chunk.length);
        fed += chunk.length;
      }
    } catch (FrameCodecException expected) {
      // fine
    }
    assertTrue(fed <= limit, "failed only after " + fed + " bytes");
  }

  @Test
  void garbage_randomBytesNeverThrowAnythingButFrameCodecException() {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      byte[] junk = new byte[random.nextInt(4096)];
      random.nextBytes(junk);
      Recorder r = new Recorder();
      EventStreamParser p = new EventStreamParser(r, 512, 1024);
      try {
        p.feed(junk, 0, junk.length);
        p.end();
      } catch (FrameCodecException expected) {
        // a limit: fine
      }
    }
  }

  @Test
  void chunking_theSameBytesGiveTheSameEventsWhateverTheChunks() {
    Random random = new Random(7);
    String[] lineEnds = {"\n", "\r", "\r\n"};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
    for (int i = 0; i < 300; i++) {
      String eol = lineEnds[random.nextInt(3)];
      StringBuilder ev = new StringBuilder();
      if (random.nextInt(4) == 0) {
        ev.append(": comment ").append(i).append(eol);
      }
      ev.append("id: ").append(i).append(eol).append("event: data").append(eol);
      int lines = 1 + random.nextInt(3);
      for (int k = 0; k < lines; k++) {
        ev.append("data: ").append("é".repeat(random.nextInt(50))).append(i).append(eol);
      }
      if (random.nextInt(10) == 0) {
        ev.append("retry: ").append(i).append(eol);
      }
      ev.append(eol); // the same line end, so that "\r" + "\n" never merges into one
      out.writeBytes(ev.toString().getBytes(StandardCharsets.UTF_8));
    }
    byte[] stream = out.toByteArray();
    List<String> whole = parse(stream);
    assertTrue(whole.size() >= 300, "events: " + whole.size());
    assertEquals(whole, parseInChunks(stream, new int[] {1}));
    for (int trial = 0; trial < 20; trial++) {
      int[] sizes = new int[50];
      for (int k = 0; k < sizes.length; k++) {
        sizes[k] = 1 + random.nextInt(200);
      }
      assertEquals(whole, parseInChunks(stream, sizes), "chunk sizes " + Arrays.toString(sizes));
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
