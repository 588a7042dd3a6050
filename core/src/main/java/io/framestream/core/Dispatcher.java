package io.framestream.core;

import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The threads that deliver frames: a small work-stealing pool (FIFO mode) that runs mailbox drains, and one
 * timer thread for stall sweeps, statistics and rate limits. One per registry, plus one JVM-wide instance
 * for stand-alone channels.
 *
 * <p>Drains are batched: {@link #execute} puts a drain on one ready queue (FIFO), and a few pool tasks, the
 * <em>drainers</em>, take drains from it one after another until it is empty. A frame published to N
 * subscribers therefore wakes one pool thread, not N: a drainer is submitted only when none is waiting to
 * start and fewer than the pool's threads run one. A running drainer wakes a helper (at most one waiting
 * to start at a time) only when at least {@link #HELP_AT} drains wait behind the one it takes: a wake-up
 * costs about as much CPU as a send, so a small fan-out is written by one thread and a large one by every
 * core. Fairness is as before: each drain sends what its subscriber may have in flight and returns (sinks
 * never block, K1), and the queue is FIFO, so no subscriber's drain waits behind another's backlog. A sink
 * that blocks anyway holds its drainer: the next drain that becomes ready starts another on a free thread,
 * and, should none become ready, the timer looks every {@link #WATCH_MILLIS} ms for drains left waiting and
 * starts a drainer for them. It looks only while a drainer runs or a drain waits: an idle pool (every sink
 * inline, say) costs the timer no wake-up of its own (the channels' stall sweeps still run on it).
 *
 * <p>Time is the dispatcher's {@link Ticker}: a delayed task runs once that much of the ticker's time has
 * passed, and the timer looks at the ticker as often as it asks ({@link Ticker#maxSleepNanos(long)}), so
 * that a test's manual clock drives stall sweeps, idle expiry, grace periods and frame rates.
 */
final class Dispatcher implements Executor, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());
  private static final AtomicInteger POOLS = new AtomicInteger();

  private static final class SharedHolder {
    static final Dispatcher SHARED =
        new Dispatcher("framestream-shared", Runtime.getRuntime().availableProcessors(), Ticker.system());
  }

  /** The low bit of {@link #drainers}: a drainer was submitted and has not started yet. */
  private static final int WAITING_TO_START = 1;
  /** What one drainer adds to {@link #drainers}. */
  private static final int ONE = 2;
  /** Drains waiting behind the one a drainer takes that make it wake a helper. */
  static final int HELP_AT = 16;
  /**
   * Whether sinks that ask for it ({@link FrameSink#inline()}) run on the publishing thread; {@code
   * -Dframestream.inlineDelivery=false} sends every drain to the pool (docs/operations.md).
   */
  static final boolean INLINE = !"false".equalsIgnoreCase(System.getProperty("framestream.inlineDelivery"));
  /**
   * From this many inline drains in one publish on, one pool task takes the second half at once (one wake-up,
   * no helper), so a wide fan-out is written on two cores and holds the publishing thread half as long (S2:
   * the same CPU as all on one thread or the half spread over the pool, lower p99 and half the context
   * switches of the latter; docs/performance.md). {@code -Dframestream.inlineSplitAt=N} moves it (at least 2;
   * docs/operations.md).
   */
  static final int SPLIT_AT = splitAt(System.getProperty("framestream.inlineSplitAt"));
  /** {@link #SPLIT_AT} from its system property: 64 when absent or not a number, at least 2. */
  static int splitAt(String property) {
    if (property == null) {
      return 64;
    }
    try {
      return Math.max(2, Integer.parseInt(property.trim()));
    } catch (NumberFormatException e) {
      LOG.log(System.Logger.Level.WARNING, "framestream.inlineSplitAt is not a number: " + property + "; using 64");
      return 64;
    }
  }

  /** The most inline drains one publish runs on its thread; the rest go to the pool. */
  static final int INLINE_MAX_DRAINS = 1024;
  /** How long one publish runs inline drains on its thread before it hands the rest to the pool. */
  static final long INLINE_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  /** How often the timer looks for drains left waiting behind a drainer that does not come back. */
  static final long WATCH_MILLIS = 100;

  private final ForkJoinPool pool;
  private final ScheduledThreadPoolExecutor timer;
  private final String name;
  private final Ticker ticker;
  private final int maxDrainers;
  /** Drains to run, in the order they became ready. */
  private final ConcurrentLinkedQueue<Runnable> ready = new ConcurrentLinkedQueue<>();
  /** About how many drains are in {@link #ready} (counted after adding, before taking). */
  private final AtomicInteger waiting = new AtomicInteger();
  /** Drainers submitted or running (times {@link #ONE}), plus {@link #WAITING_TO_START}. */
  private final AtomicInteger drainers = new AtomicInteger();
  private final Runnable drainer = this::drain;
  /** Drainers started since creation; for tests. */
  private final AtomicLong drainersStarted = new AtomicLong();
  /** Set by a forced shutdown: drainers stop taking drains. */
  private volatile boolean abandoned;
  /** How often the timer looks for drains left waiting, in milliseconds. */
  private final long watchMillis;
  /** The timer's look ({@link #watch()}) is scheduled; true while drainers run or drains wait. */
  private final AtomicBoolean watching = new AtomicBoolean();
  /** Per thread: the open holds and what they held back; see {@link #holdStarts()}. */
  private final ThreadLocal<Hold> held = ThreadLocal.withInitial(Hold::new);

  Dispatcher(String prefix, int threads, Ticker ticker) {
    this(prefix, threads, ticker, WATCH_MILLIS);
  }

  /** For tests: {@code watchMillis} is how often the timer looks for drains left waiting. */
  Dispatcher(String prefix, int threads, Ticker ticker, long watchMillis) {
    this.name = prefix + "-" + POOLS.incrementAndGet();
    this.ticker = ticker;
    this.maxDrainers = Math.max(1, threads);
    AtomicInteger n = new AtomicInteger();
    this.pool = new ForkJoinPool(
        Math.max(1, threads),
        p -> {
          ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
          t.setName(name + "-delivery-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        },
        (t, e) -> LOG.log(System.Logger.Level.ERROR, "uncaught in " + t.getName(), e),
        true);
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name + "-timer");
      t.setDaemon(true);
      return t;
    });
    this.timer.setRemoveOnCancelPolicy(true);
    this.timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.watchMillis = watchMillis;
  }

  /** The prefix of this dispatcher's thread names, {@code framestream-N}. */
  String name() {
    return name;
  }

  /** The time source of everything this dispatcher runs. */
  Ticker ticker() {
    return ticker;
  }

  static Dispatcher shared() {
    return SharedHolder.SHARED;
  }

  /**
   * Runs the task (a subscription's drain) on the delivery pool, after the drains already waiting; after
   * shutdown, on the calling thread so terminal signals still happen. Wakes a pool thread only when no
   * drainer is waiting to start and fewer than the pool's threads are running.
   */
  @Override
  public void execute(Runnable task) {
    if (pool.isShutdown()) {
      task.run();
      return;
    }
    ready.add(task);
    waiting.incrementAndGet();
    Hold h = held.get();
    if (h.depth > 0) {
      h.startHeld = true; // started by releaseStarts, once for all the drains of the burst
      return;
    }
    startDrainerIfNeeded();
  }

  /**
   * Runs the task (the drain of a subscription whose sink asked for it, {@link FrameSink#inline()}) on the
   * calling thread when it is inside {@link #holdStarts()}: the outermost {@link #releaseStarts()} runs it,
   * after the burst's lock is released and after the pool was woken for the other drains of the burst. Outside
   * a hold it goes to the pool like any drain. This is what saves a frame the hand-off from the publishing
   * thread to the pool (issue 14): a publisher's fan-out to sinks that only queue a write costs no wake-up.
   */
  void executeInline(Runnable task) {
    Hold h = held.get();
    if (!INLINE || h.depth == 0 || pool.isShutdown()) {
      execute(task);
      return;
    }
    h.inline.add(task);
  }

  /**
   * Holds back the drainer starts of this thread's {@link #execute} calls until the matching {@link
   * #releaseStarts()}: for a publisher that makes many drains ready in one burst (a frame for every
   * subscriber), so that it wakes a pool thread once, after the burst, instead of racing drainers that take
   * each drain as it comes and retire before the next. The drains are queued at once; only the wake-up
   * waits. Calls nest; always pair them ({@code try/finally}).
   */
  void holdStarts() {
    held.get().depth++;
  }

  /**
   * Ends a {@link #holdStarts()}; the outermost one starts a drainer if a drain was queued meanwhile, then
   * runs the burst's inline drains ({@link #executeInline}) on this thread, in the order they came.
   */
  void releaseStarts() {
    Hold h = held.get();
    if (--h.depth != 0) {
      return;
    }
    try {
      if (h.startHeld) {
        h.startHeld = false;
        startDrainerIfNeeded();
      }
    } finally {
      // Not when a publish from inside an inline drain ends: the loop further up this stack runs its drains.
      if (!h.inline.isEmpty() && !h.runningInline) {
        runInline(h);
      }
    }
  }

  /**
   * Runs a burst's inline drains on this thread, within {@link #INLINE_MAX_DRAINS} and {@link
   * #INLINE_MAX_NANOS}; what is left when either runs out, or when a drain throws anything at all, goes to
   * the pool, so no drain is ever lost and no publish holds its thread (a selector, say) for long. From
   * {@link #SPLIT_AT} drains on, the second half (at most {@link #INLINE_MAX_DRAINS}) goes to the pool as one
   * task before the first runs here.
   */
  private void runInline(Hold h) {
    h.runningInline = true;
    int i = 0;
    int mine = h.inline.size();
    try {
      if (mine >= SPLIT_AT && !pool.isShutdown()) {
        // A wide fan-out: one pool task writes the second half meanwhile, on the other core (one wake-up).
        int from = (mine + 1) / 2;
        Runnable[] half = new Runnable[Math.min(mine - from, INLINE_MAX_DRAINS)];
        for (int j = 0; j < half.length; j++) {
          half[j] = h.inline.get(from + j);
        }
        ready.add(new Batch(half));
        waiting.incrementAndGet();
        // Queued: from here on the batch owns them (had anything failed before, the finally below hands them on).
        for (int j = 0; j < half.length; j++) {
          h.inline.set(from + j, null);
        }
        mine = from;
        startDrainerIfNeeded();
      }
      long start = System.nanoTime();
      // By index: a drain may publish again (a sink feeding another channel), which appends here.
      for (; i < h.inline.size(); i++) {
        if (i >= mine && h.inline.get(i) == null) {
          continue; // given to the pool above
        }
        if (i >= INLINE_MAX_DRAINS || System.nanoTime() - start > INLINE_MAX_NANOS) {
          break; // the rest to the pool (a cycle of relaying sinks ends up there too)
        }
        Runnable task = h.inline.get(i);
        h.inline.set(i, null);
        try {
          task.run();
        } catch (Throwable e) { // even an undeclared checked exception: the other drains must still run
          LOG.log(System.Logger.Level.ERROR, "uncaught in an inline drain on " + Thread.currentThread().getName(), e);
        }
      }
    } finally {
      h.runningInline = false;
      for (; i < h.inline.size(); i++) {
        Runnable task = h.inline.get(i);
        if (task != null) {
          execute(task);
        }
      }
      if (h.inline.size() > Hold.KEPT_CAPACITY) {
        h.inline = new ArrayList<>(); // one huge burst does not pin its array on this thread for good
      } else {
        h.inline.clear();
      }
    }
  }

  /**
   * Schedules the timer's look for drains left waiting, unless it is scheduled: called for every drainer
   * started, so that the timer looks while any runs.
   */
  private void watchWhileBusy() {
    if (watching.get() || !watching.compareAndSet(false, true)) {
      return;
    }
    try {
      timer.schedule(this::watch, watchMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      watching.set(false); // shut down: drains run on their callers from now on
    } catch (Throwable e) {
      watching.set(false); // not scheduled: the next drainer started tries again
      throw e;
    }
  }

  /**
   * On the timer: starts a drainer for drains that wait while every running drainer is held by a sink, and
   * looks again later while drainers run or drains wait; otherwise stops looking until the next drainer starts.
   */
  private void watch() {
    if (!ready.isEmpty()) {
      startDrainerIfNeeded();
    }
    watching.set(false);
    // Whoever sees the other's change: a drainer started after this read re-arms the look itself.
    if (drainers.get() != 0 || !ready.isEmpty()) {
      watchWhileBusy();
    }
  }

  /**
   * Submits a drainer unless one is already waiting to start or every thread has one. Whoever sees the
   * other's change: a drain added after a drainer's last look at the queue is either seen by that drainer
   * when it retires (it looks again) or finds the drainer gone here and starts a new one.
   */
  private void startDrainerIfNeeded() {
    while (true) {
      int s = drainers.get();
      if ((s & WAITING_TO_START) != 0 || s >>> 1 >= maxDrainers) {
        return;
      }
      if (drainers.compareAndSet(s, s + ONE + WAITING_TO_START)) {
        break;
      }
    }
    try {
      pool.execute(drainer);
    } catch (RejectedExecutionException e) {
      drain(); // shut down meanwhile: on this thread
    } finally {
      watchWhileBusy();
    }
  }

  /** One drainer: runs ready drains until the queue is empty, asking for a helper while many are left. */
  private void drain() {
    drainers.addAndGet(-WAITING_TO_START);
    drainersStarted.incrementAndGet();
    while (true) {
      Runnable task = abandoned ? null : ready.poll();
      if (task == null) {
        if (retire()) {
          return;
        }
        continue;
      }
      if (waiting.decrementAndGet() >= HELP_AT) {
        startDrainerIfNeeded(); // enough left for another thread to take some meanwhile
      }
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        LOG.log(System.Logger.Level.ERROR, "uncaught in " + Thread.currentThread().getName(), e);
      }
    }
  }

  /**
   * Ends a drainer that found the queue empty, unless a drain arrived meanwhile and no other drainer can take
   * it (then this one goes on).
   *
   * @return true when the drainer is done
   */
  private boolean retire() {
    drainers.addAndGet(-ONE);
    while (!abandoned && !ready.isEmpty()) {
      int s = drainers.get();
      if (s >>> 1 >= maxDrainers) {
        return true; // the others look again when they retire
      }
      if (drainers.compareAndSet(s, s + ONE)) {
        return false;
      }
    }
    return true;
  }

  /** Whether the timer's look for drains left waiting is scheduled; for tests. */
  boolean watchingForTest() {
    return watching.get();
  }

  /** Drainers started so far (each a wake-up of a pool thread, or a run on a caller after shutdown). */
  long drainersStartedForTest() {
    return drainersStarted.get();
  }

  /**
   * Runs a task periodically, for sweeps that compare the ticker's time with their deadlines: every {@code
   * periodNanos} of real time, or as often as the ticker asks to be looked at.
   */
  ScheduledFuture<?> scheduleAtFixedRate(Runnable task, long periodNanos) {
    long period = Math.max(1, Math.min(periodNanos, ticker.maxSleepNanos(periodNanos)));
    return timer.scheduleAtFixedRate(guard(task), period, period, TimeUnit.NANOSECONDS);
  }

  /** Runs the task on the timer thread once {@code delayNanos} of the ticker's time have passed. */
  void schedule(Runnable task, long delayNanos) {
    runAt(task, ticker.nanoTime() + Math.max(0, delayNanos));
  }

  /** Sleeps on the timer as long as the ticker allows, then runs the task or, if it is too early, sleeps again. */
  private void runAt(Runnable task, long deadline) {
    long remaining = deadline - ticker.nanoTime();
    long sleep = remaining <= 0 ? 0 : Math.max(1, Math.min(remaining, ticker.maxSleepNanos(remaining)));
    try {
      timer.schedule(guard(() -> {
        if (deadline - ticker.nanoTime() > 0) {
          runAt(task, deadline);
        } else {
          task.run();
        }
      }), sleep, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      execute(task);
    }
  }

  /** Tells whether the calling thread is one of this dispatcher's (then it must not wait for them). */
  boolean ownsCurrentThread() {
    Thread t = Thread.currentThread();
    if (t instanceof ForkJoinWorkerThread) {
      return ((ForkJoinWorkerThread) t).getPool() == pool;
    }
    return t.getName().equals(name + "-timer");
  }

  /**
   * Drains of inline sinks handed to the pool as one task ({@link #runInline}): one drainer runs them in order,
   * so the half of a wide fan-out costs one wake-up and no helper. Each drain fails alone. Bounded like the
   * publishing thread's share: after {@link #INLINE_MAX_NANOS} (slow sinks, or sinks that relay to other
   * channels) the rest go back to the ready queue one by one, where every drainer and the timer's look see them;
   * after a forced shutdown none runs. Inline sinks never block (K1); one that did would hold the drains after
   * it here, as it would hold the publishing thread.
   */
  private final class Batch implements Runnable {
    private final Runnable[] drains;

    Batch(Runnable[] drains) {
      this.drains = drains;
    }

    @Override
    public void run() {
      long start = System.nanoTime();
      int i = 0;
      try {
        for (; i < drains.length && !abandoned; i++) {
          if (i > 0 && System.nanoTime() - start > INLINE_MAX_NANOS) {
            break;
          }
          Runnable drain = drains[i];
          drains[i] = null;
          try {
            drain.run();
          } catch (Throwable e) { // as on the publishing thread: the drains after it must still run
            LOG.log(System.Logger.Level.ERROR, "uncaught in a drain on " + Thread.currentThread().getName(), e);
          }
        }
      } finally {
        for (; i < drains.length && !abandoned; i++) {
          if (drains[i] != null) {
            execute(drains[i]);
          }
        }
      }
    }
  }

  /** One thread's open holds ({@link #holdStarts()}) and what they hold back. Used by its own thread only. */
  private static final class Hold {
    int depth;
    /** A drain went to the pool during the hold: start a drainer when it ends. */
    boolean startHeld;
    /** The releasing thread is running {@link #inline} (further up its stack). */
    boolean runningInline;
    /** The list size above which a finished burst's list is dropped rather than cleared. */
    static final int KEPT_CAPACITY = 1024;
    /** Drains to run on this thread when the outermost hold ends. */
    ArrayList<Runnable> inline = new ArrayList<>();
  }

  private static Runnable guard(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        LOG.log(System.Logger.Level.ERROR, "timer task failed", e);
      }
    };
  }

  /** Stops accepting work, lets queued deliveries finish, and waits for the threads within the bound. */
  boolean shutdown(long timeoutNanos) {
    if (ownsCurrentThread()) {
      timer.shutdown();
      pool.shutdown();
      return false;
    }
    long deadline = ticker.nanoTime() + timeoutNanos;
    timer.shutdown();
    pool.shutdown();
    try {
      boolean ok = Waits.awaitTermination(ticker, pool, deadline - ticker.nanoTime());
      ok &= Waits.awaitTermination(ticker, timer, deadline - ticker.nanoTime());
      if (!ok) {
        abandoned = true;
        pool.shutdownNow();
        timer.shutdownNow();
      }
      return ok;
    } catch (InterruptedException e) {
      abandoned = true;
      pool.shutdownNow();
      timer.shutdownNow();
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    shutdown(TimeUnit.SECONDS.toNanos(5));
  }

  @Override
  public String toString() {
    return "Dispatcher[" + name + "]";
  }
}
