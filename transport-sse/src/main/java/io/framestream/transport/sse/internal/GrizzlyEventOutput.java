package io.framestream.transport.sse.internal;

import io.framestream.core.DirectMessage;
import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.LongAdder;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.EmptyCompletionHandler;
import org.glassfish.grizzly.Processor;
import org.glassfish.grizzly.WriteHandler;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.asyncqueue.AsyncQueueWriter;
import org.glassfish.grizzly.asyncqueue.WritableMessage;
import org.glassfish.grizzly.filterchain.Filter;
import org.glassfish.grizzly.filterchain.FilterChain;
import org.glassfish.grizzly.filterchain.TransportFilter;
import org.glassfish.grizzly.http.HttpResponsePacket;
import org.glassfish.grizzly.http.io.NIOOutputStream;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.memory.MemoryManager;
import org.glassfish.grizzly.nio.NIOConnection;
import org.glassfish.grizzly.nio.NIOTransport;
import org.glassfish.grizzly.utils.IdleTimeoutFilter;

/**
 * The Grizzly 4 side of one SSE response: a suspended response's {@link NIOOutputStream} and its {@link
 * Connection}.
 *
 * <p>Choices, measured in this module's integration tests:
 *
 * <ul>
 *   <li>Writes wrap the shared, never-modified event array in a read-only Grizzly buffer ({@code
 *       NIOOutputStream.write(Buffer)}): no per-viewer copy, even when the write is queued. ({@code
 *       write(byte[])} would copy the array into the queue whenever the socket cannot take it at once.)
 *   <li>{@code canWrite()} is asked before every write: without it Grizzly's output buffer blocks the
 *       writing thread until the peer drains.
 *   <li>Closing at once uses {@link Connection#terminateSilently()}. Grizzly's {@code close()} and {@code
 *       closeSilently()} are graceful: they queue an empty write and close only when the queue has
 *       drained, which a stalled peer never does, so its queued bytes would stay on the heap.
 *   <li>The graceful close ({@code closeSilently()}) is bounded: if the connection is still open after
 *       {@code gracefulCloseTimeout}, it is terminated.
 *   <li><b>Direct writes.</b> Once the response head is out, a chunked response without a content encoding
 *       on a connection whose filter chain holds only filters known to pass writes through unchanged
 *       (Grizzly's transport, idle-timeout and HTTP server filters, this project's own, Tyrus's server
 *       filter) has its events framed as chunks here and handed straight to the connection's write queue
 *       (to the socket on the writing thread when that queue is idle, {@link GrizzlySocketWrites}):
 *       the same queue and order the output stream's writes end in, without the filter chain, the HTTP
 *       codec and the output buffer's bookkeeping per event. A TLS, HTTP/2, compressing or unknown filter,
 *       an HTTP/1.0 peer (no chunks) or {@code -D}{@value #DIRECT_WRITES_PROPERTY}{@code =false} keeps every
 *       write on the output stream. The end of the body (the last chunk) always goes through the stream.
 *       A frame's chunks are built once, in pooled native memory ({@link DirectMessage}) when it can serve,
 *       so the socket writes them without the per-write copy a heap buffer costs; each write holds a
 *       reference until Grizzly reports its outcome.
 *       A suspended response keeps Grizzly's idle timeout off, so writes outside the chain do not make a
 *       busy stream look idle. From then on writability is asked of the connection's queue, not of the
 *       stream (which would keep answering its last "yes").
 * </ul>
 *
 * <h2>Thread safety</h2>
 *
 * As {@link EventOutput} requires: all methods but {@link #closeConnection(boolean)} are called under the
 * viewer's lock. {@code closeConnection} uses only the connection, never the (recyclable) response.
 *
 * @since 0.1.0
 */
public final class GrizzlyEventOutput implements EventOutput {

  /** The system property that switches {@linkplain GrizzlyEventOutput direct writes} off when {@code false}. */
  public static final String DIRECT_WRITES_PROPERTY = "framestream.sse.directWrites";

  private static final boolean DIRECT_WRITES =
      !"false".equalsIgnoreCase(System.getProperty(DIRECT_WRITES_PROPERTY, "true"));
  private static final System.Logger LOG = System.getLogger(GrizzlyEventOutput.class.getName());
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final LongAdder DIRECT = new LongAdder();
  private static final FrameEncoding<Chunks> CHUNKS =
      FrameEncoding.of("grizzly-http-chunks", f -> new Chunks(), Chunks::release);

  private final NIOOutputStream out;
  private final Connection<?> connection;
  private final MemoryManager<?> memoryManager;
  private final ScheduledExecutorService timer;
  private final long gracefulCloseTimeoutMillis;
  private final HttpResponsePacket head; // null: never direct
  private AsyncQueueWriter<SocketAddress> direct; // set once the head is out and the connection allows it
  private boolean decided;

  /**
   * Wraps a suspended response's output; every write goes through the output stream.
   *
   * @param out the response's non-blocking output stream
   * @param connection the response's connection
   * @param timer where to schedule the forced close after a graceful one times out
   * @param gracefulCloseTimeoutMillis how long a graceful close may take
   */
  public GrizzlyEventOutput(NIOOutputStream out, Connection<?> connection, ScheduledExecutorService timer,
      long gracefulCloseTimeoutMillis) {
    this(out, null, connection, timer, gracefulCloseTimeoutMillis);
  }

  /**
   * Wraps a suspended response's output, writing events {@linkplain GrizzlyEventOutput directly} to the
   * connection's write queue once the response head is out, when the response and connection allow it.
   *
   * @param out the response's non-blocking output stream
   * @param head the response's HTTP head (read while the response is live, to see chunking and encodings)
   * @param connection the response's connection
   * @param timer where to schedule the forced close after a graceful one times out
   * @param gracefulCloseTimeoutMillis how long a graceful close may take
   * @since 0.4.0
   */
  public GrizzlyEventOutput(NIOOutputStream out, HttpResponsePacket head, Connection<?> connection,
      ScheduledExecutorService timer, long gracefulCloseTimeoutMillis) {
    this.head = head;
    this.out = Objects.requireNonNull(out, "out");
    this.connection = Objects.requireNonNull(connection, "connection");
    MemoryManager<?> mm = connection.getMemoryManager();
    this.memoryManager = mm != null ? mm : MemoryManager.DEFAULT_MEMORY_MANAGER;
    this.timer = Objects.requireNonNull(timer, "timer");
    this.gracefulCloseTimeoutMillis = gracefulCloseTimeoutMillis;
  }

  @Override
  public boolean canWrite() {
    // Once writes go around the output stream, ask the connection's queue: the stream remembers the last
    // "yes" until its own next write, which never comes.
    return direct != null ? connection.canWrite() : out.canWrite();
  }

  @Override
  public void write(byte[] bytes) throws IOException {
    if (direct == null) {
      writeThroughStream(bytes);
    } else if (bytes.length > 0) { // an empty chunk would end the body
      writeDirect(ByteBuffer.wrap(chunk(bytes)), null); // a viewer's own bytes (notices, a resumed init): small or once
    }
  }

  @Override
  public void write(Frame frame, byte[] bytes) throws IOException {
    if (direct == null) {
      writeThroughStream(bytes);
    } else if (bytes.length > 0) {
      Chunks chunks = frame.encoded(CHUNKS);
      DirectMessage message = chunks.direct(bytes);
      ByteBuffer view = message == null ? null : message.retain();
      if (view == null) {
        writeDirect(ByteBuffer.wrap(chunks.heap(bytes)), null);
        return;
      }
      Release release = new Release(message);
      try {
        writeDirect(view, release);
      } catch (IOException | RuntimeException e) {
        release.failed(e); // the write did not start: no outcome will come
        throw e;
      }
    }
  }

  private void writeThroughStream(byte[] bytes) throws IOException {
    writeShared(out, memoryManager, bytes);
    if (!decided) {
      decide();
    }
  }

  @SuppressWarnings("unchecked")
  private void writeDirect(ByteBuffer chunk, Release release) throws IOException {
    Connection<SocketAddress> c = (Connection<SocketAddress>) connection;
    if (!c.isOpen()) {
      throw new IOException("SSE connection closed");
    }
    GrizzlySocketWrites.write(c, direct, memoryManager, chunk, release);
    DIRECT.increment();
  }

  /**
   * Gives a chunk's native memory back once its write ends, whichever way; at most once (Grizzly reports
   * once, and a write that did not start is reported here by the caller).
   */
  private static final class Release extends EmptyCompletionHandler<WriteResult<WritableMessage, SocketAddress>> {
    private final AtomicReference<DirectMessage> held;

    Release(DirectMessage message) {
      this.held = new AtomicReference<>(message);
    }

    private void letGo() {
      DirectMessage m = held.getAndSet(null);
      if (m != null) {
        m.release();
      }
    }

    @Override
    public void completed(WriteResult<WritableMessage, SocketAddress> result) {
      letGo();
    }

    @Override
    public void failed(Throwable cause) {
      letGo();
    }

    @Override
    public void cancelled() {
      letGo();
    }
  }

  /**
   * The chunks of a frame's shared bytes (each event or part array framed as one HTTP chunk), built by the
   * first viewer that needs one and kept with the frame: in pooled native memory ({@link DirectMessage}),
   * which the socket writes with no copy, or on the heap when that memory cannot serve. A frame has at most
   * a few shared arrays (one per event format and one MJPEG part); more are framed without being kept. When
   * the channel retires the frame, the native chunks are released (writes in flight keep theirs).
   */
  private static final class Chunks {
    private static final int KEPT = 4;
    private final ReentrantLock lock = new ReentrantLock();
    private final byte[][] bytes = new byte[KEPT][]; // guarded by lock
    private final byte[][] heap = new byte[KEPT][]; // guarded by lock
    private final DirectMessage[] direct = new DirectMessage[KEPT]; // guarded by lock
    /** The frame was retired; set without the lock, so the channel never waits for a chunk being built. */
    private volatile boolean released;

    /** The slot of a shared array, taking a free one; -1 when all are taken by others. Under the lock. */
    private int slot(byte[] shared) {
      int free = -1;
      for (int i = 0; i < KEPT; i++) {
        if (bytes[i] == shared) {
          return i;
        }
        if (bytes[i] == null && free < 0) {
          free = i;
        }
      }
      if (free >= 0) {
        bytes[free] = shared;
      }
      return free;
    }

    /** The array's chunk in native memory, built once; null when not kept or the frame was retired. */
    DirectMessage direct(byte[] shared) {
      lock.lock();
      try {
        int i = slot(shared);
        if (i < 0 || released) {
          return null;
        }
        if (direct[i] == null) {
          byte[] head = chunkHead(shared.length);
          direct[i] = DirectMessage.allocate(head.length + shared.length + CRLF.length,
              out -> out.put(head).put(shared).put(CRLF));
        }
        return direct[i];
      } finally {
        lock.unlock();
        if (released) {
          release(); // retired while this built a chunk: its release found the lock taken
        }
      }
    }

    /** The array's chunk on the heap, built once when kept. */
    byte[] heap(byte[] shared) {
      lock.lock();
      try {
        int i = slot(shared);
        if (i < 0) {
          return chunk(shared);
        }
        if (heap[i] == null) {
          heap[i] = chunk(shared);
        }
        return heap[i];
      } finally {
        lock.unlock();
      }
    }

    /**
     * The frame was retired: no new write takes the native chunks; writes in flight keep their memory. Never
     * waits: if a chunk is being built, that builder releases after it (it sees the flag once it lets go).
     */
    void release() {
      released = true;
      if (!lock.tryLock()) {
        return;
      }
      try {
        for (int i = 0; i < KEPT; i++) {
          if (direct[i] != null) {
            direct[i].release();
            direct[i] = null; // each once
          }
        }
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Decides, once the response head is out, whether later events go straight to the write queue.
   */
  @SuppressWarnings("unchecked")
  private void decide() {
    if (head == null || !DIRECT_WRITES) {
      decided = true;
      return;
    }
    if (!head.isCommitted()) {
      return; // asked again after the next write
    }
    decided = true;
    String refusal = directRefusal(head, connection);
    if (refusal != null) {
      LOG.log(System.Logger.Level.DEBUG, "SSE events through the output stream: {0}", refusal);
      return;
    }
    direct = (AsyncQueueWriter<SocketAddress>) (AsyncQueueWriter<?>)
        ((NIOTransport) connection.getTransport()).getAsyncQueueIO().getWriter();
  }

  /**
   * Tells why a committed response's events must stay on the output stream, or {@code null} if they may be
   * framed as chunks here and written straight to the connection's queue.
   *
   * @param head the committed response head
   * @param connection its connection
   * @return the reason, or {@code null}
   */
  static String directRefusal(HttpResponsePacket head, Connection<?> connection) {
    if (!head.isChunked()) {
      return "not chunked (HTTP/1.0 peer or a set length)";
    }
    if (!head.getContentEncodings().isEmpty()) {
      return "content encoding " + head.getContentEncodings();
    }
    if (!(connection instanceof NIOConnection) || !(connection.getTransport() instanceof NIOTransport)) {
      return "not an NIO connection";
    }
    Processor<?> processor = connection.getProcessor();
    if (processor == null) {
      processor = connection.getTransport().getProcessor();
    }
    if (!(processor instanceof FilterChain chain)) {
      return "no filter chain";
    }
    for (Filter filter : chain) {
      if (!passesWritesThrough(filter)) {
        return "filter " + filter.getClass().getName();
      }
    }
    return null;
  }

  /** Filters known to leave a response's written bytes as they are. */
  private static boolean passesWritesThrough(Filter filter) {
    String name = filter.getClass().getName();
    return filter instanceof TransportFilter
        || filter.getClass() == IdleTimeoutFilter.class
        || name.equals("org.glassfish.grizzly.http.HttpServerFilter")
        || name.equals("org.glassfish.grizzly.http.server.HttpServerFilter")
        || name.equals("org.glassfish.grizzly.http.server.FileCacheFilter")
        || name.equals("org.glassfish.tyrus.container.grizzly.server.GrizzlyServerFilter")
        || name.startsWith("io.framestream.");
  }

  /** The bytes as one HTTP chunk: the size line, the bytes, CRLF. */
  static byte[] chunk(byte[] bytes) {
    byte[] head = chunkHead(bytes.length);
    byte[] chunk = new byte[head.length + bytes.length + CRLF.length];
    System.arraycopy(head, 0, chunk, 0, head.length);
    System.arraycopy(bytes, 0, chunk, head.length, bytes.length);
    System.arraycopy(CRLF, 0, chunk, head.length + bytes.length, CRLF.length);
    return chunk;
  }

  /** The size line of a chunk: hex digits and CRLF. */
  static byte[] chunkHead(int length) {
    int digits = Math.max(1, (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 3) / 4);
    byte[] line = new byte[digits + 2];
    for (int i = digits - 1, v = length; i >= 0; i--, v >>>= 4) {
      line[i] = HEX[v & 0xf];
    }
    line[digits] = '\r';
    line[digits + 1] = '\n';
    return line;
  }

  /**
   * Returns how many events this JVM's outputs have written straight to a connection's queue, for tests and
   * diagnostics.
   *
   * @return the count
   */
  public static long directWrites() {
    return DIRECT.sum();
  }

  /**
   * Writes and flushes a shared array as a read-only view: Grizzly can neither change it nor hand it to a
   * buffer pool, and queues no copy of it. Ask {@code out.canWrite()} first, or the write may block.
   *
   * @param out a response's output
   * @param connection the response's connection, for its memory manager
   * @param bytes the shared bytes, never modified
   * @throws IOException if the peer is gone
   */
  public static void writeShared(NIOOutputStream out, Connection<?> connection, byte[] bytes) throws IOException {
    MemoryManager<?> mm = connection.getMemoryManager();
    writeShared(out, mm != null ? mm : MemoryManager.DEFAULT_MEMORY_MANAGER, bytes);
  }

  private static void writeShared(NIOOutputStream out, MemoryManager<?> memoryManager, byte[] bytes)
      throws IOException {
    org.glassfish.grizzly.Buffer buffer = Buffers.wrap(memoryManager, ByteBuffer.wrap(bytes).asReadOnlyBuffer());
    buffer.allowBufferDispose(false);
    out.write(buffer);
    out.flush();
  }

  @Override
  public void notifyWritable(Writable callback) {
    WriteHandler handler = new WriteHandler() {
      @Override
      public void onWritePossible() {
        callback.onWritable();
      }

      @Override
      public void onError(Throwable t) {
        callback.onError(t);
      }
    };
    if (direct != null) {
      connection.notifyCanWrite(handler);
    } else {
      out.notifyCanWrite(handler);
    }
  }

  @Override
  public void finish() throws IOException {
    // The caller saw the connection writable; asking the stream too lets it write the last chunk without
    // waiting for the peer (it blocks after a write it was not told is safe).
    out.canWrite();
    out.close();
  }

  @Override
  public void closeConnection(boolean graceful) {
    if (!graceful) {
      connection.terminateSilently();
      return;
    }
    connection.closeSilently();
    try {
      timer.schedule(connection::terminateSilently, gracefulCloseTimeoutMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the handler is shutting down; the server closes what is left
    }
  }

  @Override
  public long queuedBytes() {
    if (connection instanceof NIOConnection) {
      return ((NIOConnection) connection).getAsyncWriteQueue().spaceInBytes();
    }
    return 0;
  }

  /**
   * Limits the bytes Grizzly queues for this connection beyond what the socket takes; {@link #canWrite()}
   * turns false above it.
   *
   * @param connection the connection
   * @param bytes the limit
   */
  public static void limitWriteQueue(Connection<?> connection, int bytes) {
    if (connection instanceof NIOConnection) {
      ((NIOConnection) connection).setMaxAsyncWriteQueueSize(bytes);
    }
  }
}
