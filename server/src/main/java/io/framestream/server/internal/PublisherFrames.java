package io.framestream.server.internal;

import io.framestream.transport.websocket.spi.PublisherInput;
import java.io.ByteArrayOutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import org.glassfish.grizzly.Buffer;

/**
 * Reads the data messages of one publisher's WebSocket connection in the embedded server's filter, in front
 * of Tyrus, and hands each whole message to the publishing endpoint ({@link PublisherInput}): the payload is
 * copied once, from Grizzly's read buffer into the array that becomes the frame's payload, and unmasked
 * there in place eight bytes at a time. Tyrus would unmask byte by byte into an array of its own, copy that
 * for the handler, and grow its incoming buffer in steps; measured, its unmasking alone was three quarters
 * of the server's ingest CPU (docs/performance.md).
 *
 * <p>Control frames (ping, pong, close) are collected as they came, masked, and passed on to Tyrus after
 * each read ({@link #takeControlFrames()}), which answers pings, reports pongs and closes. The {@link
 * FrameGuard} in front of this reader has already checked every header against the connection's limits
 * and the framing rules before a byte of its payload reaches this class.
 *
 * <p>Memory and work: a message's array is allocated as its bytes arrive: at first as many as arrived, at
 * least {@value #FIRST_ALLOCATION} (never more than the frame announced), then doubled, so an incomplete
 * message holds at most twice what arrived, or {@value #FIRST_ALLOCATION} bytes, and a message sent in tiny
 * fragments costs linear copying (a fragmented message grows toward its type's limit, not its current
 * frame's end, and is trimmed once at its end). A message of one frame that arrives within the first
 * allocation, or in one read, is exactly its array, handed over without another copy. Data frames after the
 * client's close frame are not read (RFC 6455 §5.5.1), nor are messages while no session is open for them.
 *
 * <p>Text messages must be valid UTF-8 (RFC 6455 §8.1); one that is not is refused with close code 1007
 * ({@link #refusal()}), and nothing more is read.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: one instance per connection, fed by that connection's reads, which Grizzly delivers one
 * at a time.
 */
final class PublisherFrames implements FrameGuard.Frames {

  /** What a message's array may hold beyond the bytes that arrived, when it is first allocated: 64 KiB. */
  static final int FIRST_ALLOCATION = 64 << 10;
  /** The control-frame buffer is replaced, not kept, once a read grew it past this. */
  private static final int CONTROL_KEPT = 4096;
  /** Close code: invalid frame payload data (bad UTF-8). */
  static final int INVALID_PAYLOAD = 1007;

  private static final int TEXT = 1;
  /** Eight bytes at a time in the machine's own order, so no byte swap is needed per access. */
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
  private static final System.Logger LOG = System.getLogger(PublisherFrames.class.getName());

  private final Supplier<Optional<PublisherInput>> endpoint;
  private final int textLimit;
  private final int binaryLimit;
  /** The endpoint of the message being read; null while none is open (its bytes are then only counted). */
  private PublisherInput input;
  private ByteArrayOutputStream control = new ByteArrayOutputStream(0);
  private boolean closeReceived;
  private CharsetDecoder utf8;
  private boolean inControlFrame;
  /** The message being read: its opcode, its bytes so far, and the length it has when its frame ends. */
  private int messageOpcode;
  private byte[] message;
  private int filled;
  private int needed;
  private boolean fragmented;
  /** The current data frame: its masking key, its payload bytes read so far, whether it ends the message. */
  private int mask;
  private long frameOffset;
  private boolean fin;
  private FrameGuard.Refusal refusal;

  /**
   * Creates the reader of one connection.
   *
   * @param endpoint finds the connection's publishing endpoint while its session is open
   * @param textLimit the largest text message the guard lets through, in bytes
   * @param binaryLimit the largest binary message the guard lets through, in bytes
   */
  PublisherFrames(Supplier<Optional<PublisherInput>> endpoint, int textLimit, int binaryLimit) {
    this.endpoint = endpoint;
    this.textLimit = textLimit;
    this.binaryLimit = binaryLimit;
  }

  @Override
  public void header(byte[] header, int headerLength, int opcode, int ofMessage, boolean fin, long length) {
    if (refusal != null) {
      return;
    }
    inControlFrame = ofMessage >= 8;
    if (inControlFrame) {
      closeReceived |= opcode == 8;
      control.write(header, 0, headerLength);
      return;
    }
    if (opcode != 0) {
      messageOpcode = ofMessage;
      message = null;
      filled = 0;
      fragmented = !fin;
      // Looked up per message: a session that closed takes no more messages, and their bytes are not kept.
      input = closeReceived ? null : endpoint.get().orElse(null);
    } else {
      fragmented = true;
    }
    // The guard has checked the message's running total against the connection's limit, an int.
    needed = Math.toIntExact(filled + length);
    mask = ((header[headerLength - 4] & 0xFF) << 24) | ((header[headerLength - 3] & 0xFF) << 16)
        | ((header[headerLength - 2] & 0xFF) << 8) | (header[headerLength - 1] & 0xFF);
    frameOffset = 0;
    this.fin = fin;
  }

  @Override
  public void payload(Buffer bytes, int from, int to) {
    if (refusal != null) {
      return;
    }
    if (inControlFrame) {
      for (int i = from; i < to; i++) { // at most 125 bytes
        control.write(bytes.get(i));
      }
      return;
    }
    int n = to - from;
    if (input == null) {
      return; // no open session to take the message (or the client closed): counted by the guard, not kept
    }
    reserve(filled + n);
    int position = bytes.position();
    bytes.position(from);
    bytes.get(message, filled, n);
    bytes.position(position);
    unmask(message, filled, n, mask, frameOffset);
    filled += n;
    frameOffset += n;
  }

  @Override
  public void end() {
    if (refusal != null || inControlFrame || !fin) {
      return;
    }
    byte[] whole = message == null ? new byte[0] : message.length == filled ? message : Arrays.copyOf(message, filled);
    message = null;
    filled = 0;
    if (input == null) {
      LOG.log(System.Logger.Level.DEBUG, "publisher message with no open session (or after a close) dropped");
      return;
    }
    if (messageOpcode == TEXT) {
      String text = text(whole);
      if (text == null) {
        refusal = new FrameGuard.Refusal(INVALID_PAYLOAD, "text message is not valid UTF-8");
        return;
      }
      deliver(null, text);
    } else {
      deliver(whole, null);
    }
  }

  /**
   * Decodes a text message, or returns null when it is not valid UTF-8. Data URIs and control messages are
   * ASCII: those are checked and copied once, with no decoder buffers.
   */
  private String text(byte[] bytes) {
    boolean ascii = true;
    for (byte b : bytes) {
      if (b < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(bytes, StandardCharsets.US_ASCII);
    }
    try {
      return decoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /**
   * Returns the control frames read since the last call, as the client sent them (masked), and forgets them.
   *
   * @return the bytes for Tyrus, or null when there are none
   */
  byte[] takeControlFrames() {
    if (control.size() == 0) {
      return null;
    }
    byte[] frames = control.toByteArray();
    if (frames.length > CONTROL_KEPT) {
      control = new ByteArrayOutputStream(0); // a read full of pongs: do not keep its buffer for the connection's life
    } else {
      control.reset();
    }
    return frames;
  }

  /**
   * Returns why the connection must be closed (a text message that is not UTF-8), or null.
   *
   * @return the refusal, or null
   */
  FrameGuard.Refusal refusal() {
    return refusal;
  }

  /**
   * Makes room for {@code size} bytes: at first what arrived, at least {@link #FIRST_ALLOCATION}, then doubled;
   * never past the current frame's end for a message of one frame (so it needs no trim), nor past its type's
   * limit for a fragmented one (so its growth stays geometric however small its fragments).
   */
  private void reserve(int size) {
    int capacity = message == null ? 0 : message.length;
    if (size <= capacity) {
      return;
    }
    long grown = Math.max(size, capacity == 0 ? FIRST_ALLOCATION : 2L * capacity);
    int cap = fragmented ? (messageOpcode == TEXT ? textLimit : binaryLimit) : needed;
    int target = (int) Math.min(Math.max(cap, size), grown);
    message = message == null ? new byte[target] : Arrays.copyOf(message, target);
  }

  private void deliver(byte[] binary, String text) {
    try {
      if (binary != null) {
        input.binary(binary);
      } else {
        input.text(text);
      }
    } catch (RuntimeException e) {
      // As a container does with a handler's exception: the connection goes on (logged quietly: a peer
      // that can make every message fail must not flood the log).
      LOG.log(System.Logger.Level.DEBUG, "publishing endpoint failed on a message", e);
    }
  }

  private CharsetDecoder decoder() {
    if (utf8 == null) {
      utf8 = StandardCharsets.UTF_8.newDecoder(); // reports malformed input (the default for newDecoder)
    }
    return utf8.reset();
  }

  /**
   * XORs {@code length} bytes of {@code bytes} from {@code offset} with a WebSocket masking key, the first of
   * them being byte {@code frameOffset} of its frame's payload: eight bytes at a time, then the rest.
   *
   * @param bytes the array
   * @param offset where to start
   * @param length how many bytes
   * @param key the masking key, its first byte the most significant
   * @param frameOffset the first byte's index in its frame's payload
   */
  static void unmask(byte[] bytes, int offset, int length, int key, long frameOffset) {
    int rotated = Integer.rotateLeft(key, 8 * (int) (frameOffset & 3));
    long keyBigEndian = ((rotated & 0xFFFFFFFFL) << 32) | (rotated & 0xFFFFFFFFL);
    long key8 = LITTLE_ENDIAN ? Long.reverseBytes(keyBigEndian) : keyBigEndian; // once per read, not per long
    int i = offset;
    int end = offset + length;
    for (; i <= end - 8; i += 8) {
      LONGS.set(bytes, i, (long) LONGS.get(bytes, i) ^ key8);
    }
    for (int k = 0; i < end; i++, k++) {
      bytes[i] ^= (byte) (rotated >>> (24 - 8 * (k & 3)));
    }
  }
}
