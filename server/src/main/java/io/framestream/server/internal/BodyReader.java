package io.framestream.server.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.ReadHandler;
import org.glassfish.grizzly.http.io.NIOInputStream;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * Reads one request body without ever waiting for the peer on a shared thread and without copying it while
 * it arrives: the bytes stay in the buffers Grizzly read them into (Grizzly calls {@link #onDataAvailable()}
 * on a worker thread, which only counts them against the limit and returns at once), and a complete body is
 * handed to the {@link Receiver} as one {@link ByteBuffer} (a view when Grizzly holds it in one buffer, else
 * one join of its parts, handed over for the frame to keep, after which Grizzly's buffers are let go), on the
 * thread that delivered its last bytes. Nothing is allocated ahead of the bytes: while a body arrives the
 * server holds what arrived plus at most one socket read, whatever length the peer declared (rule H2). A
 * body over the limit is refused with 413; a body not complete within its deadline is answered with 408
 * (both close the connection, since the rest of the body would otherwise still have to be read). The
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
     * @param body the body; unless {@code handedOver}, valid only during the call (its buffers go back to
     *     Grizzly afterwards): copy what must outlive it
     * @param handedOver true when {@code body} wraps the whole of an array the reader made for it (the join
     *     of several reads) and keeps no reference to: the receiver may keep the array without copying it
     *     ({@code Frame.Builder.adoptPayload}); false for a view of a Grizzly read buffer, which is reused
     * @param response the response to answer on (resumed afterwards by the reader)
     * @throws IOException if answering fails
     */
    void received(ByteBuffer body, boolean handedOver, Response response) throws IOException;
  }

  private final Request request;
  private final Response response;
  private final Connection<?> connection;
  private final long declared;
  private final int limit;
  private final Duration timeout;
  private final Receiver receiver;
  private final Runnable onEnd;
  private final NIOInputStream in;
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
   * Checks what already arrived; answers at once when that is the whole body, else suspends the response
   * and waits for the rest through callbacks, with the deadline on {@code timer}.
   *
   * @param timer the shared executor for the deadline
   * @throws IOException if answering fails
   */
  synchronized void start(ScheduledExecutorService timer) throws IOException {
    try {
      if (!withinLimit()) {
        return;
      }
      if (in.isFinished()) {
        complete();
        return;
      }
      // The callbacks come from Grizzly's threads and wait for this lock; if more bytes arrived meanwhile,
      // notifyAvailable calls back on this thread (the lock is reentrant), after the response is suspended.
      response.suspend(0, TimeUnit.MILLISECONDS, new PeerGone());
      suspended = true;
      deadline = timer.schedule(this::expire, timeout.toMillis(), TimeUnit.MILLISECONDS);
      awaitMore();
    } catch (IOException | RuntimeException e) {
      end();
      throw e;
    }
  }

  @Override
  public synchronized void onDataAvailable() throws IOException {
    if (ended.get() || !withinLimit()) {
      return;
    }
    if (declared < 0 || in.readyData() < declared) {
      awaitMore();
    } // else the last bytes are in: onAllDataRead follows on this thread
  }

  @Override
  public synchronized void onAllDataRead() throws IOException {
    if (ended.get() || !withinLimit()) {
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

  /**
   * Counts the bytes that arrived (Grizzly holds them, nothing is copied); false (after refusing with 413)
   * when they pass the limit. A declared length is within it already, and Grizzly never reads a body past its
   * declared length; a chunked body is refused as soon as its running total passes it, so at most one socket
   * read beyond the limit is ever held.
   */
  private boolean withinLimit() {
    if (in.readyData() > limit) {
      refuse(413, "frame exceeds maxFrameBytes " + limit);
      return false;
    }
    return true;
  }

  /** Asks Grizzly to call back when more bytes than those held now have arrived, or the body is complete. */
  private void awaitMore() {
    in.notifyAvailable(this, in.readyData() + 1);
  }

  private void complete() throws IOException {
    if (!end()) {
      return; // the peer left meanwhile
    }
    Buffer body = in.readBuffer(); // all of it: Grizzly's buffers are ours now
    boolean disposed = false;
    try {
      ByteBuffer bytes;
      boolean joinedHere = body.isComposite();
      if (joinedHere) {
        // Several reads: joined once into an array nobody else sees, which the frame adopts (no second
        // copy), and Grizzly's buffers let go at once, so the server holds at most twice the body for a
        // moment (H2).
        byte[] joined = new byte[body.remaining()];
        body.get(joined);
        body.tryDispose();
        disposed = true;
        bytes = ByteBuffer.wrap(joined);
      } else {
        bytes = body.toByteBuffer(); // one read: a view of Grizzly's buffer, which the frame copies
      }
      receiver.received(bytes, joinedHere, response);
    } finally {
      if (!disposed) {
        body.tryDispose(); // the frame has its own copy: Grizzly may reuse the read buffer
      }
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
