package io.framestream.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Reads an SSE stream as the tests need it. */
final class SseEvents {

  private SseEvents() {}

  /**
   * Reads up to the first {@code data} event and returns its {@code data: } line, or what went wrong.
   *
   * @param in the {@code text/event-stream} body
   * @return the line, {@code "end of stream"} or {@code "failed: ..."}
   */
  static String firstDataLine(InputStream in) {
    try {
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      boolean dataEvent = false;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.equals("event: data")) {
          dataEvent = true;
        } else if (dataEvent && line.startsWith("data: ")) {
          return line;
        }
      }
      return "end of stream";
    } catch (IOException e) {
      return "failed: " + e;
    }
  }
}
