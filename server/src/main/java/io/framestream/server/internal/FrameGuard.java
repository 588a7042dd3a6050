package io.framestream.server.internal;

import java.nio.charset.StandardCharsets;
import org.glassfish.grizzly.Buffer;

/**
 * Reads the headers of the WebSocket frames (RFC 6455 §5.2) a client sends on one connection, without
 * keeping any payload, and says when a frame must be refused before its payload is read: a data message
 * whose announced length, or running total over its fragments, passes the connection's limit (close code
 * 1009), or a frame that breaks the framing rules the limits rely on (1002): a control frame over 125 bytes
 * or fragmented, a continuation with no message to continue, a new message inside a fragmented one, a
 * reserved opcode, a 64-bit length with its top bit set. A client that sends more than {@value
 * #MAX_PINGS_PER_SECOND} pings a second is refused with 1008: each ping costs the server a pong.
 *
 * <p>A header may be split across reads in any way; the guard keeps at most its 14 bytes between reads.
 * Payload bytes are only counted, unless a {@link Frames} reader was given ({@link #readBy}): then every
 * frame that passes is shown to it as it arrives. Unmasked client frames are a protocol error (RFC 6455
 * §5.1).
 *
 * <p>After refusing a message as too big, the guard goes on reading headers (skipping the refused payload and
 * everything else) only to notice the client's own close frame, so that a well-behaved client that was still
 * sending its message can finish and read the refusal before the connection ends. After a protocol error
 * nothing more is parsed.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: one instance per connection, fed by the reads of that connection, which Grizzly delivers
 * one at a time.
 */
final class FrameGuard {

  /** The largest control-frame payload RFC 6455 allows. */
  static final int MAX_CONTROL_PAYLOAD = 125;
  /** Close code: message too big. */
  static final int TOO_BIG = 1009;
  /** Close code: protocol error. */
  static final int PROTOCOL_ERROR = 1002;
  /** Close code: policy violation. */
  static final int POLICY = 1008;
  /**
   * Pings a client may send per second: each one makes the server queue a pong, so a client that pings
   * without reading would otherwise grow the server's write queue at will.
   */
  static final int MAX_PINGS_PER_SECOND = 16;
  private static final long SECOND_NANOS = 1_000_000_000L;

  private static final int TEXT = 1;
  private static final int BINARY = 2;
  private static final int MAX_HEADER = 14;

  private final long textLimit;
  private final long binaryLimit;
  private final String textLimitName;
  private final String binaryLimitName;
  private final byte[] header = new byte[MAX_HEADER];
  private int headerLength;
  private int headerNeeded = 2;
  private long payloadLeft;
  /** Opcode of the fragmented message in progress, 0 when none. */
  private int messageOpcode;
  private long messageTotal;
  private Refusal refusal;
  private boolean closeReceived;
  private final java.util.function.LongSupplier clock;
  private long pingWindowStart;
  private int pingsInWindow;
  /** Who reads the frames that pass, or null when they are only counted. */
  private Frames frames;

  /**
   * What reads the frames a guard lets through, frame by frame, in the order they arrive: each frame's
   * header once it is complete and checked, then its payload in pieces as reads bring it, then its end. A
   * refused frame, and everything after a refusal, is never shown.
   *
   * <h2>Thread safety</h2>
   *
   * Called from the thread that calls {@link FrameGuard#scan}.
   */
  interface Frames {
    /**
     * A frame's header passed the checks.
     *
     * @param header the header's bytes, masking key included (valid until the next call)
     * @param headerLength how many of them
     * @param opcode the frame's opcode (0 for a continuation)
     * @param messageOpcode the opcode of the message the frame belongs to: 1 text, 2 binary, or the
     *     control frame's own opcode
     * @param fin whether the frame ends its message
     * @param length the payload's length
     */
    void header(byte[] header, int headerLength, int opcode, int messageOpcode, boolean fin, long length);

    /**
     * Payload bytes of the current frame, still masked.
     *
     * @param bytes the read they are in
     * @param from the first byte's index
     * @param to the index after the last byte
     */
    void payload(Buffer bytes, int from, int to);

    /** The current frame's payload is complete (called right after its header when it has none). */
    void end();
  }

  /**
   * Creates a guard for one connection.
   *
   * @param textLimit the largest text message, in bytes
   * @param textLimitName what a refusal calls that limit, such as {@code "maxFrameBytes as a data URI"}
   * @param binaryLimit the largest binary message, in bytes
   * @param binaryLimitName what a refusal calls that limit, such as {@code "maxFrameBytes"}
   */
  FrameGuard(long textLimit, String textLimitName, long binaryLimit, String binaryLimitName) {
    this(textLimit, textLimitName, binaryLimit, binaryLimitName, System::nanoTime);
  }

  /**
   * Creates a guard for one connection with a clock for the ping rate.
   *
   * @param textLimit the largest text message, in bytes
   * @param textLimitName what a refusal calls that limit
   * @param binaryLimit the largest binary message, in bytes
   * @param binaryLimitName what a refusal calls that limit
   * @param nanoClock monotonic nanoseconds, such as {@code System::nanoTime}
   */
  FrameGuard(long textLimit, String textLimitName, long binaryLimit, String binaryLimitName,
      java.util.function.LongSupplier nanoClock) {
    this.clock = nanoClock;
    this.textLimit = textLimit;
    this.textLimitName = textLimitName;
    this.binaryLimit = binaryLimit;
    this.binaryLimitName = binaryLimitName;
  }

  /**
   * Shows every frame that passes from now on to a reader; call it between frames (before the first read of
   * an upgraded connection).
   *
   * @param reader what reads the frames
   */
  void readBy(Frames reader) {
    this.frames = reader;
  }

  /** Why a connection's frame is refused: the close code and a short reason. */
  record Refusal(int code, String reason) {
    /**
     * Returns the close frame a server sends (unmasked): code and reason, at most 125 bytes of payload.
     *
     * @return the frame's bytes
     */
    byte[] closeFrame() {
      byte[] text = reason.getBytes(StandardCharsets.UTF_8);
      int n = Math.min(text.length, MAX_CONTROL_PAYLOAD - 2);
      byte[] frame = new byte[4 + n];
      frame[0] = (byte) 0x88;
      frame[1] = (byte) (2 + n);
      frame[2] = (byte) (code >>> 8);
      frame[3] = (byte) code;
      System.arraycopy(text, 0, frame, 4, n);
      return frame;
    }
  }

  /**
   * Reads the bytes between the buffer's position and limit (neither is moved).
   *
   * @param bytes the next bytes the client sent
   * @return null to let them through, or why the connection must be refused (also for every later call)
   */
  Refusal scan(Buffer bytes) {
    int end = bytes.limit();
    int i = bytes.position();
    while (i < end && (refusal == null || refusal.code() == TOO_BIG)) {
      if (payloadLeft > 0) {
        long skip = Math.min(payloadLeft, end - i);
        payloadLeft -= skip;
        if (frames != null && refusal == null) {
          frames.payload(bytes, i, i + (int) skip);
          if (payloadLeft == 0) {
            frames.end();
          }
        }
        i += (int) skip;
        continue;
      }
      header[headerLength++] = bytes.get(i++);
      if (headerLength == 2) {
        int lengthBytes = (header[1] & 0x7F) == 127 ? 8 : (header[1] & 0x7F) == 126 ? 2 : 0;
        headerNeeded = 2 + lengthBytes + ((header[1] & 0x80) != 0 ? 4 : 0);
      }
      if (headerLength >= 2 && headerLength == headerNeeded) {
        if (refusal == null) {
          int opcode = header[0] & 0x0F;
          int ofMessage = opcode == 0 ? messageOpcode : opcode; // read before onHeader ends the message
          refusal = onHeader();
          if (frames != null && refusal == null) {
            frames.header(header, headerLength, opcode, ofMessage, (header[0] & 0x80) != 0, payloadLeft);
            if (payloadLeft == 0) {
              frames.end();
            }
          }
        } else {
          afterRefusal();
        }
        headerLength = 0;
        headerNeeded = 2;
      }
    }
    return refusal;
  }

  /**
   * Tells whether the client sent a close frame after its message was refused as too big.
   *
   * @return true once its header was read
   */
  boolean closeReceived() {
    return closeReceived;
  }

  /**
   * Tells whether a message was refused.
   *
   * @return true after a refusal
   */
  boolean refused() {
    return refusal != null;
  }

  private void afterRefusal() {
    closeReceived |= (header[0] & 0x0F) == 8;
    long length = length();
    payloadLeft = Math.max(0, length);
  }

  /** The payload length of the header in {@link #header}, or -1 when its top bit is set. */
  private long length() {
    long length = header[1] & 0x7F;
    if (length == 126) {
      return ((header[2] & 0xFFL) << 8) | (header[3] & 0xFFL);
    }
    if (length == 127) {
      length = 0;
      for (int k = 2; k < 10; k++) {
        length = (length << 8) | (header[k] & 0xFFL);
      }
    }
    return length;
  }

  private Refusal onHeader() {
    boolean fin = (header[0] & 0x80) != 0;
    int opcode = header[0] & 0x0F;
    long length = length();
    if (length < 0) {
      return new Refusal(PROTOCOL_ERROR, "invalid frame length");
    }
    if ((header[1] & 0x80) == 0) {
      return new Refusal(PROTOCOL_ERROR, "unmasked client frame"); // RFC 6455 5.1: a server must close
    }
    if (opcode >= 8) {
      if (opcode > 10) {
        return new Refusal(PROTOCOL_ERROR, "reserved opcode " + opcode);
      }
      if (!fin || length > MAX_CONTROL_PAYLOAD) {
        return new Refusal(PROTOCOL_ERROR, "control frame over 125 bytes or fragmented");
      }
      if (opcode == 9 && tooManyPings()) {
        return new Refusal(POLICY, "more than " + MAX_PINGS_PER_SECOND + " pings a second");
      }
    } else if (opcode == 0) {
      if (messageOpcode == 0) {
        return new Refusal(PROTOCOL_ERROR, "continuation frame without a message");
      }
      // Compared before adding: a 63-bit length would overflow the running total.
      Refusal tooBig = checkSize(messageOpcode, messageTotal, length);
      messageTotal += tooBig == null ? length : 0;
      if (tooBig != null) {
        payloadLeft = length; // skipped while waiting for the client's close frame
        return tooBig;
      }
      if (fin) {
        messageOpcode = 0;
      }
    } else if (opcode == TEXT || opcode == BINARY) {
      if (messageOpcode != 0) {
        return new Refusal(PROTOCOL_ERROR, "new message inside a fragmented one");
      }
      Refusal tooBig = checkSize(opcode, 0, length);
      if (tooBig != null) {
        payloadLeft = length; // skipped while waiting for the client's close frame
        return tooBig;
      }
      messageTotal = length;
      messageOpcode = fin ? 0 : opcode;
    } else {
      return new Refusal(PROTOCOL_ERROR, "reserved opcode " + opcode);
    }
    payloadLeft = length;
    return null;
  }

  /** A refusal when {@code soFar + length} passes the limit (both non-negative; computed without overflow). */
  private Refusal checkSize(int opcode, long soFar, long length) {
    boolean text = opcode == TEXT;
    long limit = text ? textLimit : binaryLimit;
    if (length > limit - soFar) {
      String total = length > Long.MAX_VALUE - soFar ? "more than " + Long.MAX_VALUE : Long.toString(soFar + length);
      return new Refusal(TOO_BIG, (text ? "text" : "binary") + " message of " + total + " bytes or more exceeds "
          + (text ? textLimitName : binaryLimitName) + " (" + limit + ")");
    }
    return null;
  }

  /** Counts a ping; true when this one is over {@link #MAX_PINGS_PER_SECOND} in the current second. */
  private boolean tooManyPings() {
    long now = clock.getAsLong();
    if (pingsInWindow == 0 || now - pingWindowStart >= SECOND_NANOS) {
      pingWindowStart = now;
      pingsInWindow = 0;
    }
    return ++pingsInWindow > MAX_PINGS_PER_SECOND;
  }
}
