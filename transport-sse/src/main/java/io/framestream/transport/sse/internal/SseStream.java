package io.framestream.transport.sse.internal;

import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameKind;
import io.framestream.core.TransportException;
import io.framestream.core.client.ClientFrameBuffer;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One HTTP response body of an SSE stream, client side: a {@link HttpResponse.BodySubscriber} that parses
 * the bytes as they arrive (on the {@code HttpClient}'s threads), decodes frames and hands them to the
 * reading thread through a small bounded queue.
 *
 * <p>The queue is a {@link ClientFrameBuffer} of {@code capacity} frames with a channel mailbox's rules
 * (rule L2): when it is full, the newest frame still gets in (the oldest image, or the oldest key frame
 * with its deltas, makes room); a video stream whose delta did not fit resumes at the next key frame; the
 * newest {@link FrameKind#INIT} is never dropped. So a slow reader never makes the stream buffer without
 * bound and never stalls the connection. The body is requested one chunk at a time.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #poll(long)} is for one reading thread; {@link #cancel()} may be called from any
 * thread; the subscriber methods are called by the {@code HttpClient}.
 *
 * @since 0.1.0
 */
public final class SseStream implements HttpResponse.BodySubscriber<Void> {

  /**
   * What a stream tells its owner, on the {@code HttpClient}'s threads. Implementations must be quick and
   * must not throw.
   *
   * <h2>Thread safety</h2>
   *
   * Called from the {@code HttpClient}'s threads, one stream's calls one at a time.
   */
  public interface Observer {
    /**
     * The server sent a {@code retry} field.
     *
     * @param millis the reconnection delay it asks for
     */
    void retry(long millis);

    /**
     * Values of an {@code init} event were dropped as invalid (rule L1).
     *
     * @param values each as field name and escaped value
     */
    void rejected(List<String> values);

    /**
     * Frames were dropped because the reader was behind (rule L2).
     *
     * @param frames how many, at least 1
     */
    void dropped(int frames);
  }

  private final EventStreamParser parser;
  private final SseFrameDecoder decoder;
  private final Observer observer;
  private final CompletableFuture<Void> body = CompletableFuture.completedFuture(null);

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  // Guarded by lock.
  private final ClientFrameBuffer<String> frames; // tagged with the event id after each waiting frame
  private String polledId;
  private boolean ended;
  private Throwable failure;
  private Flow.Subscription subscription;
  private boolean cancelled;
  private long events;

  private volatile long lastActivityNanos = System.nanoTime();
  private volatile String lastEventId;

  /**
   * Creates the stream.
   *
   * @param lastEventId the last event id known before this connection ({@code ""} for none)
   * @param maxLineBytes the parser's line limit
   * @param maxEventChars the parser's event limit
   * @param capacity the most frames waiting for the reader, at least 1
   * @param observer told about {@code retry} fields, rejected description values and dropped frames
   */
  public SseStream(String lastEventId, int maxLineBytes, int maxEventChars, int capacity, Observer observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
    this.frames = new ClientFrameBuffer<>(capacity);
    this.decoder = new SseFrameDecoder(observer::rejected);
    this.parser = new EventStreamParser(new EventStreamParser.Handler() {
      @Override
      public void onEvent(String type, String data, String lastId) {
        SseStream.this.lastEventId = lastId;
        event(type, data, lastId);
      }

      @Override
      public void onRetry(long millis) {
        observer.retry(millis);
      }
    }, maxLineBytes, maxEventChars);
    parser.lastEventId(lastEventId);
    this.lastEventId = lastEventId;
  }

  private void event(String type, String data, String id) {
    lock.lock();
    try {
      events++;
    } finally {
      lock.unlock();
    }
    decoder.decode(type, data).ifPresent(f -> offer(f, id));
  }

  private void offer(Frame frame, String id) {
    lock.lock();
    try {
      if (ended) {
        return;
      }
      int drops = frames.offer(frame, id);
      if (drops > 0) {
        observer.dropped(drops);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public CompletionStage<Void> getBody() {
    return body;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    boolean cancelNow;
    lock.lock();
    try {
      subscription = s;
      cancelNow = cancelled;
    } finally {
      lock.unlock();
    }
    if (cancelNow) {
      s.cancel();
    } else {
      s.request(1);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    lastActivityNanos = System.nanoTime();
    Flow.Subscription s;
    lock.lock();
    try {
      s = subscription;
      if (ended) {
        return;
      }
    } finally {
      lock.unlock();
    }
    try {
      for (ByteBuffer b : item) {
        parser.feed(b);
      }
    } catch (FrameCodecException e) {
      end(e);
      s.cancel();
      return;
    } catch (RuntimeException e) {
      end(new FrameCodecException("cannot decode the SSE stream: " + e, e));
      s.cancel();
      return;
    }
    s.request(1);
  }

  @Override
  public void onError(Throwable throwable) {
    end(new TransportException("the SSE stream broke: " + throwable, throwable));
  }

  @Override
  public void onComplete() {
    end(null);
  }

  /** Ends the stream: frames already waiting are still returned, then the end is reported. */
  private void end(Throwable cause) {
    lock.lock();
    try {
      if (!ended) {
        ended = true;
        failure = cause;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops the stream from any thread: cancels the body subscription (closing the connection) and wakes
   * the reader.
   */
  public void cancel() {
    Flow.Subscription s;
    lock.lock();
    try {
      cancelled = true;
      s = subscription;
      if (!ended) {
        ended = true;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
    if (s != null) {
      s.cancel();
    }
  }

  /**
   * Waits for the next frame.
   *
   * @param timeoutNanos how long to wait at most
   * @return the next frame, or {@code null} if none came in time or the stream has ended (see {@link
   *     #isEnded()})
   * @throws InterruptedException if interrupted while waiting
   */
  public Frame poll(long timeoutNanos) throws InterruptedException {
    long nanos = timeoutNanos;
    lock.lock();
    try {
      while (frames.isEmpty() && !ended && nanos > 0) {
        nanos = changed.awaitNanos(nanos);
      }
      ClientFrameBuffer.Entry<String> e = frames.poll();
      if (e == null) {
        return null;
      }
      polledId = e.tag();
      return e.frame();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Tells whether the stream has ended and every frame has been taken.
   *
   * @return {@code true} at the end
   */
  public boolean isEnded() {
    lock.lock();
    try {
      return ended && frames.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns why the stream ended: {@code null} for a normal end of the body or a cancel, a {@link
   * FrameCodecException} for bad data, a {@link TransportException} for a broken connection.
   *
   * @return the cause, or {@code null}
   */
  public Throwable failure() {
    lock.lock();
    try {
      return failure;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns how many events were parsed.
   *
   * @return the count
   */
  public long events() {
    lock.lock();
    try {
      return events;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns how many frames were dropped because the reader was behind (rule L2).
   *
   * @return the count
   */
  public long dropped() {
    lock.lock();
    try {
      return frames.dropped();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns how long ago the last bytes arrived (heartbeats included).
   *
   * @param unit the unit
   * @return the idle time
   */
  public long idle(TimeUnit unit) {
    return unit.convert(System.nanoTime() - lastActivityNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Returns the event id that came with the frame last returned by {@link #poll(long)}.
   *
   * @return the id, {@code ""} for none, {@code null} before the first frame
   */
  public String polledId() {
    lock.lock();
    try {
      return polledId;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns the last event id seen on this stream (or the one it started with).
   *
   * @return the id, {@code ""} for none
   */
  public String lastEventId() {
    return lastEventId;
  }
}
