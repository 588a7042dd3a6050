package io.framestream.core;

import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that deliver frames: a small work-stealing pool (FIFO mode) that runs mailbox drains, and one
 * timer thread for stall sweeps, statistics and rate limits. One per registry, plus one JVM-wide instance
 * for stand-alone channels.
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

  private final ForkJoinPool pool;
  private final ScheduledThreadPoolExecutor timer;
  private final String name;
  private final Ticker ticker;

  Dispatcher(String prefix, int threads, Ticker ticker) {
    this.name = prefix + "-" + POOLS.incrementAndGet();
    this.ticker = ticker;
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

  /** Runs the task on the delivery pool; after shutdown, on the calling thread so terminal signals still happen. */
  @Override
  public void execute(Runnable task) {
    try {
      pool.execute(task);
    } catch (RejectedExecutionException e) {
      task.run();
    }
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
        pool.shutdownNow();
        timer.shutdownNow();
      }
      return ok;
    } catch (InterruptedException e) {
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
