package io.framestream.server.internal;

import io.framestream.core.DirectMessage;
import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import io.framestream.transport.sse.internal.GrizzlySocketWrites;
import io.framestream.transport.websocket.spi.WebSocketFrames;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.locks.Lock;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.asyncqueue.AsyncQueueWriter;
import org.glassfish.grizzly.memory.MemoryManager;
import org.glassfish.grizzly.nio.NIOTransport;
import org.glassfish.tyrus.spi.Writer;

/**
 * Puts a viewer's pre-framed message straight into Grizzly's write queue of its connection (to the socket
 * on the calling thread when that queue is idle, {@link GrizzlySocketWrites}), where Tyrus's
 * writer would otherwise take it through its own task queue and the connection's whole filter chain (a
 * buffer wrapper, a completion wrapper, a task, a queue round trip, a filter-chain context and six filters
 * per send, about a third of the delivery threads' own CPU at 200 viewers; docs/performance.md).
 *
 * <p>Order is kept exactly as Tyrus keeps it. Tyrus's {@code GrizzlyWriter} runs every write of the
 * connection as a task of its {@code TaskProcessor}: a task runs under the processor's lock, in queue order,
 * and waits in the queue while the connection cannot take more ({@code Connection.canWrite()} false, the
 * write queue over its limit) until Grizzly says it can. A message goes straight to Grizzly only when this
 * class holds that same lock, no Tyrus task is waiting, and the connection can take more: then it is
 * exactly what the processor would do with it next. Otherwise the caller hands it to Tyrus's writer as
 * before. A Tyrus write that arrives while this class holds the lock finds it taken and leaves its task
 * queued for the holder, so this class runs the processor once after it lets go, as the processor itself
 * does.
 *
 * <p>The fields read here ({@code GrizzlyWriter.connection} and {@code .taskProcessor}, {@code
 * TaskProcessor.taskQueue} and {@code .taskLock}) are private to Tyrus 2.2.2's Grizzly container; if any is
 * missing or of another type, every message goes through Tyrus's writer, as before.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe and stateless after construction; {@link #write} is called under the connection's Tyrus
 * protocol lock.
 */
final class GrizzlyWrites {

  private static final System.Logger LOG = System.getLogger(GrizzlyWrites.class.getName());
  private static final String GRIZZLY_WRITER = "org.glassfish.tyrus.container.grizzly.client.GrizzlyWriter";
  private static final String TASK_PROCESSOR = "org.glassfish.tyrus.container.grizzly.client.TaskProcessor";

  private final Class<?> writerType;
  private final Field connectionField;
  private final Field tasksField;
  private final Field queueField;
  private final Field lockField;
  private final Method processTask;

  private GrizzlyWrites(Class<?> writerType, Field connection, Field tasks, Field queue, Field lock, Method process) {
    this.writerType = writerType;
    this.connectionField = connection;
    this.tasksField = tasks;
    this.queueField = queue;
    this.lockField = lock;
    this.processTask = process;
  }

  /**
   * Finds Tyrus's fields; when they are not there, an instance whose {@link #write} always declines.
   *
   * @return the writer
   */
  static GrizzlyWrites create() {
    try {
      Class<?> writer = Class.forName(GRIZZLY_WRITER);
      Class<?> processor = Class.forName(TASK_PROCESSOR);
      Field connection = field(writer, "connection", Connection.class);
      Field tasks = field(writer, "taskProcessor", processor);
      Field queue = field(processor, "taskQueue", Queue.class);
      Field lock = field(processor, "taskLock", Lock.class);
      Method process = processor.getMethod("processTask");
      return new GrizzlyWrites(writer, connection, tasks, queue, lock, process);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(System.Logger.Level.INFO, "viewer messages go through Tyrus's writer: {0}", e.toString());
      return new GrizzlyWrites(null, null, null, null, null, null);
    }
  }

  /**
   * Tells whether this Tyrus allows direct writes (its fields were found).
   *
   * @return true when {@link #write} can write
   */
  boolean enabled() {
    return writerType != null;
  }

  private static Field field(Class<?> owner, String name, Class<?> type) throws NoSuchFieldException {
    Field f = owner.getDeclaredField(name);
    if (!type.isAssignableFrom(f.getType())) {
      throw new NoSuchFieldException(owner.getName() + "." + name + " is a " + f.getType().getName());
    }
    f.setAccessible(true);
    return f;
  }

  /**
   * What a direct write to one connection needs, found once per connection (and kept by the sender's
   * completion adapter).
   *
   * @param writer the Tyrus writer it was found from
   * @param connection the Grizzly connection
   * @param tasks the writer's task processor
   * @param queue its queue
   * @param lock its lock
   * @param out the transport's asynchronous writer
   * @param memory the transport's memory manager
   */
  record Target(Writer writer, Connection<SocketAddress> connection, Object tasks, Queue<?> queue, Lock lock,
      AsyncQueueWriter<SocketAddress> out, MemoryManager<?> memory) {}

  /**
   * Writes the message straight into Grizzly's queue if that keeps the connection's order (see the class
   * description), else declines and the caller hands it to {@code writer}.
   *
   * <p>The message is either {@code bytes} or a frame's {@code message}; of a frame, the write takes its
   * native-memory form when that can serve (no copy in the socket layer; the reference goes back when the write
   * reports), else the heap form.
   *
   * @param writer the connection's Tyrus writer
   * @param frame the frame, or null when {@code bytes} is the message
   * @param message the frame's message encoding, or null
   * @param bytes the pre-framed message (a view of shared bytes, not modified), or null
   * @param completion told the outcome if this returns true
   * @return true if written here
   */
  boolean write(Writer writer, Frame frame, FrameEncoding<ByteBuffer> message, ByteBuffer bytes,
      TyrusRawFrameSender.Completion completion) {
    if (writerType == null || !writerType.isInstance(writer)) {
      return false;
    }
    Target t = completion.target;
    if (t == null || t.writer() != writer) {
      t = target(writer);
      if (t == null) {
        return false;
      }
      completion.target = t;
    }
    if (!t.lock().tryLock()) {
      return false; // Tyrus is writing for this connection right now: queue behind it
    }
    boolean written = false;
    try {
      if (t.queue().isEmpty() && t.connection().canWrite()) {
        ByteBuffer out = bytes;
        if (frame != null) {
          FrameEncoding<DirectMessage> nativeForm = WebSocketFrames.direct(message);
          DirectMessage direct = nativeForm == null ? null : frame.encoded(nativeForm);
          out = direct == null ? null : direct.retain();
          if (out != null) {
            completion.hold(direct);
          } else {
            out = frame.encoded(message).duplicate();
          }
        }
        try {
          GrizzlySocketWrites.write(t.connection(), t.out(), t.memory(), out, completion.grizzly);
        } catch (RuntimeException e) {
          completion.letGo(); // no outcome will come for a write that did not start
          throw e;
        }
        written = true;
      }
    } finally {
      t.lock().unlock();
      if (!t.queue().isEmpty()) {
        runTasks(t); // a Tyrus write that found the lock taken left its task for the holder
      }
    }
    return written;
  }

  @SuppressWarnings("unchecked") // Tyrus's Grizzly container runs over TCP: SocketAddress connections
  private Target target(Writer writer) {
    try {
      Connection<SocketAddress> connection = (Connection<SocketAddress>) connectionField.get(writer);
      Object tasks = tasksField.get(writer);
      if (connection == null || tasks == null || !(connection.getTransport() instanceof NIOTransport transport)) {
        return null;
      }
      AsyncQueueWriter<SocketAddress> out =
          (AsyncQueueWriter<SocketAddress>) (AsyncQueueWriter<?>) transport.getAsyncQueueIO().getWriter();
      return new Target(writer, connection, tasks, (Queue<?>) queueField.get(tasks), (Lock) lockField.get(tasks),
          out, transport.getMemoryManager());
    } catch (IllegalAccessException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "connection not reachable for direct writes: {0}", e.toString());
      return null;
    }
  }

  private void runTasks(Target t) {
    try {
      processTask.invoke(t.tasks());
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Tyrus's queued writes could not be started", e);
    }
  }
}
