package io.framestream.core;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * A frame's wire message copied once into pooled native (direct) memory and shared by every write of it to a
 * socket, so that the socket layer writes it with no copy of its own: a JDK socket channel copies every heap
 * buffer into a temporary direct buffer before the system call, once per write, which for a frame sent to
 * many viewers is once per viewer.
 *
 * <p>Obtain one through an encoding made by {@link #encoding} or {@link #copyOf}, cached on the frame like any
 * other {@link FrameEncoding}. Each write takes a reference with {@link #retain()} (a fresh read-only view of
 * the bytes, or {@code null} when the message cannot serve, in which case the caller writes the heap form
 * instead) and gives it back with {@link #release()} once the socket layer is done with the bytes (the write
 * completed or failed). The frame itself holds one reference until its channel lets go of it ({@link
 * FrameEncoding#of(String, java.util.function.Function, java.util.function.Consumer)}); when the last
 * reference is released the memory goes back to the pool for later frames. A reference that is never
 * released (a write whose outcome is never reported) costs a pool miss, not a leak: the memory is freed
 * when the garbage collector finds the buffer unreachable.
 *
 * <p>Memory is bounded twice. The pool keeps at most eight idle buffers per power-of-two
 * size class and {@link #maxPooledBytes()} in all. Live native memory of this class (pooled and in use,
 * until the collector frees dropped buffers) is capped at {@link #maxLiveBytes()}: the system property
 * {@code framestream.directBytes} (bytes; {@code 0} turns direct messages off), by default a quarter of the
 * maximum heap and at most 256 MiB. Past the cap, and for messages under {@value #MIN_SIZE} bytes or over
 * {@value #MAX_SIZE}, a message cannot serve and senders use the heap form: the cap is never waited on. If
 * the JVM itself refuses direct memory ({@code -XX:MaxDirectMemorySize} set below the cap), no new memory is
 * asked for during the next 30 s, and the refusal is logged.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: references are counted atomically; the pool takes one short lock per allocation and return.
 *
 * @since 0.4.0
 */
public final class DirectMessage {

  /** Messages smaller than this are not worth native memory (the socket layer's copy is cheap). */
  public static final int MIN_SIZE = 1024;
  /** Messages larger than this are not pooled: the heap form serves them. */
  public static final int MAX_SIZE = 16 << 20;
  /** How long no new native memory is asked for after the JVM refused some. */
  private static final long REFUSED_BACKOFF_NANOS = 30_000_000_000L;
  /** Idle buffers kept per size class. */
  static final int POOL_PER_CLASS = 8;

  private static final int MIN_CLASS = Integer.numberOfTrailingZeros(Integer.highestOneBit(MIN_SIZE));
  private static final int MAX_CLASS = Integer.numberOfTrailingZeros(MAX_SIZE);
  private static final Pool POOL = new Pool(liveLimit());
  /** Serves no write; the one value of messages that could not get memory. */
  private static final DirectMessage NONE = new DirectMessage(null, 0);
  /** References taken since start: writes served from native memory. */
  private static final LongAdder RETAINED = new LongAdder();
  /** Messages whose memory has not gone back to the pool yet. */
  private static final AtomicInteger IN_USE = new AtomicInteger();

  private final ByteBuffer buffer; // null for NONE
  private final int size;
  /** Writes in progress plus one for the holder (the frame, until retired); 0 once the memory went back. */
  private final AtomicInteger refs;

  private DirectMessage(ByteBuffer buffer, int size) {
    this.buffer = buffer;
    this.size = size;
    this.refs = new AtomicInteger(buffer == null ? 0 : 1);
    if (buffer != null) {
      IN_USE.incrementAndGet();
    }
  }

  /**
   * Creates an encoding that writes each frame's message of {@code size} bytes straight into pooled native
   * memory. Make it once and keep it in a constant, like any encoding. When no memory can be had (see the
   * class description) the frame's value is one that never serves.
   *
   * @param name a short name for diagnostics
   * @param size the message size of a frame, in bytes
   * @param writer puts exactly that many bytes into the buffer it is given (positioned at 0, limit = size)
   * @return the encoding
   */
  public static FrameEncoding<DirectMessage> encoding(String name, ToIntFunction<Frame> size,
      BiConsumer<Frame, ByteBuffer> writer) {
    Objects.requireNonNull(size, "size");
    Objects.requireNonNull(writer, "writer");
    return FrameEncoding.of(name, frame -> allocate(size.applyAsInt(frame), out -> writer.accept(frame, out)),
        DirectMessage::release);
  }

  /**
   * Builds a message outside any frame's encoding cache (several messages kept by one encoding's value, say):
   * the caller holds the one reference the result starts with and {@linkplain #release() releases} it when no
   * new write will want the message. A message that cannot serve (see the class description) needs no
   * release.
   *
   * @param size the message size in bytes
   * @param writer puts exactly {@code size} bytes into the buffer it is given (positioned at 0, limit = size)
   * @return the message
   * @throws IllegalStateException if the writer put another number of bytes (nothing is held then)
   */
  public static DirectMessage allocate(int size, Consumer<ByteBuffer> writer) {
    Objects.requireNonNull(writer, "writer");
    if (size < MIN_SIZE || size > MAX_SIZE) {
      return NONE;
    }
    ByteBuffer memory = POOL.take(size);
    if (memory == null) {
      return NONE;
    }
    memory.clear().limit(size);
    try {
      writer.accept(memory);
    } catch (RuntimeException | Error e) {
      POOL.give(memory);
      throw e;
    }
    if (memory.position() != size) {
      POOL.give(memory);
      throw new IllegalStateException("writer put " + memory.position() + " of " + size + " bytes");
    }
    memory.flip();
    return new DirectMessage(memory, size);
  }

  /**
   * Creates an encoding that copies a heap encoding's message (a {@link ByteBuffer} from its position to its
   * limit) into native memory. Like any encoding, call this once per heap encoding and keep the result in a
   * constant: each call makes a new cache key.
   *
   * @param heap the heap encoding
   * @return its direct copy
   */
  public static FrameEncoding<DirectMessage> copyOf(FrameEncoding<ByteBuffer> heap) {
    Objects.requireNonNull(heap, "heap");
    return encoding(heap.name() + "-direct",
        frame -> frame.encoded(heap).remaining(), (frame, out) -> out.put(frame.encoded(heap).duplicate()));
  }

  /**
   * Takes a reference for one write.
   *
   * @return a new read-only view of the message, positioned at its first byte, which the caller must
   *     {@link #release()} exactly once when the bytes are no longer read; or {@code null} if this message
   *     cannot serve (no memory, or the frame was retired and every earlier write is done): then write the heap
   *     form and do not call {@code release}
   */
  public ByteBuffer retain() {
    for (int n = refs.get(); n > 0; n = refs.get()) {
      if (refs.compareAndSet(n, n + 1)) {
        RETAINED.increment();
        return buffer.asReadOnlyBuffer();
      }
    }
    return null;
  }

  /**
   * Gives back a reference taken by {@link #retain()} (or the one {@link #allocate} returned); the last one
   * returns the memory to the pool. Does nothing on a message that never could serve.
   *
   * @throws IllegalStateException if there is no reference left to give back
   */
  public void release() {
    if (buffer == null) {
      return;
    }
    int n = refs.decrementAndGet();
    if (n == 0) {
      IN_USE.decrementAndGet();
      POOL.give(buffer);
    } else if (n < 0) {
      refs.incrementAndGet();
      throw new IllegalStateException("released more often than retained");
    }
  }

  /**
   * Returns the message size in bytes.
   *
   * @return the size; 0 for a message that cannot serve
   */
  public int size() {
    return size;
  }

  /**
   * Returns the cap on live native memory of direct messages (see the class description).
   *
   * @return bytes
   */
  public static long maxLiveBytes() {
    return POOL.liveLimit;
  }

  /**
   * Returns the cap on idle pooled memory.
   *
   * @return bytes
   */
  public static long maxPooledBytes() {
    return POOL.pooledLimit;
  }

  /**
   * Returns the native memory of direct messages now allocated and not yet freed by the collector.
   *
   * @return bytes
   */
  public static long liveBytes() {
    POOL.reap();
    return POOL.live.get();
  }

  /**
   * Returns how many messages still hold their memory: their frame was not retired yet, or a write of theirs
   * has not reported. Once every channel is closed and every connection is done this falls to zero; a count
   * that stays above it names writes whose outcome was never reported.
   *
   * @return the count
   */
  public static int inUse() {
    return IN_USE.get();
  }

  /**
   * Returns how many references {@link #retain()} has handed out in this JVM: writes served from native
   * memory, for diagnostics and tests.
   *
   * @return the count
   */
  public static long retained() {
    return RETAINED.sum();
  }

  /**
   * Returns the idle memory the pool keeps for later messages.
   *
   * @return bytes
   */
  public static long pooledBytes() {
    synchronized (POOL) {
      return POOL.pooled;
    }
  }

  private static long liveLimit() {
    String configured = System.getProperty("framestream.directBytes");
    if (configured != null) {
      try {
        return Math.max(0, Long.parseLong(configured.trim()));
      } catch (NumberFormatException e) {
        System.getLogger(DirectMessage.class.getName()).log(System.Logger.Level.WARNING,
            "framestream.directBytes={0} is not a number; using the default", configured);
      }
    }
    return Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 4);
  }

  @Override
  public String toString() {
    return "DirectMessage[" + size + " bytes, refs=" + refs.get() + "]";
  }

  /** A buffer's phantom reference with its capacity, to count it out of the live bytes once collected. */
  private static final class Tracked extends PhantomReference<ByteBuffer> {
    final int capacity;

    Tracked(ByteBuffer buffer, ReferenceQueue<ByteBuffer> queue, int capacity) {
      super(buffer, queue);
      this.capacity = capacity;
    }
  }

  /**
   * Power-of-two classes of idle direct buffers, with a cap on all live ones. The live count falls when the
   * collector has found a dropped buffer unreachable (its phantom reference is polled at the next allocation),
   * not when it is dropped; no thread of its own.
   */
  private static final class Pool {
    final long liveLimit;
    final long pooledLimit;
    final AtomicLong live = new AtomicLong();
    private final List<ArrayDeque<ByteBuffer>> idle = new ArrayList<>();
    private long pooled; // guarded by this
    /** Until when allocation is not tried after the JVM refused direct memory (System.nanoTime()). */
    private volatile long refusedUntil = System.nanoTime();
    /** Dropped buffers, as the collector finds them (polled, not watched by a thread). */
    private final ReferenceQueue<ByteBuffer> freed = new ReferenceQueue<>();
    /** Keeps each buffer's phantom reference reachable until it is enqueued. */
    private final Set<Tracked> tracked = ConcurrentHashMap.newKeySet();

    Pool(long liveLimit) {
      this.liveLimit = liveLimit;
      this.pooledLimit = liveLimit / 2;
      for (int c = 0; c <= MAX_CLASS; c++) {
        idle.add(new ArrayDeque<>(c < MIN_CLASS ? 0 : POOL_PER_CLASS));
      }
    }

    private static int classOf(int size) {
      int c = 32 - Integer.numberOfLeadingZeros(size - 1); // smallest power of two >= size
      return Math.max(c, MIN_CLASS);
    }

    ByteBuffer take(int size) {
      int c = classOf(size);
      synchronized (this) {
        ByteBuffer b = idle.get(c).pollFirst();
        if (b != null) {
          pooled -= b.capacity();
          return b;
        }
      }
      int capacity = 1 << c;
      reap();
      if (!reserve(capacity)) {
        return null;
      }
      if (System.nanoTime() - refusedUntil < 0) {
        live.addAndGet(-capacity);
        return null;
      }
      ByteBuffer b;
      try {
        b = ByteBuffer.allocateDirect(capacity);
      } catch (OutOfMemoryError e) {
        // The JVM's own limit on direct memory (-XX:MaxDirectMemorySize, below this pool's cap plus other
        // users): the JDK collected and slept before refusing. Serve from the heap, and do not ask again for a
        // while, so that no delivery thread pays that wait once per frame.
        live.addAndGet(-capacity);
        refusedUntil = System.nanoTime() + REFUSED_BACKOFF_NANOS;
        System.getLogger(DirectMessage.class.getName()).log(System.Logger.Level.WARNING,
            "direct memory refused ({0}); messages are written from the heap for 30 s. Raise"
                + " -XX:MaxDirectMemorySize or lower -Dframestream.directBytes", e.getMessage());
        return null;
      }
      tracked.add(new Tracked(b, freed, capacity));
      return b;
    }

    private boolean reserve(long n) {
      for (long v = live.get(); v + n <= liveLimit; v = live.get()) {
        if (live.compareAndSet(v, v + n)) {
          return true;
        }
      }
      return false;
    }

    void give(ByteBuffer b) {
      int c = classOf(b.capacity());
      synchronized (this) {
        if (idle.get(c).size() < POOL_PER_CLASS && pooled + b.capacity() <= pooledLimit) {
          idle.get(c).addFirst(b); // most recently used first: its pages are the warm ones
          pooled += b.capacity();
        }
      }
    }

    /** Counts out the buffers the collector found unreachable since the last look; takes no thread. */
    void reap() {
      for (Reference<? extends ByteBuffer> r = freed.poll(); r != null; r = freed.poll()) {
        Tracked t = (Tracked) r;
        if (tracked.remove(t)) {
          live.addAndGet(-t.capacity);
        }
      }
    }
  }
}
