package io.framestream.transport.sse.internal;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.IOEvent;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.Writer;
import org.glassfish.grizzly.asyncqueue.AsyncQueueWriter;
import org.glassfish.grizzly.asyncqueue.AsyncWriteQueueRecord;
import org.glassfish.grizzly.asyncqueue.MessageCloner;
import org.glassfish.grizzly.asyncqueue.TaskQueue;
import org.glassfish.grizzly.asyncqueue.WritableMessage;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.memory.MemoryManager;
import org.glassfish.grizzly.nio.transport.TCPNIOConnection;

/**
 * Writes a message in native memory to a Grizzly TCP connection's socket on the calling thread when the
 * connection's write queue is idle, as Grizzly's own queue writer does in its "direct write", without that
 * writer's per-write machinery: a queue record taken from and given back to a thread cache, a write result,
 * the probes, the logging checks and the record's recycling. Shared by the embedded server's WebSocket
 * viewers and its SSE and MJPEG viewers (this module carries the Grizzly dependency); off with {@code
 * -D}{@value #PROPERTY}{@code =false}, when every message goes to Grizzly's writer as before.
 *
 * <p>It follows the write queue's reservation protocol, so a message keeps its place among every other write
 * of the connection, whoever makes it:
 *
 * <ol>
 *   <li>The message's size is reserved in the queue ({@code TaskQueue.reserveSpace}). If the queue held
 *       nothing before, this write is the queue's current one and may use the socket. Otherwise the
 *       reservation is given back at once (nothing was written) and the message goes to Grizzly's writer,
 *       which queues it behind the others.
 *   <li>If the socket takes the whole message, the reservation is given back; if other writes were queued
 *       meanwhile, the selector is asked to write them ({@code simulateIOEvent(WRITE)}), as Grizzly does.
 *   <li>If it takes part, what was written is given back, the rest becomes the queue's current record and the
 *       socket's write readiness is asked for: Grizzly's selector writes the rest and reports to the handler.
 *   <li>A write whose socket throws is handed over the same way, untouched: the selector's attempt fails it
 *       and Grizzly closes the connection. (Giving the reservation back instead could strand a write another
 *       thread queued meanwhile, which waits for the current write to hand over.) A closed connection and
 *       writes nested too deep on one thread go to Grizzly's writer before any reservation.
 * </ol>
 *
 * <p>Only messages in native memory are written here (a heap message would be copied by the socket layer
 * either way; Grizzly's writer does that copy in bounded steps).
 *
 * <h2>Thread safety</h2>
 *
 * Stateless and thread-safe. Callers serialise their own writes to a connection (the viewer's lock), as they
 * do for Grizzly's writer; writes made by others at the same time are ordered by the queue's protocol above.
 *
 * @since 0.5.0
 */
public final class GrizzlySocketWrites {

  /** The system property that sends every message to Grizzly's writer when {@code false}. */
  public static final String PROPERTY = "framestream.socketWrites";

  private static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"));

  private GrizzlySocketWrites() {}

  /**
   * Writes the message, here when the queue is idle, else through {@code writer}; either way the handler is
   * told the outcome once. A write finished here reports {@code completed} with no result ({@code null}):
   * the handlers this project passes do not read it.
   *
   * @param connection the connection
   * @param writer the connection transport's asynchronous queue writer
   * @param memory the transport's memory manager (wraps the message for Grizzly)
   * @param message the bytes to write, from position to limit; its position moves as bytes are written, and
   *     nothing else may move it until the handler is told
   * @param handler told the outcome, or null
   */
  public static void write(Connection<SocketAddress> connection, AsyncQueueWriter<SocketAddress> writer,
      MemoryManager<?> memory, ByteBuffer message,
      CompletionHandler<WriteResult<WritableMessage, SocketAddress>> handler) {
    int size = message.remaining();
    if (!ENABLED || size == 0 || !message.isDirect() || !(connection instanceof TCPNIOConnection c)
        || !c.isOpen()) {
      queue(connection, writer, memory, message, handler);
      return;
    }
    Writer.Reentrant nested = Writer.Reentrant.getWriteReentrant();
    if (!nested.inc()) { // a completion writing again, too deep on this thread: Grizzly's writer handles it
      nested.dec();
      queue(connection, writer, memory, message, handler);
      return;
    }
    try {
      TaskQueue<AsyncWriteQueueRecord> queue = c.getAsyncWriteQueue();
      if (queue.reserveSpace(size) != size) {
        queue.releaseSpace(size); // others are queued or being written: queue behind them
        queue(connection, writer, memory, message, handler);
        return;
      }
      // From here this write is the queue's current one: writes offered meanwhile wait for it to hand over.
      int written;
      try {
        written = ((SocketChannel) c.getChannel()).write(message);
      } catch (IOException e) {
        written = 0; // handed over below: the selector's attempt fails it, and Grizzly closes the connection
      }
      if (!message.hasRemaining()) {
        boolean others = queue.releaseSpaceAndNotify(size) != 0;
        try {
          if (handler != null) {
            handler.completed(null);
          }
        } finally {
          if (others) {
            c.simulateIOEvent(IOEvent.WRITE); // writes queued behind this one: the selector takes them
          }
        }
        return;
      }
      if (written > 0) {
        queue.releaseSpaceAndNotify(written);
      }
      Buffer rest = Buffers.wrap(memory, message);
      rest.allowBufferDispose(false);
      queue.setCurrentElement(AsyncWriteQueueRecord.create(c, rest, handler, null, null, false));
      c.enableIOEvent(IOEvent.WRITE);
    } catch (IOException e) {
      // The selector cannot be asked to write: the connection is going. Closing fails what is queued (the rest
      // of this message included), which tells its handler.
      c.terminateSilently();
    } finally {
      nested.dec();
    }
  }

  private static void queue(Connection<SocketAddress> connection, AsyncQueueWriter<SocketAddress> writer,
      MemoryManager<?> memory, ByteBuffer message,
      CompletionHandler<WriteResult<WritableMessage, SocketAddress>> handler) {
    Buffer buffer = Buffers.wrap(memory, message);
    buffer.allowBufferDispose(false);
    writer.write(connection, null, buffer, handler, (MessageCloner<WritableMessage>) null);
  }
}
