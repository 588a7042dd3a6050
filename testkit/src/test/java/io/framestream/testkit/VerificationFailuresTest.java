package io.framestream.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.framestream.core.Frame;
import io.framestream.core.FrameSink;
import io.framestream.core.FrameSource;
import io.framestream.core.SendCallback;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The verifications catch what they promise: each deliberately broken sink or source below fails the test
 * named after the rule it breaks, and every test it fails says that rule. (The nested
 * classes are run here through JUnit's {@link EngineTestKit}, never on their own.)
 */
class VerificationFailuresTest {

  /** Bounds short enough that a broken implementation fails quickly. */
  abstract static class QuickSinkVerification extends FrameSinkVerification {
    final ExecutorService io = Executors.newSingleThreadExecutor();

    @Override
    protected Duration sendBound() {
      return Duration.ofMillis(300);
    }

    @Override
    protected Duration completionBound() {
      return Duration.ofSeconds(1);
    }

    @Override
    protected int frameCount() {
      return 3;
    }
  }

  /** K1 broken: send waits (up to a second) before it completes, as a sink writing with a blocking stream. */
  static class BlockingSink extends QuickSinkVerification {
    @Override
    protected FrameSink createSink() {
      CountDownLatch never = new CountDownLatch(1);
      return (frame, callback) -> {
        try {
          never.await(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        callback.completed();
      };
    }
  }

  /** K2 broken: every send is reported twice. */
  static class TwiceReportingSink extends QuickSinkVerification {
    @Override
    protected FrameSink createSink() {
      return (frame, callback) -> {
        callback.completed();
        callback.completed();
      };
    }
  }

  /** K3 broken: frames still in flight when closed arrives (each takes 100 ms) are forgotten, never reported. */
  static class ForgetfulSink extends QuickSinkVerification {
    final ScheduledExecutorService network = Executors.newSingleThreadScheduledExecutor();

    @Override
    protected FrameSink createSink() {
      return new FrameSink() {
        final ConcurrentLinkedQueue<SendCallback> pending = new ConcurrentLinkedQueue<>();
        volatile boolean closed;

        @Override
        public void send(Frame frame, SendCallback callback) {
          pending.add(callback);
          network.schedule(() -> {
            if (!closed) {
              for (SendCallback c; (c = pending.poll()) != null; ) {
                c.completed();
              }
            }
          }, 100, TimeUnit.MILLISECONDS);
        }

        @Override
        public void closed(io.framestream.core.CloseReason reason) {
          closed = true;
          pending.clear();
        }
      };
    }
  }

  /** K4 broken: closed waits for a flush that takes a second. */
  static class SlowClosingSink extends QuickSinkVerification {
    @Override
    protected FrameSink createSink() {
      return new FrameSink() {
        @Override
        public void send(Frame frame, SendCallback callback) {
          callback.completed();
        }

        @Override
        public void closed(io.framestream.core.CloseReason reason) {
          try {
            new CountDownLatch(1).await(1, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      };
    }
  }

  /** K5 broken: a sink whose peer is gone swallows its sends instead of failing them. */
  static class SwallowingSink extends QuickSinkVerification {
    @Override
    protected FrameSink createSink() {
      return FrameSink.of(frame -> { });
    }

    @Override
    protected FrameSink createFailingSink() {
      return (frame, callback) -> { };
    }
  }

  /** Bounds short enough that a broken implementation fails quickly. */
  abstract static class QuickSourceVerification extends FrameSourceVerification {
    @Override
    protected Duration frameBound() {
      return Duration.ofSeconds(2);
    }

    @Override
    protected Duration stopBound() {
      return Duration.ofMillis(500);
    }

    @Override
    protected FrameSource createSource() {
      return new GeneratorSourceVerificationTest.Generator(0, GeneratorSourceVerificationTest.Generator.After.NOTHING);
    }
  }

  /** S1 broken: the source cannot be opened a second time. */
  static class OneShotSource extends QuickSourceVerification {
    @Override
    protected FrameSource createSource() {
      AtomicInteger opens = new AtomicInteger();
      return new FrameSource() {
        @Override
        public void open() {
          if (opens.incrementAndGet() > 1) {
            throw new IllegalStateException("already used");
          }
        }

        @Override
        public Frame nextFrame() {
          return Frame.of("image/png", new byte[] {1});
        }
      };
    }
  }

  /** S2 broken: every third frame after an open is null instead of a frame. */
  static class NullReturningSource extends QuickSourceVerification {
    @Override
    protected FrameSource createSource() {
      AtomicInteger calls = new AtomicInteger();
      return new FrameSource() {
        @Override
        public void open() {
          calls.set(0);
        }

        @Override
        public Frame nextFrame() {
          return calls.incrementAndGet() % 3 == 0 ? null : Frame.of("image/png", new byte[] {1});
        }
      };
    }
  }

  /** S2 broken: the end of a finite stream is an IOException, not an EOFException. */
  static class WrongEndSource extends QuickSourceVerification {
    @Override
    protected FrameSource createEndingSource() {
      AtomicInteger calls = new AtomicInteger();
      return () -> {
        if (calls.incrementAndGet() > 3) {
          throw new IOException("no more frames");
        }
        return Frame.of("image/png", new byte[] {1});
      };
    }
  }

  /** S4 broken: close() does not wake a nextFrame() that waits (it waits on its own latch for 3 s). */
  static class StubbornSource extends QuickSourceVerification {
    @Override
    protected FrameSource createBlockingSource() {
      CountDownLatch never = new CountDownLatch(1);
      return () -> {
        never.await(3, TimeUnit.SECONDS);
        throw new IOException("gave up waiting");
      };
    }
  }

  /** S8 broken: a second close() throws. */
  static class CloseTwiceThrowsSource extends QuickSourceVerification {
    @Override
    protected FrameSource createSource() {
      AtomicInteger closes = new AtomicInteger();
      return new FrameSource() {
        @Override
        public void open() {
          closes.set(0);
        }

        @Override
        public Frame nextFrame() {
          return Frame.of("image/png", new byte[] {1});
        }

        @Override
        public void close() {
          if (closes.incrementAndGet() > 1) {
            throw new IllegalStateException("already closed");
          }
        }
      };
    }
  }

  @TestFactory
  Stream<DynamicTest> eachBrokenImplementationFailsByTheRuleItBreaks() {
    Map<Class<?>, List<String>> expected = Map.of(
        BlockingSink.class, List.of("k1_sendNeverBlocksItsCaller", "K1"),
        TwiceReportingSink.class, List.of("k2_everySendIsReportedExactlyOnce", "K2"),
        ForgetfulSink.class, List.of("k3_framesInFlightAtCloseAreStillReported", "K3"),
        SlowClosingSink.class, List.of("k4_closedIsTakenOnceForEveryReason", "K4"),
        SwallowingSink.class, List.of("k5_aFailingSinkEndsOnlyItsOwnSubscription", "K5"),
        OneShotSource.class, List.of("s1_opensAgainAfterClose", "S1"),
        NullReturningSource.class, List.of("s2_nextFrameReturnsAFrame", "S2"),
        WrongEndSource.class, List.of("s2_endOfStreamIsAnEofException", "S2"),
        StubbornSource.class, List.of("s4_closeUnblocksABlockedNextFrame", "S4"),
        CloseTwiceThrowsSource.class, List.of("s8_closeIsIdempotentAndSafeFromAnyThread", "S8"));
    return expected.entrySet().stream().sorted(Map.Entry.comparingByValue((a, b) -> a.get(0).compareTo(b.get(0))))
        .map(e -> DynamicTest.dynamicTest(e.getKey().getSimpleName() + " fails " + e.getValue().get(0),
            () -> assertFailsByRule(e.getKey(), e.getValue().get(0), e.getValue().get(1))));
  }

  /**
   * Runs a verification class and checks that the expected test failed, and that this failure and any other
   * (a sink that blocks fails every test that sends) name the broken rule.
   */
  private static void assertFailsByRule(Class<?> verification, String test, String rule) {
    List<Event> failed = EngineTestKit.engine("junit-jupiter").selectors(selectClass(verification)).execute()
        .testEvents().failed().list();
    Map<String, Throwable> failures = new TreeMap<>();
    for (Event e : failed) {
      String method = e.getTestDescriptor().getSource().filter(MethodSource.class::isInstance)
          .map(s -> ((MethodSource) s).getMethodName()).orElse(e.getTestDescriptor().getDisplayName());
      failures.put(method, e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable)
          .orElse(null));
    }
    assertTrue(failures.containsKey(test), () -> verification.getSimpleName() + " should fail " + test
        + "; failures: " + failures);
    failures.forEach((method, why) -> assertTrue(why != null && String.valueOf(why.getMessage()).startsWith(rule + ":"),
        () -> verification.getSimpleName() + "." + method + " should fail by " + rule + ", not: " + why));
  }
}
