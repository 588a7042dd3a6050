package io.framestream.transport.sse.internal;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The Servlet 6 side of one SSE response: an {@link AsyncContext} and its {@link ServletOutputStream} in
 * non-blocking mode ({@link WriteListener}).
 *
 * <p>The Servlet API lets an application write only while {@link ServletOutputStream#isReady()} says so,
 * and then holds at most that one write; so this output keeps its own bounded queue of event arrays in
 * front of the stream, the counterpart of the write queue Grizzly keeps per connection:
 *
 * <ul>
 *   <li>{@link #write(byte[])} queues the shared, never-modified event array (no copy) and hands arrays to
 *       the stream while it is ready, flushing after the last. It never blocks: a peer that reads nothing
 *       leaves one write pending in the container and the rest here.
 *   <li>{@link #canWrite()} is true while less than the limit waits (queued here plus the write the
 *       container has not finished). Above it the viewer stops writing and its frame stays in flight, so
 *       the channel evicts it after its stall timeout, as on Grizzly.
 *   <li>{@link #notifyWritable(Writable)} is answered from {@link #onWritePossible()} once the queue has
 *       drained below the limit.
 *   <li>{@link #finish()} completes the {@code AsyncContext} once the queue has drained (the container
 *       then ends the chunked body); {@link #closeConnection(boolean) closeConnection(false)} drops the
 *       queue and completes at once. The Servlet API has no way to reset a connection: Jetty 12 closes it
 *       at once when a response completes with a write pending; a container that waits instead fails that
 *       write at its idle timeout, holding that one event until then.
 *   <li>Failures the container reports ({@link WriteListener#onError(Throwable)}, {@link
 *       AsyncListener#onError(AsyncEvent)}, {@link AsyncListener#onTimeout(AsyncEvent)}, a completion this
 *       output did not start) reach the viewer as "peer gone", outside every lock.
 * </ul>
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. One lock guards the queue and every use of the stream (the viewer calls in under its own
 * lock; the container calls {@link #onWritePossible()} on its threads; the timer forces closes). The lock is
 * never held while the viewer is called back, so the lock order is always viewer, then output.
 *
 * @since 0.3.0
 */
public final class ServletEventOutput implements EventOutput, WriteListener, AsyncListener {

  private static final System.Logger LOG = System.getLogger(ServletEventOutput.class.getName());

  private final AsyncContext async;
  private final ServletOutputStream out;
  private final long queueLimit;
  private final Consumer<Throwable> peerGone;
  private final ScheduledExecutorService timer;
  private final long gracefulCloseTimeoutMillis;

  private final Object lock = new Object();
  // Guarded by lock.
  private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
  private long queuedBytes;
  private long inContainer; // bytes of the write the container has not finished (isReady() said false)
  private boolean unflushed;
  private Writable waiter;
  private boolean finishing; // complete once the queue has drained
  private boolean done; // completed, aborted or failed: no more writes
  private boolean completeCalled;
  private boolean told; // the viewer was told the peer is gone

  /**
   * Wraps an async response. Call {@link #attach()} next, from the thread that started async processing.
   *
   * @param async the response's async context, its timeout already set
   * @param out the response's output stream
   * @param queueLimit the bytes that may wait here and in the container before {@link #canWrite()} turns
   *     false
   * @param peerGone told once, outside every lock, when the container reports the peer gone
   * @param timer where the forced close after a timed-out graceful one is scheduled
   * @param gracefulCloseTimeoutMillis how long a graceful close may take
   */
  public ServletEventOutput(AsyncContext async, ServletOutputStream out, long queueLimit,
      Consumer<Throwable> peerGone, ScheduledExecutorService timer, long gracefulCloseTimeoutMillis) {
    this.async = Objects.requireNonNull(async, "async");
    this.out = Objects.requireNonNull(out, "out");
    this.queueLimit = queueLimit;
    this.peerGone = Objects.requireNonNull(peerGone, "peerGone");
    this.timer = Objects.requireNonNull(timer, "timer");
    this.gracefulCloseTimeoutMillis = gracefulCloseTimeoutMillis;
  }

  /**
   * Registers this output as the async context's listener and the stream's write listener, which puts the
   * stream in non-blocking mode. Must be called once, before the first {@link #write(byte[])}.
   */
  public void attach() {
    async.addListener(this);
    out.setWriteListener(this);
  }

  @Override
  public boolean canWrite() {
    synchronized (lock) {
      return !done && queuedBytes + inContainer < queueLimit;
    }
  }

  @Override
  public void write(byte[] bytes) throws IOException {
    Throwable failure;
    synchronized (lock) {
      if (done) {
        throw new IOException("the SSE response has ended");
      }
      queue.add(bytes);
      queuedBytes += bytes.length;
      failure = pumpLocked();
    }
    if (failure != null) {
      completeOnce();
      throw failure instanceof IOException ? (IOException) failure : new IOException(failure);
    }
  }

  /**
   * Hands queued arrays to the stream while it is ready, then flushes; completes the response when
   * finishing and drained. Returns the failure if the stream threw (the output is then done).
   */
  private Throwable pumpLocked() {
    if (done) {
      return null;
    }
    try {
      while (out.isReady()) {
        inContainer = 0;
        byte[] next = queue.poll();
        if (next != null) {
          queuedBytes -= next.length;
          out.write(next);
          unflushed = true;
          inContainer = next.length;
        } else if (unflushed) {
          unflushed = false;
          out.flush();
        } else {
          if (finishing) {
            done = true;
            completeCalled = true;
            async.complete();
          }
          return null;
        }
      }
      return null;
    } catch (IOException | RuntimeException e) {
      // RuntimeException too: a container may throw IllegalStateException once the response is gone.
      dropLocked();
      return e;
    }
  }

  private void dropLocked() {
    done = true;
    queue.clear();
    queuedBytes = 0;
    inContainer = 0;
    waiter = null;
  }

  @Override
  public void notifyWritable(Writable callback) {
    Objects.requireNonNull(callback, "callback");
    boolean now;
    synchronized (lock) {
      if (done) {
        return; // the viewer has been or will be told that the peer is gone
      }
      now = queuedBytes + inContainer < queueLimit;
      if (!now) {
        waiter = callback;
      }
    }
    if (now) {
      callback.onWritable();
    }
  }

  /** The container: the stream can take a write (again). */
  @Override
  public void onWritePossible() {
    Throwable failure;
    Writable ready = null;
    synchronized (lock) {
      failure = pumpLocked();
      if (failure == null && waiter != null && !done && queuedBytes + inContainer < queueLimit) {
        ready = waiter;
        waiter = null;
      }
    }
    if (failure != null) {
      gone(failure);
    } else if (ready != null) {
      ready.onWritable();
    }
  }

  /** The container: a non-blocking write failed (the peer is gone, or the container's idle timeout). */
  @Override
  public void onError(Throwable t) {
    gone(t);
  }

  @Override
  public void finish() throws IOException {
    Throwable failure;
    synchronized (lock) {
      if (done) {
        throw new IOException("the SSE response has ended");
      }
      finishing = true;
      failure = pumpLocked();
    }
    if (failure != null) {
      completeOnce();
      throw failure instanceof IOException ? (IOException) failure : new IOException(failure);
    }
  }

  @Override
  public void closeConnection(boolean graceful) {
    if (graceful) {
      synchronized (lock) {
        if (done) {
          return;
        }
        finishing = true;
        if (pumpLocked() != null) {
          graceful = false;
        }
      }
      if (graceful) {
        try {
          timer.schedule(() -> closeConnection(false), gracefulCloseTimeoutMillis, TimeUnit.MILLISECONDS);
          return;
        } catch (RejectedExecutionException e) {
          // the endpoint is shutting down: complete now
        }
      }
    }
    synchronized (lock) {
      dropLocked();
    }
    completeOnce();
  }

  /** Completes the async context unless that was done already; never throws. */
  private void completeOnce() {
    synchronized (lock) {
      if (completeCalled) {
        return;
      }
      completeCalled = true;
      done = true;
    }
    try {
      async.complete();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "completing an SSE response failed: {0}", e.toString());
    }
  }

  /**
   * The peer is gone: stop writing, tell the viewer once, and complete. The viewer is told outside this
   * output's lock; should a container report the error from inside a call this output made under its lock,
   * the viewer is told from the timer thread instead, so the lock order (viewer, then output) always holds.
   */
  private void gone(Throwable cause) {
    boolean tell;
    synchronized (lock) {
      dropLocked();
      tell = !told;
      told = true;
    }
    if (tell) {
      if (Thread.holdsLock(lock)) {
        try {
          timer.execute(() -> peerGone.accept(cause));
        } catch (RejectedExecutionException e) {
          peerGone.accept(cause); // shutting down: the viewers are being ended anyway
        }
      } else {
        peerGone.accept(cause);
      }
    }
    completeOnce();
  }

  @Override
  public long queuedBytes() {
    synchronized (lock) {
      return queuedBytes + inContainer;
    }
  }

  /** The container finished the response; if this output did not ask for it, the peer is gone. */
  @Override
  public void onComplete(AsyncEvent event) {
    boolean ours;
    synchronized (lock) {
      ours = completeCalled;
      completeCalled = true;
      dropLocked();
    }
    if (!ours) {
      gone(event.getThrowable());
    }
  }

  /** Not expected (the async timeout is off); treated as the peer gone. */
  @Override
  public void onTimeout(AsyncEvent event) {
    gone(new TimeoutException("the SSE response's async timeout expired"));
  }

  /** The container reports an error on the response (a failed write, a closed connection). */
  @Override
  public void onError(AsyncEvent event) {
    gone(event.getThrowable());
  }

  /** Not used: async processing is started once. */
  @Override
  public void onStartAsync(AsyncEvent event) {
    // nothing to do
  }
}
