package io.framestream.transport.sse.internal;

import io.framestream.core.ChannelNames;
import io.framestream.edge.ErrorBody;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;

/**
 * A validated SSE view request ({@code GET /sse/{channel}[?format=base64][&lastEventId=N]}), parsed from
 * what any HTTP host provides. Invalid requests become a {@link Rejection} carrying the HTTP status and a
 * short JSON body ({@link ErrorBody}); they are ordinary input, never logged with a stack trace.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class SseRequest {

  /** The media type of the stream, exactly as sent in {@code Content-Type}. */
  public static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";

  /**
   * The headers of a stream, in the order to set them: {@code Content-Type} ({@link #CONTENT_TYPE}), {@code
   * Cache-Control: no-cache}, and {@code X-Accel-Buffering: no} (nginx must not buffer the stream).
   */
  public static final Map<String, String> STREAM_HEADERS = orderedHeaders(
      "Content-Type", CONTENT_TYPE, "Cache-Control", "no-cache", "X-Accel-Buffering", "no");

  private final String channel;
  private final SseFormat format;
  private final OptionalLong lastEventId;

  private SseRequest(String channel, SseFormat format, OptionalLong lastEventId) {
    this.channel = channel;
    this.format = format;
    this.lastEventId = lastEventId;
  }

  /**
   * Validates a request.
   *
   * @param method the HTTP method
   * @param pathInfo the path below the mount point, such as {@code /cam1}; may be {@code null}
   * @param parameter looks up a query parameter, returning {@code null} when absent
   * @param lastEventIdHeader the {@code Last-Event-ID} header, may be {@code null}
   * @return the request
   * @throws Rejection with 405 for a method other than GET, 404 for a missing channel, 400 for an invalid
   *     channel name or format
   */
  public static SseRequest parse(String method, String pathInfo, UnaryOperator<String> parameter,
      String lastEventIdHeader) {
    String path = channelIn(method, pathInfo, "/sse");
    SseFormat format = SseFormat.DATA_URI;
    String f = parameter.apply("format");
    if (f != null) {
      format = SseFormat.fromQueryValue(f).orElseThrow(
          () -> new Rejection(400, "unknown format " + ErrorBody.shown(f, 32) + "; use datauri or base64"));
    }
    OptionalLong last = SseEvents.parseLastEventId(lastEventIdHeader);
    if (last.isEmpty()) {
      last = SseEvents.parseLastEventId(parameter.apply("lastEventId"));
    }
    return new SseRequest(path, format, last);
  }

  /**
   * Validates the method and the path of a request to any of the streaming HTTP endpoints (SSE, MJPEG,
   * snapshots): {@code GET /{mount}/{channel}}.
   *
   * @param method the HTTP method
   * @param pathInfo the path below the mount point, such as {@code /cam1}; may be {@code null}
   * @param mount the mount point, for messages, such as {@code /mjpeg}
   * @return the channel name, valid
   * @throws Rejection with 405 for a method other than GET, 404 for a missing channel, 400 for an invalid
   *     channel name
   */
  public static String channelIn(String method, String pathInfo, String mount) {
    if (!"GET".equals(method)) {
      throw new Rejection(405, "method " + ErrorBody.shown(method, 32) + " not allowed; use GET");
    }
    String path = pathInfo == null ? "" : pathInfo;
    if (path.startsWith("/")) {
      path = path.substring(1);
    }
    if (path.isEmpty()) {
      throw new Rejection(404, "no channel in the path; use " + mount + "/{channel}");
    }
    if (!ChannelNames.isValid(path)) {
      try {
        ChannelNames.requireValid(path);
      } catch (IllegalArgumentException e) {
        throw new Rejection(400, e.getMessage());
      }
    }
    return path;
  }

  /**
   * Returns the channel name (valid).
   *
   * @return the name
   */
  public String channel() {
    return channel;
  }

  /**
   * Returns the requested format.
   *
   * @return the format
   */
  public SseFormat format() {
    return format;
  }

  /**
   * Returns the id of the last frame the viewer saw, from {@code Last-Event-ID} or {@code ?lastEventId=}.
   *
   * @return the sequence number, or empty
   */
  public OptionalLong lastEventId() {
    return lastEventId;
  }

  private static Map<String, String> orderedHeaders(String... namesAndValues) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(headers);
  }

  @Override
  public String toString() {
    return "SseRequest[" + channel + ", " + format + ", lastEventId=" + lastEventId + "]";
  }

  /**
   * A request the transport answers with an HTTP error status and a JSON body instead of a stream.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable.
   *
   * @since 0.1.0
   */
  public static final class Rejection extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * Creates a rejection.
     *
     * @param status the HTTP status
     * @param message the message for the JSON body
     */
    public Rejection(int status, String message) {
      super(Objects.requireNonNull(message, "message"), null, false, false);
      this.status = status;
    }

    /**
     * Returns the HTTP status.
     *
     * @return the status code
     */
    public int status() {
      return status;
    }

    /**
     * Returns the JSON body.
     *
     * @return {@link ErrorBody#bytes(String)} of the message
     */
    public byte[] body() {
      return ErrorBody.bytes(getMessage());
    }

    /**
     * Returns the {@code WWW-Authenticate} header value to send with a 401.
     *
     * @return {@code Bearer} if this is a 401
     */
    public Optional<String> challenge() {
      return status == 401 ? Optional.of("Bearer") : Optional.empty();
    }

    /**
     * Returns the headers of the refusal, in the order to set them: {@code Content-Type} ({@link
     * ErrorBody#CONTENT_TYPE}, UTF-8), {@code Allow: GET} with a 405, {@code WWW-Authenticate: Bearer} with
     * a 401.
     *
     * @return header values by name
     */
    public Map<String, String> headers() {
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Content-Type", ErrorBody.CONTENT_TYPE + ";charset=UTF-8");
      allow().ifPresent(allow -> headers.put("Allow", allow));
      challenge().ifPresent(challenge -> headers.put("WWW-Authenticate", challenge));
      return headers;
    }

    /**
     * Returns the {@code Allow} header value to send with a 405.
     *
     * @return the header value if this is a 405
     */
    public Optional<String> allow() {
      return status == 405 ? Optional.of("GET") : Optional.empty();
    }
  }
}
