package io.framestream.transport.sse.internal;

import io.framestream.core.Channel;
import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import io.framestream.core.FrameKind;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The wire of an MJPEG stream ({@code GET /mjpeg/{channel}}): one {@code multipart/x-mixed-replace} response
 * whose parts are JPEG images. Each part is
 *
 * <pre>
 * --{@value #BOUNDARY}\r\n
 * Content-Type: image/jpeg\r\n
 * Content-Length: &lt;payload bytes&gt;\r\n
 * X-Framestream-Sequence: &lt;sequence&gt;\r\n
 * \r\n
 * &lt;the JPEG&gt;\r\n
 * </pre>
 *
 * and is built once per frame ({@link #PART}, a {@link FrameEncoding} cached on the frame), then written to
 * every viewer as the same array: the rule of W11 and E1 for MJPEG.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless and thread-safe.
 *
 * @since 0.4.0
 */
public final class MjpegParts {

  /** The multipart boundary: long and unusual enough never to turn up inside a JPEG's bytes. */
  public static final String BOUNDARY = "framestream-mjpeg-b7f3a9c1";

  /** The media type of the stream, exactly as sent in {@code Content-Type}. */
  public static final String CONTENT_TYPE = "multipart/x-mixed-replace; boundary=" + BOUNDARY;

  /**
   * The headers of a stream, in the order to set them: {@code Content-Type} ({@link #CONTENT_TYPE}), {@code
   * Cache-Control: no-cache, no-store}, and {@code X-Accel-Buffering: no} (nginx must not buffer the stream).
   */
  public static final Map<String, String> STREAM_HEADERS = headers();

  private static final LongAdder ENCODER_RUNS = new LongAdder();

  /** One frame as one part, headers, payload and the line end after it; built once per frame. */
  public static final FrameEncoding<byte[]> PART = FrameEncoding.of("mjpeg-part", MjpegParts::build);

  private MjpegParts() {}

  private static Map<String, String> headers() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", CONTENT_TYPE);
    h.put("Cache-Control", "no-cache, no-store");
    h.put("X-Accel-Buffering", "no");
    return java.util.Collections.unmodifiableMap(h);
  }

  private static byte[] build(Frame frame) {
    ENCODER_RUNS.increment();
    byte[] head = ("--" + BOUNDARY + "\r\nContent-Type: " + ContentTypes.JPEG + "\r\nContent-Length: " + frame.size()
        + "\r\nX-Framestream-Sequence: " + frame.sequence() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + frame.size() + 2];
    System.arraycopy(head, 0, out, 0, head.length);
    frame.payload().get(out, head.length, frame.size());
    out[out.length - 2] = '\r';
    out[out.length - 1] = '\n';
    return out;
  }

  /**
   * Returns a frame's part, the shared array every viewer gets, or {@code null} for a frame that is not a
   * JPEG image (a viewer skips it).
   *
   * @param frame the frame
   * @return the part's bytes, never to be modified, or {@code null}
   */
  public static byte[] partOf(Frame frame) {
    return frame.kind() == FrameKind.KEY && isJpeg(frame.contentType()) ? frame.encoded(PART) : null;
  }

  /**
   * Tells whether a content type is JPEG ({@code image/jpeg}, or the common misspelling {@code image/jpg},
   * parameters ignored).
   *
   * @param contentType the content type
   * @return {@code true} for JPEG
   */
  public static boolean isJpeg(String contentType) {
    String base = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return base.equals(ContentTypes.JPEG) || base.equals("image/jpg");
  }

  /**
   * Tells why a channel cannot be served as MJPEG: it carries video (it has an {@code INIT} frame or its
   * newest frame is not a key frame), or its newest frame is an image of another type. A channel without
   * frames yet is served: its first JPEG follows when it comes.
   *
   * @param channel the channel
   * @param what the endpoint, for the message ({@code "MJPEG"}, {@code "a snapshot"})
   * @return the refusal message (for a 415), or empty when the channel can be served
   */
  public static Optional<String> notAnImage(Channel channel, String what) {
    Optional<Frame> init = channel.initFrame();
    if (init.isPresent()) {
      return Optional.of("channel '" + channel.name() + "' carries video (" + init.get().contentType() + "); "
          + what + " needs an image channel");
    }
    Optional<Frame> newest = channel.latestFrame();
    if (newest.isPresent() && newest.get().kind() != FrameKind.KEY) {
      return Optional.of("channel '" + channel.name() + "' carries video (" + newest.get().contentType() + "); "
          + what + " needs an image channel");
    }
    return Optional.empty();
  }

  /**
   * Returns how many parts were built since the JVM started, for tests of the encode-once rule.
   *
   * @return the count
   */
  public static long encoderRuns() {
    return ENCODER_RUNS.sum();
  }
}
