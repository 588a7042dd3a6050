package io.framestream.transport.sse.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.WriteHandler;
import org.glassfish.grizzly.http.io.NIOOutputStream;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.memory.MemoryManager;
import org.glassfish.grizzly.nio.NIOConnection;

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

  private final NIOOutputStream out;
  private final Connection<?> connection;
  private final MemoryManager<?> memoryManager;
  private final ScheduledExecutorService timer;
  private final long gracefulCloseTimeoutMillis;

  /**
   * Wraps a suspended response's output.
   *
   * @param out the response's non-blocking output stream
   * @param connection the response's connection
   * @param timer where to schedule the forced close after a graceful one times out
   * @param gracefulCloseTimeoutMillis how long a graceful close may take
   */
  public GrizzlyEventOutput(NIOOutputStream out, Connection<?> connection, ScheduledExecutorService timer,
      long gracefulCloseTimeoutMillis) {
    this.out = Objects.requireNonNull(out, "out");
    this.connection = Objects.requireNonNull(connection, "connection");
    MemoryManager<?> mm = connection.getMemoryManager();
    this.memoryManager = mm != null ? mm : MemoryManager.DEFAULT_MEMORY_MANAGER;
    this.timer = Objects.requireNonNull(timer, "timer");
    this.gracefulCloseTimeoutMillis = gracefulCloseTimeoutMillis;
  }

  @Override
  public boolean canWrite() {
    return out.canWrite();
  }

  @Override
  public void write(byte[] bytes) throws IOException {
    writeShared(out, memoryManager, bytes);
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
    out.notifyCanWrite(new WriteHandler() {
      @Override
      public void onWritePossible() {
        callback.onWritable();
      }

      @Override
      public void onError(Throwable t) {
        callback.onError(t);
      }
    });
  }

  @Override
  public void finish() throws IOException {
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
