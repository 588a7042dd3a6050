package io.framestream.conformance;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An MJPEG viewer ({@code multipart/x-mixed-replace}) on the JDK's {@code HttpClient}: a parser of the parts as
 * the bytes arrive, whatever their chunking. Each part must be {@code --boundary}, headers with {@code
 * Content-Type} and {@code Content-Length}, an empty line, exactly that many bytes and a line end; anything
 * else fails the client (the stream ends and the parse error is kept).
 */
final class MjpegClient extends HttpStreamClient {

  private static final int MAX_HEAD = 4096;

  private final String delimiter;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private Map<String, String> headers = new LinkedHashMap<>();
  private byte[] body;
  private int filled;
  private State state = State.DELIMITER;
  private volatile String failure;

  private enum State { DELIMITER, HEADERS, BODY, END }

  private MjpegClient(String boundary) {
    this.delimiter = "--" + boundary;
  }

  /** Opens {@code GET uri} with extra headers (name, value, ...); fails unless the answer is 200 within 15 s. */
  static MjpegClient connect(URI uri, String boundary, String... headers) {
    return connect(new MjpegClient(boundary), uri, "multipart/x-mixed-replace", headers);
  }

  /** Why the stream could not be parsed, or {@code null}. */
  String failure() {
    return failure;
  }

  @Override
  void feed(ByteBuffer chunk) {
    while (chunk.hasRemaining() && failure == null) {
      if (state == State.BODY) {
        int n = Math.min(chunk.remaining(), body.length - filled);
        chunk.get(body, filled, n);
        filled += n;
        if (filled == body.length) {
          add(ViewerEvent.frame(body, headers.get("content-type")));
          state = State.END;
        }
        continue;
      }
      byte b = chunk.get();
      if (b != '\n') {
        line.write(b);
        if (line.size() > MAX_HEAD) {
          fail("a line longer than " + MAX_HEAD + " bytes");
        }
        continue;
      }
      String text = line.toString(StandardCharsets.US_ASCII);
      line.reset();
      if (text.endsWith("\r")) {
        text = text.substring(0, text.length() - 1);
      }
      lineRead(text);
    }
  }

  private void lineRead(String text) {
    switch (state) {
      case DELIMITER -> {
        if (!text.equals(delimiter)) {
          fail("expected " + delimiter + ", got " + text);
        }
        headers = new LinkedHashMap<>();
        state = State.HEADERS;
      }
      case HEADERS -> {
        if (!text.isEmpty()) {
          int colon = text.indexOf(':');
          if (colon <= 0) {
            fail("not a header: " + text);
            return;
          }
          headers.put(text.substring(0, colon).trim().toLowerCase(Locale.ROOT), text.substring(colon + 1).trim());
          return;
        }
        String length = headers.get("content-length");
        if (length == null || headers.get("content-type") == null) {
          fail("a part without Content-Type or Content-Length: " + headers);
          return;
        }
        body = new byte[Integer.parseInt(length)];
        filled = 0;
        state = body.length == 0 ? State.END : State.BODY;
      }
      case END -> {
        if (!text.isEmpty()) {
          fail("a part's bytes go on past its Content-Length: " + text);
        }
        state = State.DELIMITER;
      }
      default -> fail("unexpected line " + text);
    }
  }

  private void fail(String why) {
    failure = why;
    close();
  }
}
