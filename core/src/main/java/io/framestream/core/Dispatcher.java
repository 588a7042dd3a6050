package io.framestream.core;

import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that deliver frames: a small work-stealing pool (FIFO mode) that runs mailbox drains, and one
 * timer thread for stall sweeps, statistics and rate limits. One per registry, plus one JVM-wide instance
 * for stand-alone channels.
 */
final class Dispatcher implements Executor, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());
  private static final AtomicInteger POOLS = new AtomicInteger();

  private static final class SharedHolder {
    static final Dispatcher SHARED =
        new Dispatcher("framestream-shared", Runtime.getRuntime().availableProcessors());
  }

  private final ForkJoinPool pool;
  private final ScheduledThreadPoolExecutor timer;
  private final String name;

  Dispatcher(String prefix, int threads) {
    this.name = prefix + "-" + POOLS.incrementAndGet();
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

  ScheduledFuture<?> scheduleAtFixedRate(Runnable task, long periodNanos) {
    return timer.scheduleAtFixedRate(guard(task), periodNanos, periodNanos, TimeUnit.NANOSECONDS);
  }

  void schedule(Runnable task, long delayNanos) {
    try {
      timer.schedule(guard(task), delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      execute(task);
    }
  }

  ScheduledExecutorService timer() {
    return timer;
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
    long deadline = System.nanoTime() + timeoutNanos;
    timer.shutdown();
    pool.shutdown();
    try {
      boolean ok = pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      ok &= timer.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
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
