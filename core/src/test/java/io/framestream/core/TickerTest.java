package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import io.framestream.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The time source: the system ticker, the testkit's manual clock, and the waits and timers driven by it. */
class TickerTest {

  @Test
  void theSystemTickerReadsTheJvmsClocks() {
    Ticker system = Ticker.system();
    assertSame(system, Ticker.system());
    long before = System.nanoTime();
    long t = system.nanoTime();
    assertTrue(t - before >= 0 && System.nanoTime() - t >= 0);
    assertTrue(Math.abs(system.currentTimeMillis() - System.currentTimeMillis()) < 60_000);
    assertEquals(123_456_789L, system.maxSleepNanos(123_456_789L), "real time: sleep the whole wait");
  }

  @Test
  void theManualClockMovesOnlyWhenAdvanced() {
    ManualClock clock = new ManualClock(Instant.parse("2030-05-01T12:00:00Z"));
    long t0 = clock.nanoTime();
    assertTrue(t0 > 0, "never 0");
    assertEquals(t0, clock.nanoTime());
    clock.advance(Duration.ofMillis(1_500)).advanceMillis(500);
    assertEquals(TimeUnit.SECONDS.toNanos(2), clock.nanoTime() - t0);
    assertEquals(Instant.parse("2030-05-01T12:00:02Z").toEpochMilli(), clock.currentTimeMillis());
    assertEquals(Duration.ofSeconds(2), clock.elapsed());
    assertThrows(IllegalArgumentException.class, () -> clock.advance(Duration.ofNanos(-1)));
    assertEquals(TimeUnit.MILLISECONDS.toNanos(1), clock.maxSleepNanos(TimeUnit.SECONDS.toNanos(10)));
    assertEquals(5, clock.maxSleepNanos(5));
    assertEquals(ManualClock.DEFAULT_START.toEpochMilli(), new ManualClock().currentTimeMillis());
  }

  @Test
  void aWaitOnTheManualClockEndsWhenTheClockPassesItsDeadline() throws Exception {
    ManualClock clock = new ManualClock();
    CountDownLatch never = new CountDownLatch(1);
    long deadline = clock.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    AtomicLong endedAt = new AtomicLong(-1);
    Thread waiter = new Thread(() -> {
      try {
        assertFalse(Waits.awaitUntil(clock, never, deadline));
        endedAt.set(clock.nanoTime());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    waiter.start();
    clock.advance(Duration.ofSeconds(30).minusNanos(1));
    clock.advance(Duration.ofNanos(1));
    Await.until("the wait ends", () -> endedAt.get() >= 0);
    assertEquals(deadline, endedAt.get(), "not before the deadline");

    CountDownLatch opened = new CountDownLatch(1);
    opened.countDown();
    assertTrue(Waits.await(clock, opened, TimeUnit.DAYS.toNanos(1)), "an open latch needs no time");
  }

  @Test
  void aDispatcherTaskRunsOnceItsDelayHasPassedOnTheTicker() {
    ManualClock clock = new ManualClock();
    try (Dispatcher dispatcher = new Dispatcher("ticker-test", 1, clock)) {
      assertSame(clock, dispatcher.ticker());
      AtomicLong ranAt = new AtomicLong(-1);
      long start = clock.nanoTime();
      dispatcher.schedule(() -> ranAt.set(clock.nanoTime()), TimeUnit.SECONDS.toNanos(60));
      clock.advance(Duration.ofSeconds(60).minusNanos(1));
      clock.advance(Duration.ofNanos(1));
      Await.until("the task ran", () -> ranAt.get() >= 0);
      assertEquals(TimeUnit.SECONDS.toNanos(60), ranAt.get() - start, "a minute of the clock, not of real time");
    }
  }
}
