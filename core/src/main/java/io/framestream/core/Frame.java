package io.framestream.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One unit of a live stream: an image, or a fragment of a video stream, with its content type, kind,
 * sequence number, capture time and a little optional metadata.
 *
 * <p>A frame is an immutable value. It owns a private copy of its payload and hands out only read-only
 * views ({@link #payload()}) or fresh copies ({@link #copyPayload()}). Create one with {@link
 * #builder(byte[])} or {@link #of(String, byte[])}; derive a changed copy with {@link #toBuilder()}.
 *
 * <p>The {@link #sequence() sequence number} is assigned by the {@link Channel} that publishes the frame
 * (starting at 1 and increasing by one per accepted frame); whatever the producer set is replaced. A frame
 * not yet published has sequence {@code 0}.
 *
 * <p>Derived wire forms ({@link #base64()}, {@link #dataUri()}, and any {@link FrameEncoding}) are built
 * lazily, at most once per frame however many viewers ask, and then shared.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe. The encoding cache is filled under a per-frame lock: the first thread to ask
 * for an encoding computes it, concurrent askers wait for that result.
 *
 * @since 0.1.0
 */
public final class Frame {

  /** The largest width or height accepted in metadata. */
  public static final int MAX_DIMENSION = 65_535;

  /** The longest codec string accepted in metadata (RFC 6381 strings are far shorter). */
  public static final int MAX_CODEC_LENGTH = 128;

  /** The longest origin accepted (see {@link #origin()}). */
  public static final int MAX_ORIGIN_LENGTH = 128;

  private final byte[] payload;
  private final String contentType;
  private final FrameKind kind;
  private final long sequence;
  private final Instant captureTime;
  private final long publishNanoTime;
  private final int width;
  private final int height;
  private final String codec; // "" when unknown
  private final String origin; // "" when the frame entered on this node

  private final Object cacheLock = new Object();
  private volatile CachedEncoding[] cache = NO_ENCODINGS;
  /** Set once when the publishing channel let go of this frame (see {@link #retire()}). */
  private volatile boolean retired;

  private static final CachedEncoding[] NO_ENCODINGS = new CachedEncoding[0];

  private Frame(Builder b, byte[] ownedPayload, long sequence, long publishNanoTime) {
    this.payload = ownedPayload;
    this.contentType = b.contentType;
    this.kind = b.kind;
    this.sequence = sequence;
    this.captureTime = b.captureTime != null ? b.captureTime : Instant.now();
    this.publishNanoTime = publishNanoTime;
    this.width = b.width;
    this.height = b.height;
    this.codec = b.codec;
    this.origin = b.origin;
  }

  private Frame(Frame source, long sequence, long publishNanoTime) {
    this.payload = source.payload; // shared: both frames are immutable
    this.contentType = source.contentType;
    this.kind = source.kind;
    this.sequence = sequence;
    this.captureTime = source.captureTime;
    this.publishNanoTime = publishNanoTime;
    this.width = source.width;
    this.height = source.height;
    this.codec = source.codec;
    this.origin = source.origin;
  }

  /**
   * Creates a {@link FrameKind#KEY} frame with the given content type, captured now.
   *
   * @param contentType a MIME type such as {@code image/jpeg}
   * @param payload the frame bytes; copied
   * @return the frame
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException if the content type is blank or not of the form {@code type/subtype}
   */
  public static Frame of(String contentType, byte[] payload) {
    return builder(payload).contentType(contentType).build();
  }

  /**
   * Starts a builder for a frame with the given payload. The content type defaults to {@code
   * application/octet-stream}, the kind to {@link FrameKind#KEY} and the capture time to the moment of
   * {@link Builder#build()}.
   *
   * @param payload the frame bytes; copied when the frame is built
   * @return a new builder
   * @throws NullPointerException if {@code payload} is {@code null}
   */
  public static Builder builder(byte[] payload) {
    return new Builder().payload(payload);
  }

  /**
   * Starts a builder with every field of this frame except the sequence number, which a channel assigns.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.payload = payload;
    b.payloadPrivate = true;
    b.contentType = contentType;
    b.kind = kind;
    b.captureTime = captureTime;
    b.width = width;
    b.height = height;
    b.codec = codec;
    b.origin = origin;
    return b;
  }

  /** Returns this frame as published by a channel: same payload (not copied), new sequence and time. */
  Frame published(long newSequence, long nanoTime) {
    return new Frame(this, newSequence, nanoTime);
  }

  /**
   * Returns a read-only view of the payload, positioned at 0 with the limit at {@link #size()}. Each call
   * returns a new view, so callers may move its position freely.
   *
   * @return a read-only buffer over the payload
   */
  public ByteBuffer payload() {
    return ByteBuffer.wrap(payload).asReadOnlyBuffer();
  }

  /**
   * Returns a new copy of the payload.
   *
   * @return a fresh array the caller owns
   */
  public byte[] copyPayload() {
    return payload.clone();
  }

  /**
   * Writes the payload to a stream without copying it.
   *
   * @param out where to write
   * @throws IOException if the stream fails
   */
  public void writeTo(OutputStream out) throws IOException {
    out.write(payload);
  }

  /** For encoders in this package: the payload array itself, never to be modified or leaked. */
  byte[] payloadArrayUnsafe() {
    return payload;
  }

  /**
   * Returns the payload size in bytes.
   *
   * @return the payload length
   */
  public int size() {
    return payload.length;
  }

  /**
   * Returns the MIME content type, such as {@code image/jpeg} or {@code video/mp4}.
   *
   * @return the content type
   */
  public String contentType() {
    return contentType;
  }

  /**
   * Returns what the frame is to a decoder.
   *
   * @return the kind
   */
  public FrameKind kind() {
    return kind;
  }

  /**
   * Returns the sequence number the publishing channel assigned, or {@code 0} before publication.
   *
   * @return the sequence number
   */
  public long sequence() {
    return sequence;
  }

  /**
   * Returns when the producer captured the frame (wall-clock time of the producing machine).
   *
   * @return the capture time
   */
  public Instant captureTime() {
    return captureTime;
  }

  /**
   * Returns the time at which a channel accepted the frame, read from the channel's {@link Ticker} ({@link
   * System#nanoTime()} unless its registry was given another), or {@code 0} before publication. Used for
   * frame age and publish-to-delivery latency; meaningful only within this JVM, against that ticker.
   *
   * @return the monotonic publication time
   */
  public long publishNanoTime() {
    return publishNanoTime;
  }

  /**
   * Returns the image width in pixels, when known.
   *
   * @return the width, or empty
   */
  public OptionalInt width() {
    return width > 0 ? OptionalInt.of(width) : OptionalInt.empty();
  }

  /**
   * Returns the image height in pixels, when known.
   *
   * @return the height, or empty
   */
  public OptionalInt height() {
    return height > 0 ? OptionalInt.of(height) : OptionalInt.empty();
  }

  /**
   * Returns the codec string (RFC 6381, for example {@code avc1.42E01E}), when known.
   *
   * @return the codec, or empty
   */
  public Optional<String> codec() {
    return codec.isEmpty() ? Optional.empty() : Optional.of(codec);
  }

  /**
   * Returns where the frame came from when a relay brought it from elsewhere, for example the id of the
   * cluster node whose publisher produced it. Frames from this process's own publishers and sources have
   * none. Relays use it so that they never send a frame back to where it came from.
   *
   * @return the origin, or empty for a frame that entered on this node
   * @see Builder#origin(String)
   */
  public Optional<String> origin() {
    return origin.isEmpty() ? Optional.empty() : Optional.of(origin);
  }

  /**
   * Returns the payload as base64 text, computed once per frame and cached.
   *
   * @return the base64 text
   * @see FrameEncoding#BASE64
   */
  public String base64() {
    return encoded(FrameEncoding.BASE64);
  }

  /**
   * Returns a new array holding {@code before}, the payload as standard base64 (the text of {@link #base64()},
   * one ASCII byte per character) and {@code after}: for encoders that frame the payload's base64 in a message
   * of their own, such as an SSE event. The base64 is encoded straight into the returned array and moved once
   * into place, without building the {@link #base64()} text and copying it (that text is used, not built, if
   * another caller has built it already). Nothing is cached: keep the result in a {@link FrameEncoding}.
   *
   * @param before the bytes that go first; not modified
   * @param after the bytes that go last; not modified
   * @return a new array of {@code before.length + 4 * ceil(size() / 3) + after.length} bytes
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException if the result would not fit one array
   * @since 0.4.0
   */
  public byte[] base64Within(byte[] before, byte[] after) {
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(after, "after");
    long encodedLength = DataUris.base64Length(payload.length);
    long total = before.length + encodedLength + after.length;
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("base64 message of " + total + " bytes does not fit one array");
    }
    byte[] out = new byte[(int) total];
    String text = lookup(cache, FrameEncoding.BASE64);
    if (text != null) {
      copyAscii(text, out, before.length);
    } else {
      // The JDK's encoder writes from index 0 (a C2 intrinsic on CPUs that have one, AVX-512 on x86 in JDK 17):
      // encode there, then move once.
      int n = java.util.Base64.getEncoder().encode(payload, out);
      System.arraycopy(out, 0, out, before.length, n);
    }
    System.arraycopy(before, 0, out, 0, before.length);
    System.arraycopy(after, 0, out, out.length - after.length, after.length);
    return out;
  }

  /** Copies an ASCII text's characters as bytes: the low byte of each, which for ASCII is the byte. */
  @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): exact for ASCII, one array copy
  private static void copyAscii(String text, byte[] out, int offset) {
    text.getBytes(0, text.length(), out, offset);
  }

  /**
   * Returns the frame as a {@code data:} URI, computed once per frame and cached.
   *
   * @return {@code data:<type>;base64,<payload>}
   * @see FrameEncoding#DATA_URI
   */
  public String dataUri() {
    return encoded(FrameEncoding.DATA_URI);
  }

  /**
   * Returns the given encoding of this frame, computing it on first use and caching it on the frame. All
   * callers, from any thread, get the same instance; the encoder runs at most once per frame.
   *
   * @param encoding the encoding; create it once and reuse it
   * @param <T> the encoded type
   * @return the encoded value
   * @throws NullPointerException if {@code encoding} is {@code null} or its encoder returns {@code null}
   */
  public <T> T encoded(FrameEncoding<T> encoding) {
    Objects.requireNonNull(encoding, "encoding");
    T found = lookup(cache, encoding);
    if (found != null) {
      return found;
    }
    synchronized (cacheLock) {
      found = lookup(cache, encoding);
      if (found != null) {
        return found;
      }
      T value = encoding.encode(this); // may re-enter for other encodings: the lock is reentrant
      CachedEncoding[] current = cache;
      CachedEncoding[] next = Arrays.copyOf(current, current.length + 1);
      CachedEncoding entry = new CachedEncoding(encoding, value);
      next[current.length] = entry;
      cache = next;
      if (retired) {
        entry.tellRetired(); // computed after (or while) the channel let go: it hears so at once
      }
      return value;
    }
  }

  /**
   * Tells the cached values of encodings made with {@link FrameEncoding#of(String, java.util.function.Function,
   * java.util.function.Consumer)} that the publishing channel no longer holds this frame; values computed
   * later hear it when they are computed. Each value hears it once; later calls do nothing. Takes no lock:
   * the channel calls it while publishing, and an encoder running for this frame on another thread must
   * not hold that up (the flag is written before the cache is read here, and the cache before the flag is
   * read in {@link #encoded}, so at least one side sees the other; each entry's own flag makes it once).
   */
  void retire() {
    if (retired) {
      return;
    }
    retired = true;
    for (CachedEncoding e : cache) {
      e.tellRetired();
    }
  }

  /**
   * Tells whether the given encoding has already been computed for this frame.
   *
   * @param encoding the encoding
   * @return {@code true} if cached
   */
  public boolean isEncoded(FrameEncoding<?> encoding) {
    return lookup(cache, encoding) != null;
  }

  @SuppressWarnings("unchecked")
  private static <T> T lookup(CachedEncoding[] entries, FrameEncoding<T> encoding) {
    for (CachedEncoding e : entries) {
      if (e.encoding == encoding) {
        return (T) e.value;
      }
    }
    return null;
  }

  /** Compares every field and the payload bytes; the encoding cache and publication time are ignored. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Frame)) {
      return false;
    }
    Frame f = (Frame) o;
    return sequence == f.sequence
        && width == f.width
        && height == f.height
        && kind == f.kind
        && contentType.equals(f.contentType)
        && captureTime.equals(f.captureTime)
        && codec.equals(f.codec)
        && origin.equals(f.origin)
        && Arrays.equals(payload, f.payload);
  }

  @Override
  public int hashCode() {
    return Objects.hash(sequence, kind, contentType, captureTime, Arrays.hashCode(payload));
  }

  /** Shows the metadata and the payload size, never the bytes. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Frame[seq=").append(sequence);
    sb.append(", ").append(kind).append(", ").append(contentType).append(", ").append(payload.length);
    sb.append(" bytes");
    if (width > 0 && height > 0) {
      sb.append(", ").append(width).append('x').append(height);
    }
    if (!codec.isEmpty()) {
      sb.append(", codec=").append(codec);
    }
    if (!origin.isEmpty()) {
      sb.append(", origin=").append(origin);
    }
    return sb.append(']').toString();
  }

  private static final class CachedEncoding {
    private static final java.lang.invoke.VarHandle HEARD;

    static {
      try {
        HEARD = java.lang.invoke.MethodHandles.lookup().findVarHandle(CachedEncoding.class, "heard", boolean.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final FrameEncoding<?> encoding;
    final Object value;
    @SuppressWarnings("unused") // through HEARD
    private volatile boolean heard;

    CachedEncoding(FrameEncoding<?> encoding, Object value) {
      this.encoding = encoding;
      this.value = value;
    }

    /** Tells the value that its frame was retired, once; a hook that throws harms no other value. */
    void tellRetired() {
      if (!encoding.retires() || !HEARD.compareAndSet(this, false, true)) {
        return;
      }
      try {
        encoding.retired(value);
      } catch (RuntimeException e) {
        System.getLogger(Frame.class.getName()).log(System.Logger.Level.WARNING,
            "retire hook of encoding '" + encoding.name() + "' failed", e);
      }
    }
  }

  /**
   * Builds a {@link Frame}. Obtain one from {@link Frame#builder(byte[])} or {@link Frame#toBuilder()}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe: use a builder from one thread at a time. The frames it builds are immutable.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private byte[] payload = new byte[0];
    private boolean payloadPrivate;
    private String contentType = "application/octet-stream";
    private FrameKind kind = FrameKind.KEY;
    private Instant captureTime;
    private int width;
    private int height;
    private String codec = "";
    private String origin = "";

    private Builder() {}

    /**
     * Sets the payload. The array is copied when {@link #build()} runs, so the caller may reuse it
     * afterwards.
     *
     * @param bytes the frame bytes
     * @return this builder
     * @throws NullPointerException if {@code bytes} is {@code null}
     */
    public Builder payload(byte[] bytes) {
      this.payload = Objects.requireNonNull(bytes, "payload");
      this.payloadPrivate = false;
      return this;
    }

    /**
     * Sets the payload to an array the caller hands over: the frame adopts it as it is, without the copy
     * {@link #payload(byte[])} makes. For callers that made the array themselves (a join of network reads, a
     * decoder's output) and would otherwise copy it once more.
     *
     * <p>The caller gives the array up: after this call neither it nor anything it shared the array with may
     * read it for writing, write it, or hand it to anyone else, since every frame built from this builder,
     * and every viewer of them, reads those very bytes. A change to the array afterwards would change a
     * published frame under its viewers (and under encodings already cached from it). When in doubt, use
     * {@link #payload(byte[])}.
     *
     * @param bytes the frame bytes, now owned by the frame
     * @return this builder
     * @throws NullPointerException if {@code bytes} is {@code null}
     * @since 0.3.0
     */
    public Builder adoptPayload(byte[] bytes) {
      this.payload = Objects.requireNonNull(bytes, "payload");
      this.payloadPrivate = true; // handed over: never copied, never touched by the caller again
      return this;
    }

    /**
     * Sets the payload from the remaining bytes of a buffer, which are copied at once; the buffer's
     * position is not changed.
     *
     * @param bytes the frame bytes
     * @return this builder
     * @throws NullPointerException if {@code bytes} is {@code null}
     */
    public Builder payload(ByteBuffer bytes) {
      ByteBuffer view = Objects.requireNonNull(bytes, "payload").duplicate();
      byte[] copy = new byte[view.remaining()];
      view.get(copy);
      this.payload = copy;
      this.payloadPrivate = true; // already a private copy
      return this;
    }

    /**
     * Sets the MIME content type.
     *
     * @param type for example {@code image/jpeg}
     * @return this builder
     * @throws NullPointerException if {@code type} is {@code null}
     * @throws IllegalArgumentException if it is not of the form {@code type/subtype[;parameters]}, is longer
     *     than 255 characters, or contains control or non-ASCII characters (see {@link
     *     ContentTypes#requireValid(String)}; spaces around the type are trimmed)
     */
    public Builder contentType(String type) {
      this.contentType = ContentTypes.requireValid(type);
      return this;
    }

    /**
     * Sets the kind; the default is {@link FrameKind#KEY}.
     *
     * @param frameKind the kind
     * @return this builder
     * @throws NullPointerException if {@code frameKind} is {@code null}
     */
    public Builder kind(FrameKind frameKind) {
      this.kind = Objects.requireNonNull(frameKind, "kind");
      return this;
    }

    /**
     * Sets the capture time; the default is the moment {@link #build()} runs.
     *
     * @param time the capture time
     * @return this builder
     * @throws NullPointerException if {@code time} is {@code null}
     */
    public Builder captureTime(Instant time) {
      this.captureTime = Objects.requireNonNull(time, "captureTime");
      return this;
    }

    /**
     * Sets the image dimensions.
     *
     * @param w width in pixels, 1 to {@link Frame#MAX_DIMENSION}
     * @param h height in pixels, 1 to {@link Frame#MAX_DIMENSION}
     * @return this builder
     * @throws IllegalArgumentException if a dimension is out of range
     */
    public Builder dimensions(int w, int h) {
      if (w < 1 || w > MAX_DIMENSION || h < 1 || h > MAX_DIMENSION) {
        throw new IllegalArgumentException(
            "dimensions must be 1.." + MAX_DIMENSION + ", got " + w + "x" + h);
      }
      this.width = w;
      this.height = h;
      return this;
    }

    /**
     * Sets the codec string, such as {@code avc1.42E01E}.
     *
     * @param codecString printable ASCII without spaces or quotes, 1 to {@link Frame#MAX_CODEC_LENGTH}
     *     characters
     * @return this builder
     * @throws NullPointerException if {@code codecString} is {@code null}
     * @throws IllegalArgumentException if it is empty, too long, or has other characters
     */
    public Builder codec(String codecString) {
      this.codec = requirePrintable(codecString, "codec", MAX_CODEC_LENGTH);
      return this;
    }

    /** Printable ASCII without spaces, quotes or semicolons, 1 to max characters. */
    private static String requirePrintable(String value, String what, int max) {
      Objects.requireNonNull(value, what);
      if (value.isEmpty() || value.length() > max) {
        throw new IllegalArgumentException(what + " must be 1.." + max + " characters");
      }
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == ';') {
          throw new IllegalArgumentException(what + " has an invalid character at index " + i);
        }
      }
      return value;
    }

    /**
     * Marks the frame as brought by a relay from elsewhere (see {@link Frame#origin()}). Producers on this
     * node leave it unset.
     *
     * @param source printable ASCII without spaces, 1 to {@link Frame#MAX_ORIGIN_LENGTH} characters, such
     *     as {@code nats:node-a}
     * @return this builder
     * @throws NullPointerException if {@code source} is {@code null}
     * @throws IllegalArgumentException if it is empty, too long, or has other characters
     */
    public Builder origin(String source) {
      this.origin = requirePrintable(source, "origin", MAX_ORIGIN_LENGTH);
      return this;
    }

    /**
     * Builds the frame, copying the payload unless it is already a private copy.
     *
     * @return the new frame, with sequence {@code 0}
     */
    public Frame build() {
      byte[] owned = payloadPrivate ? payload : payload.clone();
      return new Frame(this, owned, 0, 0);
    }
  }
}
