package io.framestream.server.internal;

import io.framestream.edge.ErrorBody;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.http.HttpContent;
import org.glassfish.grizzly.http.HttpHeader;
import org.glassfish.grizzly.memory.Buffers;

/**
 * The deadline on request heads (rule H1): from accept, and on a keep-alive connection from the first byte of
 * each further request, the request's head must be complete within {@code headTimeout}. A connection that
 * trickles its head (slowloris), or sends nothing at all, is answered 408 with a JSON body and {@code
 * Connection: close} when its write queue has room (else it gets no answer), and closed.
 *
 * <p>Two filters do the work: one in front of Grizzly's HTTP codec sees accepts and raw reads and starts the
 * clock at the first byte of a head; one right behind the codec sees each parsed request and stops it. The
 * clock starts again when the last byte of a request (its head, or its body's end) has been read, at the next
 * byte. An upgraded WebSocket connection is never timed again after its upgrade request; a suspended request
 * (SSE, a body read as it arrives) is not timed once its head is complete. A pipelined head that arrives in
 * the same read as the end of the request before it is timed from the connection's next read.
 *
 * <p>Deadlines are tasks on one shared scheduler thread, cancelled when the head completes and when the
 * connection closes; the thread ends when no deadline is pending. The 408 is written straight to the
 * transport, past the codec, without waiting; a connection that has not taken it within {@value
 * #CLOSE_GRACE_MILLIS} ms is terminated.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. Each connection's clock is guarded by its own monitor, taken by Grizzly's threads (reads,
 * writes, close) and by the scheduler thread for a moment each; nothing waits on a peer while holding it. A
 * clock is created under this object's monitor, once per connection.
 */
final class HeadDeadlines {

  private static final System.Logger LOG = System.getLogger(HeadDeadlines.class.getName());

  /** How long a timed-out connection may take to accept the 408 before it is terminated. */
  static final long CLOSE_GRACE_MILLIS = 1000;

  private static final Attribute<Clock> CLOCK =
      Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(HeadDeadlines.class.getName() + ".clock");

  private final long timeoutNanos;
  private final byte[] answer;
  private final ScheduledThreadPoolExecutor timer;

  /**
   * Creates the deadlines; their scheduler thread starts with the first deadline.
   *
   * @param headTimeout positive
   */
  HeadDeadlines(Duration headTimeout) {
    this.timeoutNanos = headTimeout.toNanos();
    byte[] body = ErrorBody.bytes("request head not complete within " + headTimeout.toMillis() + " ms (headTimeout)");
    String head = "HTTP/1.1 408 Request Timeout\r\nContent-Type: " + ErrorBody.CONTENT_TYPE + "\r\nContent-Length: "
        + body.length + "\r\nConnection: close\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    this.answer = new byte[h.length + body.length];
    System.arraycopy(h, 0, answer, 0, h.length);
    System.arraycopy(body, 0, answer, h.length, body.length);
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "framestream-head-deadlines");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true); // a head that completes in time leaves no task behind
    timer.setKeepAliveTime(5, TimeUnit.SECONDS);
    timer.allowCoreThreadTimeOut(true); // the last thread stays while any deadline is queued
  }

  /** Stops the scheduler thread at once; pending deadlines are dropped (the server is closing). */
  void close() {
    timer.shutdownNow();
  }

  /**
   * Places the filters: one in front of Grizzly's HTTP codec, one right behind it.
   *
   * @param builder the listener's chain, which holds the codec
   */
  void setup(FilterChainBuilder builder) {
    int codec = builder.indexOfType(org.glassfish.grizzly.http.HttpServerFilter.class);
    if (codec < 0) {
      return;
    }
    builder.add(codec + 1, new ParsedFilter());
    builder.add(codec, new RawFilter());
  }

  /** The connection's clock, created on its accept or its first read, whichever Grizzly reports first. */
  private Clock clock(Connection<?> connection) {
    Clock clock = CLOCK.get(connection);
    if (clock != null) {
      return clock;
    }
    synchronized (this) { // once per connection, for a moment: accept and a read may race to create it
      clock = CLOCK.get(connection);
      if (clock == null) {
        clock = new Clock(connection);
        CLOCK.set(connection, clock);
        ConnectionTracker.onClose(connection, clock::closed);
      }
    }
    return clock;
  }

  /** Answers 408 if the write can go at once, and closes; called once per connection, on the timer thread. */
  @SuppressWarnings({"unchecked", "rawtypes"}) // Grizzly's transport writer is typed by a raw address type
  private void expire(Clock clock) {
    Connection connection = clock.connection;
    LOG.log(System.Logger.Level.DEBUG, "request head not complete within {0} ms on {1}",
        TimeUnit.NANOSECONDS.toMillis(timeoutNanos), connection);
    if (!connection.isOpen()) {
      return;
    }
    if (clock.answerable() && connection.canWrite()) {
      Buffer bytes = Buffers.wrap(connection.getMemoryManager(), answer);
      clock.graceUntilClosed(timer.schedule(connection::terminateSilently, CLOSE_GRACE_MILLIS,
          TimeUnit.MILLISECONDS));
      try {
        connection.getTransport().getWriter(false).write(connection, bytes, new CompletionHandler() {
          @Override
          public void cancelled() {
            connection.terminateSilently();
          }

          @Override
          public void failed(Throwable throwable) {
            connection.terminateSilently();
          }

          @Override
          public void completed(Object result) {
            connection.closeSilently();
          }

          @Override
          public void updated(Object result) {
            // partly written; the rest follows or the grace ends
          }
        });
      } catch (RuntimeException e) {
        connection.terminateSilently();
      }
      return;
    }
    connection.terminateSilently();
  }

  /** The head clock of one connection. */
  private final class Clock implements Runnable {
    private static final int WAITING = 0; // no head begun: the clock starts at the next byte
    private static final int TIMING = 1; // a head is arriving
    private static final int IN_REQUEST = 2; // the head is complete, its body is still arriving
    private static final int EXEMPT = 3; // upgraded: never timed again
    private static final int EXPIRED = 4; // timed out: the 408 is under way, reads are discarded
    private static final int CLOSED = 5;

    final Connection<?> connection;
    private int state = WAITING;
    private boolean readSeen;
    private int unanswered; // requests whose answer has not been written to its end
    private ScheduledFuture<?> task;

    Clock(Connection<?> connection) {
      this.connection = connection;
    }

    /** A read of {@code bytes} bytes arrived; false when they are to be discarded. */
    synchronized boolean read(int bytes) {
      readSeen = true;
      if (state == EXPIRED || state == CLOSED) {
        return false;
      }
      if (state == WAITING && bytes > 0) {
        start();
      }
      return true;
    }

    /** The connection was accepted: the clock starts, unless a read came first and decided already. */
    synchronized void accepted() {
      if (state == WAITING && !readSeen) {
        start();
      }
    }

    /** Starts the clock at a head's first byte, or at accept. */
    private void start() {
      if (state == WAITING) {
        state = TIMING;
        task = timer.schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
      }
    }

    /** A parsed piece of a request; false when its head came too late (the 408 is under way). */
    synchronized boolean parsed(boolean last, boolean upgrade) {
      if (state == EXPIRED || state == CLOSED) {
        return false;
      }
      if (state == EXEMPT) {
        return true;
      }
      if (state != IN_REQUEST) { // the first piece: the head is complete
        cancel();
        unanswered++;
      }
      state = upgrade ? EXEMPT : last ? WAITING : IN_REQUEST;
      return true;
    }

    synchronized void answered() {
      if (unanswered > 0) {
        unanswered--;
      }
    }

    /** True when no answer is being written, so a 408 would not land in the middle of one. */
    synchronized boolean answerable() {
      return unanswered == 0;
    }

    synchronized void graceUntilClosed(ScheduledFuture<?> terminate) {
      if (state == CLOSED) {
        terminate.cancel(false);
      } else {
        task = terminate;
      }
    }

    synchronized void closed() {
      state = CLOSED;
      cancel();
    }

    private void cancel() {
      if (task != null) {
        task.cancel(false);
        task = null;
      }
    }

    @Override
    public void run() {
      synchronized (this) {
        if (state != TIMING) {
          return;
        }
        state = EXPIRED;
        task = null;
      }
      expire(this);
    }
  }

  /** In front of the codec: starts a connection's clock at accept and at the first byte of each head. */
  private final class RawFilter extends BaseFilter {
    @Override
    public NextAction handleAccept(FilterChainContext ctx) throws IOException {
      clock(ctx.getConnection()).accepted();
      return ctx.getInvokeAction();
    }

    @Override
    public NextAction handleRead(FilterChainContext ctx) throws IOException {
      Object message = ctx.getMessage();
      int bytes = message instanceof Buffer ? ((Buffer) message).remaining() : 0;
      if (!clock(ctx.getConnection()).read(bytes)) {
        return ctx.getStopAction(); // timed out: the rest of this connection's bytes are not parsed
      }
      return ctx.getInvokeAction();
    }
  }

  /** Behind the codec: stops the clock when a request's head is parsed, restarts it after its last byte. */
  private final class ParsedFilter extends BaseFilter {
    @Override
    public NextAction handleRead(FilterChainContext ctx) throws IOException {
      Object message = ctx.getMessage();
      if (!(message instanceof HttpContent)) {
        return ctx.getInvokeAction();
      }
      HttpContent content = (HttpContent) message;
      HttpHeader header = content.getHttpHeader();
      if (!header.isRequest()) {
        return ctx.getInvokeAction();
      }
      // Only a WebSocket upgrade is exempt: a refused one is answered with Connection: close and closed.
      boolean upgrade = "websocket".equalsIgnoreCase(header.getUpgrade());
      if (!clock(ctx.getConnection()).parsed(content.isLast(), upgrade)) {
        content.recycle();
        return ctx.getStopAction();
      }
      return ctx.getInvokeAction();
    }

    @Override
    public NextAction handleWrite(FilterChainContext ctx) throws IOException {
      Object message = ctx.getMessage();
      if (message instanceof HttpContent) {
        HttpContent content = (HttpContent) message;
        if (content.isLast() && !content.getHttpHeader().isRequest()) {
          Clock clock = CLOCK.get(ctx.getConnection());
          if (clock != null) {
            clock.answered();
          }
        }
      }
      return ctx.getInvokeAction();
    }
  }
}
