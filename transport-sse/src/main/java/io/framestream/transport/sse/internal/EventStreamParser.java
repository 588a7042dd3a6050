package io.framestream.transport.sse.internal;

import io.framestream.core.FrameCodecException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A push parser for {@code text/event-stream}, following the WHATWG HTML "Server-sent events" parsing
 * rules (section 9.2.6, "Interpreting an event stream"), with bounded memory.
 *
 * <p>Rules implemented, each with a unit test named after it:
 *
 * <ul>
 *   <li>The stream is UTF-8; invalid sequences decode to U+FFFD. One leading byte order mark is ignored.
 *   <li>Lines end with CR LF, a lone LF or a lone CR, in any mix; a CR at the end of one chunk followed by
 *       an LF at the start of the next is one line end.
 *   <li>An empty line dispatches the event: the last event id becomes the id buffer; if the data buffer is
 *       empty nothing is dispatched, otherwise its final LF is removed and the event is dispatched with
 *       the type buffer (default {@code message}); data and type buffers are then cleared.
 *   <li>A line starting with a colon is a comment.
 *   <li>A line with a colon is a field: name before the first colon, value after it with one leading
 *       space removed. A line without a colon is a field with that name and an empty value.
 *   <li>{@code event} sets the type buffer; {@code data} appends the value and an LF to the data buffer;
 *       {@code id} sets the id buffer unless the value contains U+0000; {@code retry} sets the reconnection
 *       time if the value is only ASCII digits; other fields are ignored.
 *   <li>At the end of the stream, an incomplete event (and an unterminated last line) is discarded.
 * </ul>
 *
 * <p>Limits: a line longer than {@code maxLineBytes} bytes or an event whose data exceeds {@code
 * maxEventChars} characters fails the stream with a {@link FrameCodecException}; memory never grows past
 * about those limits, whatever the peer sends. After a failure the parser ignores further input.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: feed it from one thread at a time. The handler runs on the feeding thread.
 *
 * @since 0.1.0
 */
public final class EventStreamParser {

  /**
   * Receives what the parser finds.
   *
   * <h2>Thread safety</h2>
   *
   * Called on the thread that feeds the parser.
   *
   * @since 0.1.0
   */
  public interface Handler {
    /**
     * An event was dispatched.
     *
     * @param type the event type ({@code message} when the stream gave none)
     * @param data the data, lines joined with {@code \n}
     * @param lastEventId the last event id after this event ({@code ""} if none)
     */
    void onEvent(String type, String data, String lastEventId);

    /**
     * A valid {@code retry} field was read.
     *
     * @param millis the reconnection time in milliseconds
     */
    default void onRetry(long millis) {}
  }

  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
  private static final int INITIAL_LINE_CAPACITY = 256;
  private static final int RETAINED_LINE_CAPACITY = 1 << 20;

  private final Handler handler;
  private final int maxLineBytes;
  private final int maxEventChars;

  private byte[] line = new byte[INITIAL_LINE_CAPACITY];
  private int lineLength;
  private boolean afterCr;
  private int bomMatched; // bytes of a leading BOM seen so far; -1 once the start of the stream is past
  private boolean failed;

  private String eventType = "";
  private boolean hasData;
  private String firstData; // the only data line so far, to avoid a copy in the common case
  private StringBuilder moreData; // used from the second data line on
  private int dataChars;
  private String idBuffer = "";
  private String lastEventId = "";

  /**
   * Creates a parser.
   *
   * @param handler receives events
   * @param maxLineBytes the longest line accepted, in bytes, at least 1
   * @param maxEventChars the most data characters in one event, at least 1
   */
  public EventStreamParser(Handler handler, int maxLineBytes, int maxEventChars) {
    this.handler = Objects.requireNonNull(handler, "handler");
    if (maxLineBytes < 1 || maxEventChars < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
    this.maxLineBytes = maxLineBytes;
    this.maxEventChars = maxEventChars;
  }

  /**
   * Sets the last event id known before the stream starts (a reconnecting client keeps it).
   *
   * @param id the id, {@code ""} for none
   */
  public void lastEventId(String id) {
    this.lastEventId = Objects.requireNonNull(id, "id");
    this.idBuffer = id;
  }

  /**
   * Returns the last event id: the id buffer as of the last empty line.
   *
   * @return the id, {@code ""} if none
   */
  public String lastEventId() {
    return lastEventId;
  }

  /**
   * Feeds the remaining bytes of a buffer, consuming them.
   *
   * @param buffer the bytes
   * @throws FrameCodecException if a limit is exceeded, or if the handler throws it
   */
  public void feed(ByteBuffer buffer) {
    if (buffer.hasArray()) {
      int pos = buffer.position();
      feed(buffer.array(), buffer.arrayOffset() + pos, buffer.remaining());
      buffer.position(buffer.limit());
      return;
    }
    byte[] chunk = new byte[Math.min(buffer.remaining(), 16 * 1024)];
    while (buffer.hasRemaining()) {
      int n = Math.min(chunk.length, buffer.remaining());
      buffer.get(chunk, 0, n);
      feed(chunk, 0, n);
    }
  }

  /**
   * Feeds bytes.
   *
   * @param bytes the array
   * @param offset where the bytes start
   * @param length how many
   * @throws FrameCodecException if a limit is exceeded, or if the handler throws it
   */
  public void feed(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    int i = offset;
    int end = offset + length;
    while (i < end && !failed) {
      if (bomMatched >= 0) {
        i = skipBom(bytes, i, end);
        continue;
      }
      if (afterCr) {
        afterCr = false;
        if (bytes[i] == LF) {
          i++;
          continue;
        }
      }
      int eol = i;
      while (eol < end && bytes[eol] != LF && bytes[eol] != CR) {
        eol++;
      }
      append(bytes, i, eol - i);
      if (eol == end) {
        return;
      }
      afterCr = bytes[eol] == CR;
      i = eol + 1;
      lineDone();
    }
  }

  /**
   * Ends the stream: discards an incomplete event and an unterminated line, and resets the parser for a
   * new stream (a reconnection). The last event id is kept.
   */
  public void end() {
    lineLength = 0;
    afterCr = false;
    bomMatched = 0;
    failed = false;
    clearEvent();
    idBuffer = lastEventId;
    if (line.length > RETAINED_LINE_CAPACITY) {
      line = new byte[INITIAL_LINE_CAPACITY];
    }
  }

  /** Matches a leading BOM byte by byte; on a mismatch, the bytes held so far belong to the first line. */
  private int skipBom(byte[] bytes, int i, int end) {
    while (i < end && bomMatched >= 0) {
      if (bytes[i] == BOM[bomMatched]) {
        bomMatched++;
        i++;
        if (bomMatched == BOM.length) {
          bomMatched = -1; // a whole BOM: dropped
        }
      } else {
        int held = bomMatched;
        bomMatched = -1;
        append(BOM, 0, held);
      }
    }
    return i;
  }

  private void append(byte[] bytes, int from, int n) {
    if (n == 0) {
      return;
    }
    if (lineLength + n > maxLineBytes || lineLength + n < 0) {
      fail("an SSE line is longer than the limit of " + maxLineBytes + " bytes");
    }
    if (lineLength + n > line.length) {
      int capacity = Math.max(lineLength + n, Math.min(maxLineBytes, line.length * 2));
      byte[] bigger = new byte[capacity];
      System.arraycopy(line, 0, bigger, 0, lineLength);
      line = bigger;
    }
    System.arraycopy(bytes, from, line, lineLength, n);
    lineLength += n;
  }

  private void lineDone() {
    int n = lineLength;
    lineLength = 0;
    if (n == 0) {
      dispatch();
      return;
    }
    if (line[0] == ':') {
      return; // comment
    }
    int colon = -1;
    for (int k = 0; k < n; k++) {
      if (line[k] == ':') {
        colon = k;
        break;
      }
    }
    String field;
    int valueStart;
    if (colon < 0) {
      field = new String(line, 0, n, StandardCharsets.UTF_8);
      valueStart = n;
    } else {
      field = new String(line, 0, colon, StandardCharsets.UTF_8);
      valueStart = colon + 1;
      if (valueStart < n && line[valueStart] == ' ') {
        valueStart++;
      }
    }
    switch (field) {
      case "data":
        addData(value(valueStart, n));
        break;
      case "event":
        eventType = value(valueStart, n);
        break;
      case "id":
        String id = value(valueStart, n);
        if (id.indexOf('\0') < 0) {
          idBuffer = id;
        }
        break;
      case "retry":
        retry(valueStart, n);
        break;
      default:
        break; // unknown fields are ignored
    }
    if (line.length > RETAINED_LINE_CAPACITY) {
      line = new byte[INITIAL_LINE_CAPACITY];
    }
  }

  private String value(int from, int to) {
    return new String(line, from, to - from, StandardCharsets.UTF_8);
  }

  private void addData(String value) {
    long total = (long) dataChars + value.length() + 1;
    if (total > maxEventChars) {
      fail("an SSE event's data is longer than the limit of " + maxEventChars + " characters");
    }
    dataChars = (int) total;
    if (!hasData) {
      hasData = true;
      firstData = value;
      return;
    }
    if (moreData == null) {
      moreData = new StringBuilder(firstData.length() + value.length() + 16);
      moreData.append(firstData);
      firstData = null;
    }
    moreData.append('\n').append(value);
  }

  private void retry(int from, int to) {
    if (from == to || to - from > 18) {
      return;
    }
    long ms = 0;
    for (int k = from; k < to; k++) {
      byte b = line[k];
      if (b < '0' || b > '9') {
        return;
      }
      ms = ms * 10 + (b - '0');
    }
    handler.onRetry(ms);
  }

  private void dispatch() {
    lastEventId = idBuffer;
    if (!hasData) {
      clearEvent();
      return;
    }
    String data = moreData != null ? moreData.toString() : firstData;
    String type = eventType.isEmpty() ? "message" : eventType;
    clearEvent();
    handler.onEvent(type, data, lastEventId);
  }

  private void clearEvent() {
    eventType = "";
    hasData = false;
    firstData = null;
    moreData = null;
    dataChars = 0;
  }

  private void fail(String message) {
    failed = true;
    lineLength = 0;
    line = new byte[INITIAL_LINE_CAPACITY];
    clearEvent();
    throw new FrameCodecException(message);
  }
}
