package io.framestream.transport.websocket.internal;

import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameEncoding;
import io.framestream.core.FrameKind;
import io.framestream.core.wire.Fmp4Chunks;
import io.framestream.transport.websocket.spi.WebSocketFrames;
import jakarta.websocket.SendHandler;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * The {@code ?format=chunks} wire of {@code /ws/live/{channel}} (rule W12): what a WebCodecs page feeds to
 * {@code VideoDecoder} and {@code ImageDecoder} without parsing MP4.
 *
 * <ul>
 *   <li>A JSON text {@code {"type":"config",...}} describes what follows: for a video stream (sent for each
 *       {@code INIT} frame, so on join and whenever the init segment changes) {@code "contentType":
 *       "video/mp4"}, {@code "codec"} (the video track's RFC 6381 string), {@code "codedWidth"}, {@code
 *       "codedHeight"} and {@code "description"} (the {@code avcC}/{@code hvcC}/{@code av1C} body as
 *       base64; absent when the codec needs none); for images (before the first frame and whenever the type
 *       or size changes) {@code "contentType"}, {@code "width"}, {@code "height"}.
 *   <li>Then one binary message per frame, big-endian: a 20-byte header ({@code u8} version 1, {@code u8}
 *       flags with bit 0 = the first sample is a key frame, {@code u16} sample count, {@code i64} the frame's
 *       capture time in microseconds since the epoch, {@code i64} the channel's sequence number), then each
 *       sample: a 20-byte sample header ({@code u8} flags with bit 0 = key, three zero bytes, {@code i64}
 *       presentation time in microseconds, {@code u32} duration in microseconds, {@code u32} data length)
 *       and its data. A video fragment gives its video track's samples (length-prefixed NAL units as in the
 *       {@code mdat} for H.264/HEVC); an image frame is one key sample holding the image file, with the
 *       capture time as its timestamp and duration 0.
 *   <li>Status texts ({@code {"type":"status",...}}) as in the binary format.
 * </ul>
 *
 * <p>Every message for a frame is built once per frame and shared by all chunk viewers (W11): the
 * configuration on the {@code INIT} frame, the sample message on each fragment, through encodings that are
 * themselves built once per {@code INIT} frame. A fragment that cannot be read (no {@code INIT} before it,
 * or malformed) is not sent, and the viewer waits for the next key frame; so does a viewer that joined
 * between an {@code INIT} and its first key frame.
 *
 * <h2>Thread safety</h2>
 *
 * One instance per viewer, used only from the viewer's serial sink calls (rule K3); the encodings it reads
 * are cached on the frames under their own locks.
 */
final class ChunkStream {

  /** The wire version in every binary message's first byte. */
  static final int VERSION = 1;
  /** Bytes of the message header. */
  static final int HEADER_BYTES = 20;
  /** Bytes of each sample's header. */
  static final int SAMPLE_HEADER_BYTES = 20;
  private static final ByteBuffer UNREADABLE = ByteBuffer.allocate(0).asReadOnlyBuffer();

  /** A video stream's configuration and the encodings of its fragments, built once per {@code INIT} frame. */
  private static final FrameEncoding<Stream> STREAM = FrameEncoding.of("chunks-stream", Stream::of);

  /** An image frame as a chunk message with one sample. */
  static final FrameEncoding<ByteBuffer> IMAGE = FrameEncoding.of("chunks-image", ChunkStream::image);

  /** The stream of the latest {@code INIT} frame, or {@code null}: serial sink calls only. */
  private Stream stream;
  private boolean waitForKey = true;
  private String announcedImage = "";

  /**
   * What to send for one frame: an optional small text first (not shared), then the frame's message (shared).
   *
   * @param notice a text to send first, or {@code null}
   * @param message the encoding of the frame's message
   */
  record Step(String notice, FrameEncoding<ByteBuffer> message) {}

  /**
   * Decides what a frame becomes on this viewer's connection.
   *
   * @param frame the frame the channel hands over
   * @return what to send, or {@code null} to complete the frame without sending anything
   */
  Step step(Frame frame) {
    if (!ContentTypes.MP4.equals(frame.contentType())) {
      String description = frame.contentType() + "|" + frame.width().orElse(0) + "|" + frame.height().orElse(0);
      String notice = null;
      if (!description.equals(announcedImage)) {
        announcedImage = description;
        notice = "{\"type\":\"config\",\"contentType\":\"" + jsonSafe(frame.contentType()) + "\""
            + (frame.width().isPresent() ? ",\"width\":" + frame.width().getAsInt() : "")
            + (frame.height().isPresent() ? ",\"height\":" + frame.height().getAsInt() : "") + "}";
      }
      return new Step(notice, IMAGE);
    }
    announcedImage = "";
    if (frame.kind() == FrameKind.INIT) {
      Stream s = frame.encoded(STREAM);
      stream = s.config == null ? null : s;
      waitForKey = true;
      return stream == null ? null : new Step(null, s.configMessage);
    }
    if (stream == null || (waitForKey && frame.kind() != FrameKind.KEY)) {
      return null;
    }
    if (frame.encoded(stream.samples).remaining() == 0) {
      waitForKey = true; // unreadable: its deltas would not decode either
      return null;
    }
    waitForKey = false;
    return new Step(null, stream.samples);
  }

  /**
   * Sends a derived message through the portable API: its payload, as text or binary as its header says.
   *
   * @param session the connection
   * @param framed the pre-framed message
   * @param done told the outcome
   */
  static void sendPortable(Session session, ByteBuffer framed, SendHandler done) {
    ByteBuffer b = framed.duplicate();
    int lengthByte = b.get(b.position() + 1) & 0x7F;
    int header = lengthByte < 126 ? 2 : lengthByte == 126 ? 4 : 10;
    boolean text = (b.get(b.position()) & 0x0F) == 0x1;
    b.position(b.position() + header);
    if (text) {
      session.getAsyncRemote().sendText(StandardCharsets.UTF_8.decode(b).toString(), done);
    } else {
      session.getAsyncRemote().sendBinary(b.slice(), done);
    }
  }

  /** Content types and codec strings are validated ASCII; this keeps the JSON well-formed whatever. */
  private static String jsonSafe(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static long epochMicros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
  }

  private static ByteBuffer image(Frame frame) {
    ByteBuffer payload = frame.payload();
    long micros = epochMicros(frame.captureTime());
    ByteBuffer out = WebSocketFrames.startMessage(false, HEADER_BYTES + SAMPLE_HEADER_BYTES + payload.remaining());
    header(out, true, 1, micros, frame.sequence());
    sampleHeader(out, true, micros, 0, payload.remaining());
    out.put(payload);
    out.flip();
    return out.asReadOnlyBuffer();
  }

  private static void header(ByteBuffer out, boolean key, int count, long publishMicros, long sequence) {
    out.put((byte) VERSION).put((byte) (key ? 1 : 0)).putShort((short) count).putLong(publishMicros)
        .putLong(sequence);
  }

  private static void sampleHeader(ByteBuffer out, boolean key, long timestamp, long duration, int length) {
    out.put((byte) (key ? 1 : 0)).put((byte) 0).putShort((short) 0).putLong(timestamp)
        .putInt((int) Math.min(duration, 0xFFFF_FFFFL)).putInt(length);
  }

  /**
   * One video stream: its decoder configuration (or {@code null} when the init segment cannot be read), the
   * configuration text and the encoding of its fragments' sample messages.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable; built once per {@code INIT} frame and shared by every chunk viewer.
   */
  private static final class Stream {
    final Fmp4Chunks.DecoderConfig config;
    final FrameEncoding<ByteBuffer> configMessage;
    final FrameEncoding<ByteBuffer> samples;

    private Stream(Fmp4Chunks.DecoderConfig config) {
      this.config = config;
      ByteBuffer text = config == null ? UNREADABLE : configText(config);
      this.configMessage = FrameEncoding.of("chunks-config", f -> text);
      this.samples = FrameEncoding.of("chunks-samples", this::samples);
    }

    static Stream of(Frame init) {
      try {
        return new Stream(Fmp4Chunks.decoderConfig(init.copyPayload()));
      } catch (FrameCodecException | IndexOutOfBoundsException e) {
        return new Stream(null);
      }
    }

    private static ByteBuffer configText(Fmp4Chunks.DecoderConfig c) {
      byte[] description = c.description();
      String json = "{\"type\":\"config\",\"contentType\":\"video/mp4\",\"codec\":\"" + jsonSafe(c.codec())
          + "\",\"codedWidth\":" + c.width() + ",\"codedHeight\":" + c.height()
          + (description.length > 0 ? ",\"description\":\"" + Base64.getEncoder().encodeToString(description) + "\""
              : "") + "}";
      byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
      ByteBuffer out = WebSocketFrames.startMessage(true, bytes.length);
      out.put(bytes).flip();
      return out.asReadOnlyBuffer();
    }

    /** The fragment's sample message, or an empty buffer when the fragment cannot be read. */
    private ByteBuffer samples(Frame fragment) {
      ByteBuffer payload = fragment.payload();
      List<Fmp4Chunks.Sample> list;
      try {
        list = Fmp4Chunks.samples(config, payload);
      } catch (FrameCodecException | IndexOutOfBoundsException e) {
        return UNREADABLE;
      }
      if (list.isEmpty() || list.size() > 0xFFFF) {
        return UNREADABLE;
      }
      long length = HEADER_BYTES;
      for (Fmp4Chunks.Sample s : list) {
        length += SAMPLE_HEADER_BYTES + s.length();
      }
      ByteBuffer out = WebSocketFrames.startMessage(false, Math.toIntExact(length));
      header(out, list.get(0).key(), list.size(), epochMicros(fragment.captureTime()), fragment.sequence());
      for (Fmp4Chunks.Sample s : list) {
        sampleHeader(out, s.key(), s.timestampMicros(), s.durationMicros(), s.length());
        out.put(payload.slice(payload.position() + s.offset(), s.length()));
      }
      out.flip();
      return out.asReadOnlyBuffer();
    }
  }
}
