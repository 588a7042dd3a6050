package io.framestream.transport.sse.internal;

import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a snapshot endpoint ({@code GET /snapshot/{channel}}) answers, whatever HTTP host carries it: the
 * newest image of an image channel with its {@code Content-Type}, {@code Last-Modified}, an {@code ETag}
 * ({@code If-None-Match} gives 304) and {@code Cache-Control: no-cache}. Refusals, each with an {@link
 * io.framestream.edge.ErrorBody} JSON: 400 invalid name, 401/403 the {@link AccessGate} (run once, before
 * anything else is looked at), 404 no channel in the path, an unknown channel (never created by a
 * snapshot) or one without a picture yet, 405 other methods, 415 a video channel.
 *
 * <p>The body is the frame's payload, copied once per frame ({@link #BODY}, cached on the frame) and shared by
 * every request.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless and thread-safe.
 *
 * @since 0.4.0
 */
public final class Snapshot {

  /** A frame's payload as one array, shared by every snapshot request of that frame; never modified. */
  public static final FrameEncoding<byte[]> BODY = FrameEncoding.of("snapshot-body", Frame::copyPayload);

  private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

  private Snapshot() {}

  /**
   * An answer with a body to write: 200 with the image, or 304 without one.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable (the body array is shared and never modified).
   *
   * @param status 200 or 304
   * @param headers the headers, in the order to set them
   * @param body the image, empty for 304
   * @param stallTimeout how long the host lets the peer take to read it before dropping the connection
   * @since 0.4.0
   */
  public record Answer(int status, Map<String, String> headers, byte[] body, Duration stallTimeout) {}

  /**
   * Answers one request.
   *
   * @param registry the channels
   * @param gate the access check, run once
   * @param call the request, as {@link SseEndpoint#call(AccessGate, String, String, Iterable,
   *     java.util.function.Function, String, String, String)} read it
   * @return the answer
   * @throws SseRequest.Rejection 400, 401/403, 404, 405 or 415, as above
   */
  public static Answer answer(ChannelRegistry registry, AccessGate gate, SseEndpoint.Call call) {
    Objects.requireNonNull(registry, "registry");
    String name = SseRequest.channelIn(call.method(), call.pathInfo(), "/snapshot");
    AccessGate.Verdict verdict = gate.admit(AccessRequest.Action.VIEW, name, call.clientAddress(), call.headers(),
        call.query());
    if (!verdict.allowed()) {
      throw new SseRequest.Rejection(verdict.status(), verdict.message());
    }
    Channel channel = registry.find(name)
        .orElseThrow(() -> new SseRequest.Rejection(404, "no channel '" + name + "'"));
    Optional<String> video = MjpegParts.notAnImage(channel, "a snapshot");
    if (video.isPresent()) {
      throw new SseRequest.Rejection(415, video.get());
    }
    Frame frame = channel.latestKeyFrame()
        .orElseThrow(() -> new SseRequest.Rejection(404, "channel '" + name + "' has no picture yet"));
    String etag = "\"" + frame.sequence() + "-" + Long.toHexString(frame.publishNanoTime()) + "\"";
    Instant now = Instant.now();
    Instant modified = frame.captureTime().isAfter(now) ? now : frame.captureTime();
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Cache-Control", "no-cache");
    headers.put("ETag", etag);
    headers.put("Last-Modified", HTTP_DATE.format(modified.truncatedTo(ChronoUnit.SECONDS)));
    headers.put("X-Framestream-Sequence", Long.toString(frame.sequence()));
    Duration stall = channel.config().stallTimeout();
    if (matches(call.headers().get("If-None-Match"), etag)) {
      return new Answer(304, headers, new byte[0], stall);
    }
    Map<String, String> full = new LinkedHashMap<>();
    full.put("Content-Type", frame.contentType());
    full.putAll(headers);
    return new Answer(200, full, frame.encoded(BODY), stall);
  }

  /** Whether an {@code If-None-Match} header names the tag (or is {@code *}); weak tags compare alike. */
  private static boolean matches(List<String> ifNoneMatch, String etag) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String line : ifNoneMatch) {
      for (String tag : line.split(",")) {
        String t = tag.trim();
        if (t.startsWith("W/")) {
          t = t.substring(2);
        }
        if (t.equals("*") || t.equals(etag)) {
          return true;
        }
      }
    }
    return false;
  }
}
