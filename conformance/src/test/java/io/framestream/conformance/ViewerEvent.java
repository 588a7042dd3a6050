package io.framestream.conformance;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a viewer received, the same for every transport: a description of the stream (a WebSocket {@code init}
 * text, an SSE {@code init} event), a frame (a binary message, a data URI, an SSE {@code data} event, or the
 * init segment an SSE {@code init} event carries), or a status.
 *
 * @param type which of the three
 * @param json the description or status JSON; {@code null} for a frame
 * @param payload the frame's bytes; {@code null} otherwise
 * @param contentType the frame's content type as the viewer knows it (from the data URI, or from the last
 *     description for binary messages)
 */
record ViewerEvent(Type type, JsonNode json, byte[] payload, String contentType) {

  /** The kinds of event. */
  enum Type { DESCRIPTION, FRAME, STATUS }

  static ViewerEvent description(JsonNode json) {
    return new ViewerEvent(Type.DESCRIPTION, json, null, json.path("contentType").asText(null));
  }

  static ViewerEvent frame(byte[] payload, String contentType) {
    return new ViewerEvent(Type.FRAME, null, payload, contentType);
  }

  static ViewerEvent status(JsonNode json) {
    return new ViewerEvent(Type.STATUS, json, null, null);
  }

  /** A frame's test index (see {@link TestFrames}), or -1. */
  int index() {
    return type == Type.FRAME ? TestFrames.indexOf(payload) : -1;
  }

  /** A status's state, {@code online} or {@code offline}. */
  String status() {
    return type == Type.STATUS ? json.path("status").asText() : null;
  }

  @Override
  public String toString() {
    switch (type) {
      case FRAME:
        return "frame " + index() + " (" + contentType + ", " + payload.length + " bytes)";
      case STATUS:
        return "status " + status();
      default:
        return "description " + json;
    }
  }
}
