package io.framestream.transport.sse.internal;

import io.framestream.core.Channel;
import io.framestream.core.ChannelState;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import io.framestream.core.FrameKind;
import io.framestream.core.InitMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bytes of the SSE wire format: {@code data} and {@code init} events built from frames, the {@code
 * retry} field, the heartbeat comment, and {@code Last-Event-ID} parsing. Host-agnostic.
 *
 * <p>Event bytes of a frame are {@link FrameEncoding}s: computed once per frame and format ({@code data}
 * events) or once per frame ({@code init} events of INIT frames), cached on the frame, and shared by every
 * viewer (rule E1). The arrays are never modified after they are built; writers must not
 * modify them either.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless (encodings are cached on the frames); thread-safe.
 *
 * @since 0.1.0
 */
public final class SseEvents {

  /** The comment written as a heartbeat: {@code : hb} and an empty line. */
  public static final byte[] HEARTBEAT = ascii(": hb\n\n");

  /** The longest {@code Last-Event-ID} accepted as a sequence number (18 digits fit a long). */
  private static final int MAX_ID_DIGITS = 18;

  private static final LongAdder ENCODER_RUNS = new LongAdder();

  /**
   * A frame as a {@code data} event whose data is the frame's data URI: {@code id: <seq>\nevent:
   * data\ndata: data:<type>;base64,<payload>\n\n}. The base64 is encoded straight into the event ({@link
   * Frame#base64Within}); the frame's data URI text is not built for it.
   */
  public static final FrameEncoding<byte[]> DATA_URI_EVENT =
      FrameEncoding.of("sse-data-event-datauri", f -> dataEvent(f, "data:" + f.contentType() + ";base64,",
          SseEvents.BASE64_EVENT));

  /**
   * A frame as a {@code data} event whose data is bare base64: {@code id: <seq>\nevent: data\ndata:
   * <payload>\n\n}. The base64 is encoded straight into the event; the frame's base64 text is not built for it.
   */
  public static final FrameEncoding<byte[]> BASE64_EVENT =
      FrameEncoding.of("sse-data-event-base64", f -> dataEvent(f, "", SseEvents.DATA_URI_EVENT));

  /**
   * Where an {@link FrameKind#INIT} frame keeps its {@code init} event: one holder per frame, filled by
   * the first viewer that needs it (rule E1). The event names the channel, which the frame does not know,
   * so the holder is keyed by the frame alone and remembers the channel it was built for.
   */
  private static final FrameEncoding<InitEvent> INIT_EVENT = FrameEncoding.of("sse-init-event", f -> new InitEvent());

  private SseEvents() {}

  /**
   * Returns the encoding for a frame of the given format.
   *
   * @param format the format
   * @return {@link #DATA_URI_EVENT} or {@link #BASE64_EVENT}
   */
  public static FrameEncoding<byte[]> dataEncoding(SseFormat format) {
    return format == SseFormat.BASE64 ? BASE64_EVENT : DATA_URI_EVENT;
  }

  /**
   * Returns the {@code init} event of an {@link FrameKind#INIT} frame, embedding the init segment ({@code
   * id: <seq>\nevent: init\ndata: <json>\n\n}). Built once per frame and kept on it, whatever the number of
   * viewers (rule E1). A published frame belongs to one channel; should the same frame object be asked
   * for under another channel name, that event is built for the call and not kept.
   *
   * @param frame the INIT frame
   * @param channelName the channel it was published in
   * @return the shared, never-modified event bytes
   * @throws NullPointerException if an argument is {@code null}
   */
  public static byte[] initEventOf(Frame frame, String channelName) {
    Objects.requireNonNull(channelName, "channelName");
    return frame.encoded(INIT_EVENT).bytes(frame, channelName);
  }

  /** A frame's init event, built on first use; see {@link #INIT_EVENT}. */
  private static final class InitEvent {
    private String channelName; // guarded by this
    private byte[] bytes; // guarded by this

    synchronized byte[] bytes(Frame frame, String channel) {
      if (bytes == null) {
        bytes = build(frame, channel);
        channelName = channel;
      }
      return channelName.equals(channel) ? bytes : build(frame, channel);
    }

    private static byte[] build(Frame frame, String channel) {
      ENCODER_RUNS.increment();
      return initEvent(frame, InitMessage.of(channel, frame).withInitSegment(frame));
    }
  }

  /**
   * The notices every viewer of one channel gets when the channel goes online or offline: the {@code
   * status} event, and when online a fresh description ({@code init} event without id). Built once per
   * change and shared by the channel's viewers (rule E1); a handler keeps one per channel.
   *
   * <h2>Thread safety</h2>
   *
   * Thread-safe.
   */
  public static final class Notices {
    private final byte[] online;
    private final byte[] offline;
    private Frame describedAt; // guarded by this: the channel's newest frame when description was built
    private byte[] description; // guarded by this

    /**
     * Creates the notices of a channel.
     *
     * @param channelName the channel's name
     */
    public Notices(String channelName) {
      this.online = statusEvent(channelName, ChannelState.ONLINE);
      this.offline = statusEvent(channelName, ChannelState.OFFLINE);
    }

    /**
     * Returns the shared {@code status} event.
     *
     * @param state the channel's new state
     * @return the never-modified event bytes
     */
    public byte[] status(ChannelState state) {
      return state == ChannelState.ONLINE ? online : offline;
    }

    /**
     * Returns the shared {@code init} event that describes the channel as it is now ({@link
     * InitMessage#of(Channel)}), built again only when a frame was published since it was last built.
     *
     * @param channel the channel these notices belong to
     * @return the never-modified event bytes
     */
    public synchronized byte[] description(Channel channel) {
      Frame newest = channel.latestFrame().orElse(null);
      if (description == null || newest != describedAt) {
        description = initEvent(InitMessage.of(channel));
        describedAt = newest;
      }
      return description;
    }
  }

  /**
   * Returns the event bytes of a frame: an {@code init} event for an {@link FrameKind#INIT} frame, a
   * {@code data} event otherwise. Cached on the frame.
   *
   * @param frame the published frame
   * @param channelName its channel
   * @param format the viewer's format
   * @return the shared, never-modified event bytes
   */
  public static byte[] eventOf(Frame frame, String channelName, SseFormat format) {
    if (frame.kind() == FrameKind.INIT) {
      return initEventOf(frame, channelName);
    }
    return frame.encoded(dataEncoding(format));
  }

  /**
   * Builds an {@code init} event without an id, for the description of a channel sent at connect.
   *
   * @param message the init message
   * @return the event bytes
   */
  public static byte[] initEvent(InitMessage message) {
    return event(null, "init", message.toJson());
  }

  /**
   * Builds a {@code status} event (channel online or offline), without an id.
   *
   * @param channelName the channel
   * @param state its new state
   * @return the event bytes
   */
  public static byte[] statusEvent(String channelName, ChannelState state) {
    return event(null, "status", InitMessage.statusJson(channelName, state));
  }

  /**
   * Builds the {@code init} event of an INIT frame, with the frame's sequence as id, for one viewer (used
   * when the message carries a per-viewer {@code skipped} count).
   *
   * @param frame the INIT frame
   * @param message the init message
   * @return the event bytes
   */
  public static byte[] initEvent(Frame frame, InitMessage message) {
    return event(Long.toString(frame.sequence()), "init", message.toJson());
  }

  /**
   * Builds the {@code retry} field, followed by an empty line (which dispatches nothing).
   *
   * @param reconnectDelay the delay the browser should wait before reconnecting
   * @return the bytes
   */
  public static byte[] retry(Duration reconnectDelay) {
    return ascii("retry: " + reconnectDelay.toMillis() + "\n\n");
  }

  /**
   * Builds one event. Data containing line breaks is split into several {@code data:} lines, so that the
   * receiver joins them back with {@code \n}.
   *
   * @param id the id field, or {@code null} for none
   * @param type the event type
   * @param data the data
   * @return UTF-8 bytes
   */
  public static byte[] event(String id, String type, String data) {
    StringBuilder sb = new StringBuilder(data.length() + 64);
    if (id != null) {
      sb.append("id: ").append(id).append('\n');
    }
    sb.append("event: ").append(type).append('\n');
    int start = 0;
    for (int i = 0; i <= data.length(); i++) {
      char c = i < data.length() ? data.charAt(i) : '\n';
      if (c == '\n' || c == '\r') {
        sb.append("data: ").append(data, start, i).append('\n');
        if (c == '\r' && i + 1 < data.length() && data.charAt(i + 1) == '\n') {
          i++;
        }
        start = i + 1;
      }
    }
    sb.append('\n');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The bytes that end a data event: the data line's end and the empty line that dispatches it. */
  private static final byte[] DATA_EVENT_END = ascii("\n\n");

  /**
   * A data event whose data is {@code prefix} and the payload's base64, encoded once straight into the event
   * (one array, no base64 or data URI text in between); when the frame already holds its {@code other} data
   * event (viewers of both formats on one channel), its base64 is copied from there instead of encoded again.
   * The prefix is ASCII without line breaks: empty, or {@code data:<type>;base64,} with a content type {@link
   * io.framestream.core.ContentTypes} checked for control and non-ASCII characters.
   */
  static byte[] dataEvent(Frame frame, String prefix, FrameEncoding<byte[]> other) {
    ENCODER_RUNS.increment();
    byte[] head = ascii("id: " + frame.sequence() + "\nevent: data\ndata: " + prefix);
    if (!frame.isEncoded(other)) {
      return frame.base64Within(head, DATA_EVENT_END);
    }
    byte[] done = frame.encoded(other); // ends with the base64 and DATA_EVENT_END
    int tail = (int) DataUris.base64Length(frame.size()) + DATA_EVENT_END.length;
    byte[] out = new byte[head.length + tail];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(done, done.length - tail, out, head.length, tail);
    return out;
  }

  /**
   * Parses a {@code Last-Event-ID} value (header or {@code lastEventId} parameter) as a frame sequence
   * number.
   *
   * @param value the value, may be {@code null}
   * @return the sequence number, or empty if absent, blank or not a non-negative decimal number
   */
  public static OptionalLong parseLastEventId(String value) {
    if (value == null) {
      return OptionalLong.empty();
    }
    String v = value.trim();
    if (v.isEmpty() || v.length() > MAX_ID_DIGITS) {
      return OptionalLong.empty();
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return OptionalLong.empty();
      }
    }
    return OptionalLong.of(Long.parseLong(v));
  }

  /**
   * How many frames a viewer resuming after {@code lastEventId} misses when it receives the newest frame
   * next: the frames published strictly between the two. An id beyond the newest (the channel was
   * recreated and counts from 1 again) gives 0.
   *
   * @param lastEventId the id the viewer saw last
   * @param newestSequence the channel's newest sequence, 0 if none
   * @return zero or more
   */
  public static long skipped(long lastEventId, long newestSequence) {
    return Math.max(0, newestSequence - lastEventId - 1);
  }

  /**
   * Test hook: how many times a frame's event bytes were built in this JVM.
   *
   * @return the count of encoder runs
   */
  public static long encoderRuns() {
    return ENCODER_RUNS.sum();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
