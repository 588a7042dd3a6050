package io.framestream.server.internal;

import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.ReadHandler;
import org.glassfish.grizzly.http.io.NIOInputStream;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * Reads one request body without ever waiting for the peer on a shared thread: the bytes that are ready
 * are copied when they arrive (Grizzly calls {@link #onDataAvailable()} on a worker thread, which returns
 * at once), into a buffer that grows with what arrived and is checked against its limit before the bytes
 * are copied. A body over the limit is refused with 413; a body not complete within its deadline is
 * answered with 408 (both close the connection, since the rest of the body would otherwise still have to
 * be read); a complete body goes to the {@link Receiver} on the thread that delivered its last bytes. The
 * deadline is a task on a shared scheduled executor, not a thread per body.
 *
 * <p>Whatever the outcome (answered, refused, expired, the peer gone), the {@code onEnd} action runs
 * exactly once.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: Grizzly's callbacks (serial among themselves) and the deadline task (on the timer thread)
 * meet under this object's lock, which is held only while copying bytes that are already there or
 * writing a small answer, never while waiting for the peer. The end of the reader is an atomic flag, so
 * Grizzly's close notification (which holds Grizzly's locks) never waits for this lock.
 */
final class BodyReader implements ReadHandler {

  /** What to do with a complete body. */
  @FunctionalInterface
  interface Receiver {
    /**
     * Answers the request whose body arrived; must not block.
     *
     * @param body the body
     * @param response the response to answer on (resumed afterwards by the reader)
     * @throws IOException if answering fails
     */
    void received(byte[] body, Response response) throws IOException;
  }

  private static final int FIRST_CAPACITY = 16 * 1024;

  private final Request request;
  private final Response response;
  private final Connection<?> connection;
  private final long declared;
  private final int limit;
  private final Duration timeout;
  private final Receiver receiver;
  private final Runnable onEnd;
  private final NIOInputStream in;
  private byte[] buffer = new byte[0];
  private int received;
  private boolean suspended;
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile ScheduledFuture<?> deadline;

  /**
   * Creates a reader for a request whose declared length (if any) is within {@code limit}.
   *
   * @param request the request
   * @param response its response
   * @param limit the largest body accepted
   * @param timeout the deadline on the whole body
   * @param receiver answers a complete body
   * @param onEnd runs once when the reader is done, whatever the outcome
   */
  BodyReader(Request request, Response response, int limit, Duration timeout, Receiver receiver, Runnable onEnd) {
    this.request = request;
    this.response = response;
    this.connection = request.getContext().getConnection();
    this.declared = request.getContentLengthLong();
    this.limit = limit;
    this.timeout = timeout;
    this.receiver = receiver;
    this.onEnd = onEnd;
    this.in = request.getNIOInputStream();
  }

  /**
   * Takes what already arrived; answers at once when that is the whole body, else suspends the response
   * and waits for the rest through callbacks, with the deadline on {@code timer}.
   *
   * @param timer the shared executor for the deadline
   * @throws IOException if answering fails
   */
  synchronized void start(ScheduledExecutorService timer) throws IOException {
    try {
      if (!drain()) {
        return;
      }
      if (in.isFinished()) {
        complete();
        return;
      }
      // Nothing more is ready and the body is not finished, so notifyAvailable will not call back on
      // this thread: the callbacks come later, from Grizzly's threads, and wait for this lock.
      response.suspend(0, TimeUnit.MILLISECONDS, new PeerGone());
      suspended = true;
      deadline = timer.schedule(this::expire, timeout.toMillis(), TimeUnit.MILLISECONDS);
      in.notifyAvailable(this);
    } catch (IOException | RuntimeException e) {
      end();
      throw e;
    }
  }

  @Override
  public synchronized void onDataAvailable() throws IOException {
    if (ended.get() || !drain()) {
      return;
    }
    if (declared < 0 || received < declared) {
      in.notifyAvailable(this);
    } // else the last bytes are in: onAllDataRead follows on this thread
  }

  @Override
  public synchronized void onAllDataRead() throws IOException {
    if (ended.get() || !drain()) {
      return;
    }
    complete();
  }

  @Override
  public synchronized void onError(Throwable t) {
    if (ended.get()) {
      return;
    }
    if (t instanceof EOFException || t instanceof CancellationException || !connection.isOpen()) {
      end(); // the peer is gone; nobody to answer
      return;
    }
    refuse(400, "malformed request body: " + t.getMessage());
  }

  /** Copies the bytes that are ready; false (after refusing with 413) when they pass the limit. */
  private boolean drain() throws IOException {
    for (int ready; (ready = in.readyData()) > 0; ) {
      if ((long) received + ready > limit) {
        refuse(413, "frame exceeds maxFrameBytes " + limit);
        return false;
      }
      ensureCapacity(received + ready);
      int n = in.read(buffer, received, ready); // ready bytes: never blocks
      if (n <= 0) {
        break;
      }
      received += n;
    }
    return true;
  }

  private void ensureCapacity(int needed) {
    if (needed <= buffer.length) {
      return;
    }
    long grown = Math.max(needed, Math.max(FIRST_CAPACITY, 2L * buffer.length));
    long cap = Math.min(grown, declared >= 0 ? declared : limit);
    buffer = Arrays.copyOf(buffer, (int) Math.max(cap, needed));
  }

  private void complete() throws IOException {
    if (!end()) {
      return; // the peer left meanwhile
    }
    byte[] body = received == buffer.length ? buffer : Arrays.copyOf(buffer, received);
    buffer = null;
    try {
      receiver.received(body, response);
    } finally {
      if (suspended) {
        response.resume();
      }
    }
  }

  private synchronized void expire() {
    if (!ended.get()) {
      refuse(408, "request body not complete within uploadTimeout (" + timeout.toMillis() + " ms)");
    }
  }

  /** Answers with an error and closes the connection, the rest of the body being unwanted. */
  private void refuse(int status, String message) {
    if (!end()) {
      return;
    }
    buffer = null;
    try {
      response.setHeader("Connection", "close");
      ApiHandler.error(response, status, message);
    } catch (IOException | RuntimeException e) {
      // the peer is gone; closing anyway
    }
    // Graceful: the answer goes out first. A suspended response is cancelled by the close; Grizzly never
    // reuses it.
    connection.closeSilently();
  }

  /**
   * Ends the reader once: cancels the deadline and runs {@code onEnd}. Lock-free, so that Grizzly's close
   * path (which holds Grizzly's locks) never waits for this object's lock.
   *
   * @return true for the caller that ended it
   */
  private boolean end() {
    if (!ended.compareAndSet(false, true)) {
      return false;
    }
    ScheduledFuture<?> d = deadline;
    if (d != null) {
      d.cancel(false);
    }
    onEnd.run();
    return true;
  }

  /** The connection closed while the response was suspended. */
  private final class PeerGone implements CompletionHandler<Response> {
    @Override
    public void cancelled() {
      end();
    }

    @Override
    public void failed(Throwable throwable) {
      cancelled();
    }

    @Override
    public void completed(Response result) {
      // resumed after an answer: already ended
    }

    @Override
    public void updated(Response result) {
      // not used
    }
  }
}
