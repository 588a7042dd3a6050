package io.framestream.core.wire;

import io.framestream.core.Channel;
import io.framestream.core.ContentTypes;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameKind;
import io.framestream.core.LimitExceededException;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The one ingest path: turns one incoming message of a stream into a frame with the right content type and
 * kind, the same way for every entry point (WebSocket and HTTP publishing, the WebSocket and SSE clients).
 *
 * <ul>
 *   <li>{@link #binary(ByteBuffer, String) binary bytes}: the content type is the declared one if any (checked
 *       with {@link ContentTypes#requireValid}), else recognised from the first bytes ({@link
 *       ContentTypes#sniff}: JPEG, PNG, WebP, GIF, MP4);
 *   <li>{@link #dataUri(String) a data URI}: {@code data:<type>;base64,<payload>}, its own type;
 *   <li>{@link #base64(String, String) bare base64} with a declared type, and an {@link #initSegment(String,
 *       String) init segment} in base64 (what an SSE stream carries).
 * </ul>
 *
 * <p>An MP4 payload is classified (rules W1, W9): one starting with {@code ftyp} or {@code moov} is a
 * {@link FrameKind#INIT} frame and becomes the stream's init segment; any other is a fragment, {@link
 * FrameKind#KEY} or {@link FrameKind#DELTA} from its sample flags read against the stream's newest init
 * segment, or, before the stream sent one, the fallback (such as the channel's current init segment), and
 * {@code KEY} when that cannot be read. Anything else is {@code KEY}.
 *
 * <p>{@code maxFrameBytes} is checked before the payload is held: a binary message before it is copied, a
 * data URI or base64 text from its length before it is decoded. Every refusal is an {@link IngestException}
 * whose {@link IngestException.Reason} the entry point maps to its answer.
 *
 * <p>The methods return a builder with payload, content type and kind set; the caller adds what its stream
 * describes (dimensions, codec) and builds the frame.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: one instance per stream (a publisher's connection, a client's connection, one HTTP
 * post), fed serially.
 *
 * @since 0.3.0
 */
public final class FrameIngest {

  /** The largest {@code maxFrameBytes} a server or client may be configured with: 256 MiB. */
  public static final int MAX_FRAME_BYTES_LIMIT = 256 << 20;

  private static final String UNKNOWN_FORMAT =
      "unknown frame format: send JPEG, PNG, WebP, GIF or MP4, or declare its content type";

  private static final byte[] EMPTY = new byte[0];

  private final int maxFrameBytes;
  private final Supplier<byte[]> fallbackInit;
  private final Fmp4Kinds kinds = new Fmp4Kinds();

  /**
   * Creates the ingest of one stream with no fallback init segment.
   *
   * @param maxFrameBytes the largest payload accepted, at least 1
   * @throws IllegalArgumentException if {@code maxFrameBytes} is below 1
   */
  public FrameIngest(int maxFrameBytes) {
    this(maxFrameBytes, null);
  }

  /**
   * Creates the ingest of one stream.
   *
   * @param maxFrameBytes the largest payload accepted, at least 1
   * @param fallbackInit gives an init segment to read fragments against until the stream sends its own (such
   *     as the channel's), or {@code null} when there is none; called only for MP4 fragments
   * @throws IllegalArgumentException if {@code maxFrameBytes} is below 1
   */
  public FrameIngest(int maxFrameBytes, Supplier<byte[]> fallbackInit) {
    if (maxFrameBytes < 1) {
      throw new IllegalArgumentException("maxFrameBytes must be at least 1, got " + maxFrameBytes);
    }
    this.maxFrameBytes = maxFrameBytes;
    this.fallbackInit = fallbackInit;
  }

  /**
   * Creates the ingest of a publisher of a channel: the channel's current init segment is the fallback.
   *
   * @param channel the channel published into
   * @param maxFrameBytes the largest payload accepted, at least 1
   * @return the ingest
   */
  public static FrameIngest forChannel(Channel channel, int maxFrameBytes) {
    return new FrameIngest(maxFrameBytes, () -> channel.initFrame().map(Frame::copyPayload).orElse(null));
  }

  /**
   * Checks a configured {@code maxFrameBytes}.
   *
   * @param bytes the limit
   * @return {@code bytes}
   * @throws IllegalArgumentException unless 1 to {@link #MAX_FRAME_BYTES_LIMIT}
   */
  public static int checkMaxFrameBytes(int bytes) {
    if (bytes < 1 || bytes > MAX_FRAME_BYTES_LIMIT) {
      throw new IllegalArgumentException("maxFrameBytes must be 1.." + MAX_FRAME_BYTES_LIMIT + ", got " + bytes);
    }
    return bytes;
  }

  /**
   * Returns the largest payload accepted.
   *
   * @return bytes
   */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * Ingests a binary message; its bytes are copied into the frame.
   *
   * @param message the message (position and limit unchanged)
   * @param declaredType the content type the stream declares for it, or {@code null} to recognise it
   * @return a builder with payload, content type and kind set
   * @throws IngestException {@code TOO_LARGE}, {@code INVALID_TYPE} or {@code UNKNOWN_TYPE}
   */
  public Frame.Builder binary(ByteBuffer message, String declaredType) {
    checkSize(message.remaining());
    String type = typeOf(message, declaredType);
    return classify(Frame.builder(EMPTY).payload(message).contentType(type), type, message);
  }

  /**
   * Ingests a binary message held in an array (copied when the frame is built, like any array given to
   * {@link Frame#builder(byte[])}).
   *
   * @param message the message
   * @param declaredType the content type the stream declares for it, or {@code null} to recognise it
   * @return a builder with payload, content type and kind set
   * @throws IngestException {@code TOO_LARGE}, {@code INVALID_TYPE} or {@code UNKNOWN_TYPE}
   */
  public Frame.Builder binary(byte[] message, String declaredType) {
    checkSize(message.length);
    ByteBuffer view = ByteBuffer.wrap(message);
    String type = typeOf(view, declaredType);
    return classify(Frame.builder(message).contentType(type), type, view);
  }

  /**
   * Ingests a binary message held in an array the caller hands over: the frame adopts the array without
   * copying it ({@link Frame.Builder#adoptPayload(byte[])}). For entry points that made the array themselves,
   * such as the join of a request body's reads or a WebSocket container's own copy of a message; the caller
   * must not touch the array afterwards, even when this method throws.
   *
   * @param message the message, now owned by the frame
   * @param declaredType the content type the stream declares for it, or {@code null} to recognise it
   * @return a builder with payload, content type and kind set
   * @throws IngestException {@code TOO_LARGE}, {@code INVALID_TYPE} or {@code UNKNOWN_TYPE}
   */
  public Frame.Builder adoptBinary(byte[] message, String declaredType) {
    checkSize(message.length);
    ByteBuffer view = ByteBuffer.wrap(message);
    String type = typeOf(view, declaredType);
    return classify(Frame.builder(EMPTY).adoptPayload(message).contentType(type), type, view);
  }

  /**
   * Ingests a data URI, {@code data:<type>;base64,<payload>}; its type is the frame's.
   *
   * @param text the data URI
   * @return a builder with payload, content type and kind set
   * @throws IngestException {@code TOO_LARGE} (decided from the text's length where it can be, before
   *     decoding) or {@code MALFORMED_DATA_URI}
   */
  public Frame.Builder dataUri(String text) {
    Frame.Builder b;
    try {
      b = DataUris.decode(text, maxFrameBytes);
    } catch (LimitExceededException e) {
      throw new IngestException(IngestException.Reason.TOO_LARGE, e.getMessage(), e);
    } catch (FrameCodecException e) {
      throw new IngestException(IngestException.Reason.MALFORMED_DATA_URI, e.getMessage(), e);
    }
    Frame decoded = b.build(); // the one copy of the decoded payload; building from toBuilder() copies nothing
    return classify(decoded.toBuilder(), decoded.contentType(), decoded.payload());
  }

  /**
   * Ingests a payload in base64 whose type the stream declares.
   *
   * @param text the base64 text
   * @param declaredType the content type, or {@code null} to recognise it
   * @return a builder with payload, content type and kind set
   * @throws IngestException {@code TOO_LARGE} (from the text's length, before decoding), {@code
   *     MALFORMED_BASE64}, {@code INVALID_TYPE} or {@code UNKNOWN_TYPE}
   */
  public Frame.Builder base64(String text, String declaredType) {
    return adoptBinary(decode(text, "data"), declaredType); // the decoder's output is ours alone
  }

  /**
   * Ingests an init segment that arrives in base64 apart from the frames (as in an SSE {@code init} event):
   * it becomes the stream's init segment, whatever its bytes, and a {@link FrameKind#INIT} frame.
   *
   * @param text the base64 text
   * @param contentType the stream's content type
   * @return a builder with payload, content type and kind set
   * @throws IngestException {@code TOO_LARGE}, {@code MALFORMED_BASE64} or {@code INVALID_TYPE}
   */
  public Frame.Builder initSegment(String text, String contentType) {
    byte[] bytes = decode(text, "initSegment");
    String type = typeOf(ByteBuffer.wrap(bytes), contentType == null ? ContentTypes.OCTET_STREAM : contentType);
    kinds.initSegment(bytes); // kept only to be read, like the frame's payload
    return Frame.builder(EMPTY).adoptPayload(bytes).contentType(type).kind(FrameKind.INIT);
  }

  private void checkSize(long bytes) {
    if (bytes > maxFrameBytes) {
      throw new IngestException(IngestException.Reason.TOO_LARGE,
          "frame of " + bytes + " bytes exceeds maxFrameBytes " + maxFrameBytes);
    }
  }

  private static String typeOf(ByteBuffer payload, String declaredType) {
    if (declaredType != null) {
      try {
        return ContentTypes.requireValid(declaredType);
      } catch (IllegalArgumentException e) {
        throw new IngestException(IngestException.Reason.INVALID_TYPE, "invalid content type: " + e.getMessage(), e);
      }
    }
    Optional<String> sniffed = ContentTypes.sniff(payload);
    if (sniffed.isEmpty()) {
      throw new IngestException(IngestException.Reason.UNKNOWN_TYPE, UNKNOWN_FORMAT);
    }
    return sniffed.get();
  }

  /** Sets the kind of an MP4 payload (INIT, KEY or DELTA); other types stay KEY. */
  private Frame.Builder classify(Frame.Builder b, String type, ByteBuffer payload) {
    if (ContentTypes.MP4.equals(type)) {
      kinds.kindOf(payload, fallbackInit).ifPresent(b::kind);
    }
    return b;
  }

  /** Decodes base64 text, refusing from its length alone a payload certainly over the limit. */
  private byte[] decode(String text, String what) {
    // Padding takes at most 2 bytes off the 3 per 4 characters: refused only when certainly too big.
    long atLeast = (long) text.length() / 4 * 3 - 2;
    if (atLeast > maxFrameBytes) {
      throw new IngestException(IngestException.Reason.TOO_LARGE, "base64 " + what + " of at least " + atLeast
          + " bytes exceeds maxFrameBytes " + maxFrameBytes);
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IngestException(IngestException.Reason.MALFORMED_BASE64,
          "invalid base64 in the " + what + ": " + e.getMessage(), e);
    }
    checkSize(bytes.length);
    return bytes;
  }
}
