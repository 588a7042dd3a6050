package io.framestream.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Calls into user code on a thread of the verification's own, bounded in time, so that a call that blocks
 * fails the test instead of hanging it.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
final class Bounded {

  private Bounded() {}

  /** A single daemon thread: a call that never returns keeps it, and the next test gets a new one. */
  static ExecutorService thread(String name) {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Runs a call on {@code on} and waits for it at most {@code bound}; fails with {@code late} when it takes
   * longer, and with {@code threw} when it throws.
   */
  static <T> T call(ExecutorService on, Callable<T> call, Duration bound, String late,
      Function<Throwable, String> threw) {
    Future<T> f = on.submit(call);
    try {
      return f.get(bound.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return fail(late);
    } catch (ExecutionException e) {
      return fail(threw.apply(e.getCause()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted while waiting: " + late);
    }
  }
}
