package io.framestream.core;

import java.io.EOFException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a {@link FrameSource} on its own thread and publishes what it produces into a {@link FrameSink}
 * (usually a {@link Channel}): paced to a target frame rate, restarted after a failure with the delays of its
 * {@link RetryPolicy} (by default exponential backoff with jitter, {@link Backoff}), stopped cleanly by {@link
 * #close()}.
 *
 * <p>Pacing: with {@link Builder#fps(double)} above zero, {@code nextFrame()} is called at most that often,
 * on a fixed schedule; a tick missed because the source was slow is skipped, never made up in a burst. With
 * {@code fps(0)} (the default) the source runs as fast as {@code nextFrame()} returns, which suits sources
 * that block until a frame arrives (a pipe, a socket).
 *
 * <p>Back-pressure: the runner keeps at most one frame in flight to the sink. A frame produced while the
 * previous one is still in flight is dropped and counted in {@link Stats#framesSkipped()}, so a slow sink
 * costs frames, never latency or memory. A {@link Channel} completes at once, so nothing is skipped there.
 *
 * <p>End of stream ({@link EOFException} from {@code nextFrame()}): the runner stops in state {@link
 * State#ENDED}, or, with {@link Builder#restartOnEnd(boolean) restartOnEnd(true)}, reopens the source after
 * the backoff, like after a failure. When the sink reports a {@link ChannelClosedException} the runner
 * stops.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #start()}, {@link #close()}, {@link #state()} and {@link #stats()} may be called from
 * any thread. The source's methods run on the runner's thread {@code framestream-source-<name>} (a daemon
 * thread), except that {@code close()} of the source may run on the stopping thread (rule 4 of {@link
 * FrameSource}); for a source attached to a {@link ChannelRegistry}, that is one of the registry's
 * {@code framestream-N-source-stop-K} threads, never its timer thread. A source restarted by a registry is
 * opened only after the last runner that opened it has finished, including every {@code close()} of that
 * run; a runner stopped before it opened the source has nothing to close and ends at once, so however often
 * a source is restarted while a {@code close()} hangs, at most one runner waits for it.
 *
 * @since 0.1.0
 */
public final class SourceRunner implements AutoCloseable {

  /** Default first restart delay: 100 ms. */
  public static final Duration DEFAULT_MIN_BACKOFF = Duration.ofMillis(100);
  /** Default longest restart delay: 10 s. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);
  /** Default bound on how long {@link #close()} waits for the runner thread: 5 s. */
  public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(5);

  private static final System.Logger LOG = System.getLogger(SourceRunner.class.getName());
  private static final AtomicLong IDS = new AtomicLong();

  /**
   * The life cycle of a runner.
   *
   * <h2>Thread safety</h2>
   *
   * An enum: immutable.
   *
   * @since 0.1.0
   */
  public enum State {
    /** Built, not started. */
    NEW,
    /** Producing frames (or opening the source). */
    RUNNING,
    /** Waiting before a restart after a failure or an end of stream. */
    BACKING_OFF,
    /** The source ended and is not restarted. */
    ENDED,
    /** Stopped by {@link SourceRunner#close()} or because the sink was closed. */
    STOPPED
  }

  /**
   * Counters of a runner.
   *
   * <h2>Thread safety</h2>
   *
   * An immutable record.
   *
   * @param framesProduced frames returned by {@code nextFrame()}
   * @param framesPublished frames the sink completed
   * @param framesSkipped frames dropped because the previous one was still in flight, or because the
   *     runner was stopping
   * @param failures failures of {@code open()} or {@code nextFrame()}
   * @param sinkFailures sends the sink failed or threw on
   * @param restarts times the source was reopened
   * @param lastFailure the message of the newest failure, or empty
   * @since 0.1.0
   */
  public record Stats(
      long framesProduced,
      long framesPublished,
      long framesSkipped,
      long failures,
      long sinkFailures,
      long restarts,
      String lastFailure) {}

  private final FrameSource source;
  private final FrameSink sink;
  private final String name;
  private final long periodNanos;
  private final RetryPolicy retryPolicy;
  private final Duration stopTimeout;
  private final boolean restartOnEnd;
  private final Ticker ticker;
  private final Thread thread;

  private final CountDownLatch stopSignal = new CountDownLatch(1);
  /** Counted down when the runner thread is done with the source: every close() of it has returned. */
  private final CountDownLatch finished = new CountDownLatch(1);
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile State state = State.NEW;
  /** Guards {@link #stopping} and {@link #opened} together, so that a stop and the first open cannot race. */
  private final Object openLock = new Object();
  /** Set once, under {@link #openLock}; read without it on hot paths. */
  private volatile boolean stopping;
  /** Whether this runner went on to open the source; decided once, under {@link #openLock}. */
  private boolean opened;
  /** The newest open of the source; whoever flips it first closes the source (rule 4). */
  private volatile OpenToken openToken;
  private volatile boolean inNextFrame;
  /**
   * A runner of the same source whose thread must end before this one opens it (rule S5); or null. Kept when
   * this runner is stopped before it opened the source: then the next run must wait for that one instead.
   */
  private volatile SourceRunner previous;

  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong framesProduced = new AtomicLong();
  private final AtomicLong framesPublished = new AtomicLong();
  private final AtomicLong framesSkipped = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong sinkFailures = new AtomicLong();
  private final AtomicLong restarts = new AtomicLong();
  private volatile String lastFailure = "";

  private SourceRunner(Builder b) {
    this.source = b.source;
    this.sink = b.sink;
    this.name = b.name != null ? b.name : "source-" + IDS.incrementAndGet();
    this.periodNanos = b.fps > 0 ? Math.round(1e9 / b.fps) : 0;
    this.retryPolicy = b.retryPolicy;
    this.stopTimeout = b.stopTimeout;
    this.restartOnEnd = b.restartOnEnd;
    this.ticker = b.ticker;
    this.thread = new Thread(this::run, "framestream-source-" + name);
    this.thread.setDaemon(true);
  }

  /**
   * Starts a builder.
   *
   * @param source what produces frames
   * @param sink where frames go, usually a {@link Channel}
   * @return a new builder
   * @throws NullPointerException if an argument is {@code null}
   */
  public static Builder builder(FrameSource source, FrameSink sink) {
    return new Builder(Objects.requireNonNull(source, "source"), Objects.requireNonNull(sink, "sink"));
  }

  /**
   * Starts the runner thread.
   *
   * @return this runner
   * @throws IllegalStateException if already started or closed
   */
  public SourceRunner start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("runner " + name + " was already started or closed");
    }
    state = State.RUNNING;
    thread.start();
    return this;
  }

  /**
   * Starts the runner thread, which opens the source only after {@code before}'s thread has ended, that is
   * after every {@code close()} of the source by {@code before} has returned (rule S5). Waits on this
   * runner's own thread, never on the caller's.
   *
   * @param before the runner that ran the same source before, or {@code null}
   * @return this runner
   */
  SourceRunner start(SourceRunner before) {
    this.previous = before;
    return start();
  }

  /**
   * Returns the runner's name, used in its thread name and log lines.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the current state.
   *
   * @return the state
   */
  public State state() {
    return state;
  }

  /**
   * Returns a snapshot of the counters.
   *
   * @return the counters
   */
  public Stats stats() {
    return new Stats(framesProduced.get(), framesPublished.get(), framesSkipped.get(), failures.get(),
        sinkFailures.get(), restarts.get(), lastFailure);
  }

  /**
   * Waits until the runner thread has finished (after {@link #close()}, an end of stream, or a closed
   * sink).
   *
   * @param timeout the longest time to wait
   * @return {@code true} if the thread has finished (or was never started)
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return Waits.join(ticker, thread, timeout.toNanos());
  }

  /**
   * Stops the runner: no further frames, the source closed, the thread finished. Waits at most the stop
   * timeout for the thread; idempotent; safe from any thread, including the sink's callbacks (then it does
   * not wait for itself).
   */
  @Override
  public void close() {
    requestStop();
    if (Thread.currentThread() != thread && thread.isAlive()) {
      try {
        Waits.join(ticker, thread, stopTimeout.toNanos());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (thread.isAlive()) {
        LOG.log(System.Logger.Level.WARNING, "source {0} did not stop within {1}", name, stopTimeout);
      }
    }
    if (!thread.isAlive() || state == State.NEW) {
      state = state == State.ENDED ? State.ENDED : State.STOPPED;
    }
  }

  /** Signals the runner to stop without waiting for its thread. Idempotent. */
  void requestStop() {
    requestStop(Runnable::run);
  }

  /**
   * Signals the runner to stop without waiting for its thread. Idempotent. The source's {@code close()} that
   * unblocks a {@code nextFrame()} in progress (rule 4) runs on {@code closer}; nothing else of the source
   * runs on the calling thread, so that a registry can stop a source from its timer thread and under its
   * locks (rule R7).
   *
   * @param closer where the source's {@code close()} runs if the runner thread is blocked in it
   */
  void requestStop(Executor closer) {
    if (!started.getAndSet(true)) { // a never-started runner cannot be started any more
      finished.countDown(); // and has nothing to finish: whoever waits for it need not
    }
    boolean first;
    synchronized (openLock) {
      first = !stopping;
      stopping = true;
    }
    if (first) {
      stopSignal.countDown();
      if (inNextFrame) {
        closer.execute(this::closeSourceOnce); // unblock a source blocked in I/O (rule 4)
      }
      thread.interrupt();
    }
    if (!thread.isAlive() && state == State.NEW) {
      state = State.STOPPED;
    }
  }

  /**
   * Returns the runner the next run of the same source must wait for before it opens it (rule S5): this one
   * if it opened the source, otherwise the one this runner was waiting for (or {@code null}). Call it after
   * {@link #requestStop}: from then on the answer cannot change.
   *
   * @return the last runner that opened the source and may still be closing it, or {@code null}
   */
  SourceRunner lastOpener() {
    synchronized (openLock) {
      return opened ? this : previous;
    }
  }

  private void run() {
    if (!awaitPrevious()) {
      state = State.STOPPED; // stopped before it opened the source: nothing to close, nobody to wait for
      finished.countDown();
      return;
    }
    RetryPolicy.Attempts attempts = retryPolicy.attempts();
    try {
      while (!stopping) {
        state = State.RUNNING;
        boolean ended = false;
        boolean produced = false;
        try {
          source.open();
          openToken = new OpenToken();
          if (stopping) {
            break;
          }
          long nextTick = ticker.nanoTime();
          while (!stopping) {
            if (periodNanos > 0) {
              if (Waits.awaitUntil(ticker, stopSignal, nextTick)) {
                break;
              }
              long now = ticker.nanoTime();
              nextTick += periodNanos;
              if (now - nextTick >= 0) {
                nextTick = now + periodNanos; // fell behind: skip missed ticks, no burst
              }
            }
            Frame frame = nextFrame();
            produced = true;
            attempts.reset();
            deliver(frame);
          }
        } catch (EOFException e) {
          ended = true;
        } catch (InterruptedException e) {
          if (!stopping) {
            recordFailure(e);
          }
        } catch (VirtualMachineError e) {
          throw e; // out of memory and the like: nothing sensible to retry
        } catch (Exception | Error e) {
          if (!stopping) {
            recordFailure(e);
          }
        } finally {
          closeSourceOnce();
        }
        if (stopping) {
          break;
        }
        if (ended && !restartOnEnd) {
          state = State.ENDED;
          LOG.log(System.Logger.Level.DEBUG, "source {0} ended", name);
          return;
        }
        if (produced) {
          attempts.reset();
        }
        long restartAt = ticker.nanoTime() + attempts.nextDelayNanos(); // counted from the failure
        state = State.BACKING_OFF;
        if (Waits.awaitUntil(ticker, stopSignal, restartAt)) {
          break;
        }
        restarts.incrementAndGet();
      }
    } catch (InterruptedException e) {
      // stopping
    } finally {
      OpenToken last = openToken;
      if (last != null) {
        awaitEvenIfStopped(last.closeReturned, "close() from the stopping thread");
      }
      if (state != State.ENDED) {
        state = State.STOPPED;
      }
      finished.countDown();
    }
  }

  /**
   * Waits, on this runner's thread, until the previous runner of the source is done with it (rule S5), or
   * until this runner is stopped; then decides, under {@link #openLock}, whether this runner opens the
   * source. A runner stopped first never opens it and keeps {@link #previous}, which {@link #lastOpener()}
   * hands on to the next run: a stop cannot slip in between that decision and the open.
   *
   * @return whether to go on and open the source
   */
  private boolean awaitPrevious() {
    SourceRunner before = previous;
    long warnAt = ticker.nanoTime() + stopTimeout.toNanos();
    boolean warned = false;
    while (before != null && !stopping) {
      try {
        if (Waits.await(ticker, before.finished, stopTimeout.toNanos())) {
          SourceRunner opener = before.lastOpener(); // one stopped before opening: wait for its predecessor
          before = opener == before ? null : opener;
          continue;
        }
      } catch (InterruptedException e) {
        continue; // stopping, or a stray interrupt: the loop condition decides
      }
      if (!warned && ticker.nanoTime() - warnAt >= 0) {
        warned = true;
        LOG.log(System.Logger.Level.WARNING, "source {0} is waiting for the previous run to close it (over {1})",
            name, stopTimeout);
      }
    }
    synchronized (openLock) {
      if (stopping) {
        return false;
      }
      opened = true;
      previous = null; // finished: no need to keep it reachable
      return true;
    }
  }

  /**
   * Waits for {@code done} on the runner thread, through the interrupt that stopping sends (what it waits for
   * must happen first all the same); logs once when that takes longer than the stop timeout. Used only by a
   * runner that opened the source, for its own {@code close()}, so at most one runner of a source waits here.
   */
  private void awaitEvenIfStopped(CountDownLatch done, String what) {
    long warnAt = ticker.nanoTime() + stopTimeout.toNanos();
    boolean warned = false;
    while (true) {
      try {
        if (Waits.await(ticker, done, stopTimeout.toNanos())) {
          return;
        }
      } catch (InterruptedException e) {
        // stopping: keep waiting
      }
      if (!warned && ticker.nanoTime() - warnAt >= 0) {
        warned = true;
        LOG.log(System.Logger.Level.WARNING, "source {0} is waiting for {1} (over {2})", name, what, stopTimeout);
      }
    }
  }

  private Frame nextFrame() throws Exception {
    inNextFrame = true;
    try {
      if (stopping) {
        throw new InterruptedException("stopping");
      }
      Frame frame = source.nextFrame();
      if (frame == null) {
        throw new NullPointerException("nextFrame() returned null; throw EOFException to end the stream");
      }
      framesProduced.incrementAndGet();
      return frame;
    } finally {
      inNextFrame = false;
    }
  }

  private void deliver(Frame frame) {
    if (stopping) {
      framesSkipped.incrementAndGet(); // "no further frames" after close()
      return;
    }
    if (inFlight.get() > 0) {
      framesSkipped.incrementAndGet();
      return;
    }
    inFlight.incrementAndGet();
    Completion completion = new Completion();
    try {
      sink.send(frame, completion);
    } catch (RuntimeException e) {
      completion.failed(e);
    }
  }

  private void recordFailure(Throwable e) {
    failures.incrementAndGet();
    lastFailure = String.valueOf(e);
    LOG.log(System.Logger.Level.WARNING, "source " + name + " failed; restarting with backoff", e);
  }

  private void closeSourceOnce() {
    OpenToken token = openToken;
    if (token != null && token.compareAndSet(false, true)) {
      try {
        source.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "source " + name + " threw from close()", e);
      } finally {
        token.closeReturned.countDown();
      }
    }
  }

  /** One successful {@code open()}: flipped by whoever closes it, counted down when that close returned. */
  private static final class OpenToken extends AtomicBoolean {
    final CountDownLatch closeReturned = new CountDownLatch(1);
  }

  /** One send's outcome; the first call wins. */
  private final class Completion extends AtomicBoolean implements SendCallback {
    @Override
    public void completed() {
      if (compareAndSet(false, true)) {
        inFlight.decrementAndGet();
        framesPublished.incrementAndGet();
      }
    }

    @Override
    public void failed(Throwable cause) {
      if (compareAndSet(false, true)) {
        inFlight.decrementAndGet();
        sinkFailures.incrementAndGet();
        if (cause instanceof ChannelClosedException) {
          LOG.log(System.Logger.Level.DEBUG, "source {0}: sink closed, stopping", name);
          requestStop();
        } else {
          LOG.log(System.Logger.Level.WARNING, "source " + name + ": sink failed a frame", cause);
        }
      }
    }
  }

  /**
   * Builds a {@link SourceRunner}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private final FrameSource source;
    private final FrameSink sink;
    private String name;
    private double fps;
    private RetryPolicy retryPolicy = new Backoff(DEFAULT_MIN_BACKOFF, DEFAULT_MAX_BACKOFF);
    private Duration stopTimeout = DEFAULT_STOP_TIMEOUT;
    private boolean restartOnEnd;
    private Ticker ticker = Ticker.system();

    private Builder(FrameSource source, FrameSink sink) {
      this.source = source;
      this.sink = sink;
    }

    /**
     * Names the runner (used in the thread name and logs); default {@code source-<n>}.
     *
     * @param runnerName a short name
     * @return this builder
     * @throws NullPointerException if {@code runnerName} is {@code null}
     */
    public Builder name(String runnerName) {
      this.name = Objects.requireNonNull(runnerName, "name");
      return this;
    }

    /**
     * Sets the target frame rate; 0 (the default) runs the source as fast as it returns frames.
     *
     * @param framesPerSecond 0 to 1000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder fps(double framesPerSecond) {
      if (!(framesPerSecond >= 0 && framesPerSecond <= 1000)) {
        throw new IllegalArgumentException("fps must be 0..1000, got " + framesPerSecond);
      }
      this.fps = framesPerSecond;
      return this;
    }

    /**
     * Sets how long to wait before each restart (rule S3): the runner starts one {@link
     * RetryPolicy.Attempts} when it starts, asks it for a delay before every restart (without a hint) and
     * resets it once the source produced a frame. Default: {@link Backoff} from {@link #DEFAULT_MIN_BACKOFF}
     * to {@link #DEFAULT_MAX_BACKOFF}.
     *
     * @param policy the policy; its attempts are used on the runner's thread only
     * @return this builder
     * @throws NullPointerException if {@code policy} is {@code null}
     * @since 0.2.0
     */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Shorthand kept from 0.1.0 for {@link #retryPolicy(RetryPolicy) retryPolicy(RetryPolicy.exponential(min,
     * max))}: restarts wait from {@code min} after the first failure up to {@code max}, doubling in between,
     * each delay drawn at random from its upper half.
     *
     * @param min the first delay, positive
     * @param max the largest delay, at least {@code min}
     * @return this builder
     * @throws NullPointerException if an argument is {@code null}
     * @throws IllegalArgumentException unless {@code 0 < min <= max <=} {@link Backoff#LIMIT}
     */
    public Builder backoff(Duration min, Duration max) {
      return retryPolicy(RetryPolicy.exponential(min, max));
    }

    /**
     * Sets how long {@link SourceRunner#close()} waits for the runner thread.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder stopTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "stopTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("stopTimeout must be positive, got " + timeout);
      }
      this.stopTimeout = timeout;
      return this;
    }

    /**
     * Whether to reopen the source after it ends (default {@code false}: stop in {@link State#ENDED}).
     *
     * @param restart {@code true} to loop a file or restart a process that exited
     * @return this builder
     */
    public Builder restartOnEnd(boolean restart) {
      this.restartOnEnd = restart;
      return this;
    }

    /**
     * Sets the time source (default {@link Ticker#system()}): the frame-rate schedule, restart delays and
     * stop timeouts are measured with it. A runner attached through a {@link ChannelRegistry} uses the
     * registry's.
     *
     * @param time the ticker
     * @return this builder
     * @throws NullPointerException if {@code time} is {@code null}
     * @since 0.2.0
     */
    public Builder ticker(Ticker time) {
      this.ticker = Objects.requireNonNull(time, "ticker");
      return this;
    }

    /**
     * Builds the runner; call {@link SourceRunner#start()} to run it.
     *
     * @return the runner, in state {@link State#NEW}
     */
    public SourceRunner build() {
      return new SourceRunner(this);
    }
  }
}
