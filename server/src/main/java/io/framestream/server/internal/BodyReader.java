package io.framestream.server.internal;

import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * at once), into a {@link BodyBuffer} and checked against the limit before they are copied: one array of
 * the declared length, or chunks of at most 64 KiB for a chunked body, so no byte is copied twice while the
 * body arrives (see {@link BodyBuffer} for the exact bound). A body over the limit is refused with 413; a body not complete within its deadline is
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

  private final Request request;
  private final Response response;
  private final Connection<?> connection;
  private final long declared;
  private final int limit;
  private final Duration timeout;
  private final Receiver receiver;
  private final Runnable onEnd;
  private final NIOInputStream in;
  private BodyBuffer buffer;
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
    this.buffer = new BodyBuffer(declared, limit);
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
    if (declared < 0 || buffer.received() < declared) {
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
      if ((long) buffer.received() + ready > limit) {
        refuse(413, "frame exceeds maxFrameBytes " + limit);
        return false;
      }
      if (buffer.readFrom(in::read, ready) <= 0) { // ready bytes: never blocks
        break;
      }
    }
    return true;
  }

  private void complete() throws IOException {
    if (!end()) {
      return; // the peer left meanwhile
    }
    byte[] body = buffer.take();
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

  /** Where a {@link BodyBuffer} reads from: {@link NIOInputStream#read(byte[], int, int)}, or a test. */
  @FunctionalInterface
  interface ByteInput {
    int read(byte[] into, int offset, int length) throws IOException;
  }

  /**
   * The bytes of one body so far, held so that no byte is copied while the body arrives and no array is
   * allocated ahead of the bytes: a body goes into chunks of at most {@link #CHUNK} bytes, never more in all
   * than its declared length (already checked against the limit) or the limit, joined once at the end. A body
   * that fits one chunk exactly (any declared body of at most {@link #CHUNK} bytes) is handed over as it is.
   * So while a body arrives its buffer holds at most its bytes plus one chunk, whatever length the peer
   * declared; at the final join, at most twice its bytes plus one chunk.
   *
   * <p>Package-private so that tests can check how it allocates: {@link #held()} is what its arrays take
   * now, {@link #peak()} the most they ever took at once, counting the chunks and their join together.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe; the reader uses it under its lock.
   */
  static final class BodyBuffer {
    /** The largest chunk of a body without a declared length. */
    static final int CHUNK = 64 * 1024;

    private final long declared;
    private final int limit;
    /** The body's array when its length is declared; else the chunk being filled; null before any byte. */
    private byte[] current;
    /** The full chunks of a body without a declared length. */
    private final List<byte[]> full = new ArrayList<>();
    /** Bytes in {@link #current}. */
    private int filled;
    private int received;
    private long held;
    private long peak;

    BodyBuffer(long declared, int limit) {
      this.declared = declared;
      this.limit = limit;
    }

    int received() {
      return received;
    }

    long held() {
      return held;
    }

    long peak() {
      return peak;
    }

    /**
     * Reads up to {@code ready} bytes, which the caller checked against the limit (and which, for a declared
     * length, Grizzly never lets pass it); returns what was read.
     */
    int readFrom(ByteInput input, int ready) throws IOException {
      int total = 0;
      while (total < ready) {
        if (current == null || filled == current.length) {
          if (!newArray()) {
            break; // no room left: the caller's limit check refuses what remains
          }
        }
        int n = input.read(current, filled, Math.min(ready - total, current.length - filled));
        if (n <= 0) {
          return total > 0 ? total : n;
        }
        filled += n;
        received += n;
        total += n;
      }
      return total;
    }

    /** Starts the declared array, or a new chunk; false when the body may not grow. */
    private boolean newArray() {
      // Never more than one chunk ahead of what arrived, even for a declared length: a peer that declares
      // maxFrameBytes and sends one byte must not make the server hold maxFrameBytes.
      long room = (declared >= 0 ? declared : limit) - received;
      int size = (int) Math.min(CHUNK, room);
      if (size <= 0) {
        return false; // the declared length, or the limit, is all there is
      }
      if (current != null) {
        full.add(current);
      }
      current = new byte[size];
      filled = 0;
      hold(size);
      return true;
    }

    private void hold(long bytes) {
      held += bytes;
      peak = Math.max(peak, held);
    }

    /** Returns the body; the buffer is not used afterwards. */
    byte[] take() {
      if (current == null) {
        return new byte[0];
      }
      if (full.isEmpty() && filled == current.length) {
        return current; // the declared array, or a body of exactly one chunk: no copy
      }
      byte[] body = new byte[received];
      hold(received);
      int at = 0;
      for (byte[] chunk : full) {
        System.arraycopy(chunk, 0, body, at, chunk.length);
        at += chunk.length;
      }
      System.arraycopy(current, 0, body, at, filled);
      full.clear();
      current = null;
      held = received;
      return body;
    }
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
