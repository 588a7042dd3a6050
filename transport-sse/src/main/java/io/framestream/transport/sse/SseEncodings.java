package io.framestream.transport.sse;

import io.framestream.core.FrameEncoding;
import io.framestream.transport.sse.internal.SseEvents;

/**
 * The SSE {@code data} events of a frame as shared per-frame encodings (rule E1): {@link
 * io.framestream.core.Frame#encoded(FrameEncoding)} builds each once per frame, and every viewer and host
 * that asks for it gets the same bytes. For hosts other than {@link SseHandler} and {@link SseServlet}, and
 * for benchmarks of the encoding cost.
 *
 * <h2>Thread safety</h2>
 *
 * Constants only; thread-safe.
 *
 * @since 0.3.0
 */
public final class SseEncodings {

  /**
   * A frame as a {@code data} event whose data is the frame's data URI: {@code id: <seq>\nevent:
   * data\ndata: data:<type>;base64,<payload>\n\n} (the default format).
   */
  public static final FrameEncoding<byte[]> DATA_URI_EVENT = SseEvents.DATA_URI_EVENT;

  /**
   * A frame as a {@code data} event whose data is bare base64 ({@code ?format=base64}): {@code id:
   * <seq>\nevent: data\ndata: <payload>\n\n}.
   */
  public static final FrameEncoding<byte[]> BASE64_EVENT = SseEvents.BASE64_EVENT;

  private SseEncodings() {}
}
