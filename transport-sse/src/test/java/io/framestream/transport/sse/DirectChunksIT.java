package io.framestream.transport.sse;

import static io.framestream.testkit.Await.until;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.DirectMessage;
import io.framestream.core.Frame;
import io.framestream.transport.sse.internal.GrizzlyEventOutput;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SSE events written straight to Grizzly's queue come from a frame's chunk in pooled native memory
 * ({@link DirectMessage}), reused by later frames once the frame is retired and its writes are done. Under
 * reuse every reader, fast or late, reads each event byte for byte, and on close every chunk goes back.
 */
class DirectChunksIT {

  private static final int FAST = 3;
  private static final int FRAMES = 360;
  private static final int BURST = 6;

  private ChannelRegistry registry;
  private SseHandler handler;
  private TestServer server;

  @BeforeEach
  void start() throws IOException {
    registry = ChannelRegistry.builder().build();
    handler = SseHandler.builder(registry).heartbeat(Duration.ofSeconds(30)).build();
    server = TestServer.start(handler);
  }

  @AfterEach
  void stop() {
    handler.close();
    server.close();
    registry.close();
  }

  /** 36..46 KB of random bytes naming the frame in bytes 0..3: base64 events in one size class (48..64 KiB). */
  private static byte[] payload(int n) {
    byte[] b = new byte[36_000 + (n * 7919) % 10_000];
    new Random(n).nextBytes(b);
    ByteBuffer.wrap(b).putInt(n);
    return b;
  }

  /** Reads events until frame {@code last}, the end of the stream or 10 s of silence; checks each one. */
  private static int readChecked(RawSse sse, List<byte[]> published, int last, String who, AtomicInteger progress)
      throws IOException {
    int previous = -1;
    int count = 0;
    try {
      while (previous != last) {
        String block = sse.readBlock();
        if (block == null || block.isEmpty()) {
          break;
        }
        if (!block.contains("event: data")) {
          continue; // retry, init, heartbeat
        }
        String data = block.substring(block.indexOf("data: ") + 6).trim();
        byte[] got = Base64.getDecoder().decode(data);
        int n = ByteBuffer.wrap(got).getInt();
        assertTrue(n > previous && n <= last, who + ": events in order, each once: " + n + " after " + previous);
        assertArrayEquals(published.get(n), got, who + ": frame " + n + " arrives byte for byte");
        previous = n;
        progress.set(n);
        count++;
      }
    } catch (SocketTimeoutException | EOFException e) {
      // a late reader whose stream the server ended: what came before still counts
    }
    return count;
  }

  @Test
  void e1_eventsFromReusedNativeMemoryReachFastAndLateReadersExactly_andGoBackOnClose() throws Exception {
    int inUseBefore = DirectMessage.inUse();
    long directBefore = GrizzlyEventOutput.directWrites();
    long retainedBefore = DirectMessage.retained();
    // A long stall timeout: the late reader's queued writes must wait for it, not be dropped by its eviction.
    Channel cam = registry.declare("pool", ChannelConfig.builder().stallTimeout(Duration.ofMinutes(2)).build());
    List<byte[]> published = new ArrayList<>();
    for (int n = 0; n < FRAMES; n++) {
      published.add(payload(n));
    }
    List<RawSse> fast = new ArrayList<>();
    for (int i = 0; i < FAST; i++) {
      fast.add(RawSse.open(server.port, "/sse/pool?format=base64"));
    }
    RawSse late = RawSse.open(server.port, "/sse/pool?format=base64", 8 * 1024);
    until("subscribed", () -> handler.viewerCount() == FAST + 1);

    List<Throwable> failures = new CopyOnWriteArrayList<>();
    List<AtomicInteger> progress = new ArrayList<>();
    List<Thread> readers = new ArrayList<>();
    for (RawSse sse : fast) {
      AtomicInteger read = new AtomicInteger(-1);
      progress.add(read);
      Thread t = new Thread(() -> {
        try {
          readChecked(sse, published, FRAMES - 1, "fast reader", read);
        } catch (Throwable e) {
          failures.add(e);
        }
      }, "fast-sse-reader");
      t.setDaemon(true);
      t.start();
      readers.add(t);
    }
    for (int n = 0; n < FRAMES; n++) {
      cam.publish(Frame.of("image/jpeg", published.get(n)));
      if (n % BURST == BURST - 1) { // bursts: newest-wins drops some, writes overlap retirement
        int newest = n;
        until("burst up to frame " + newest + " read", () -> !failures.isEmpty()
            || progress.stream().allMatch(p -> p.get() == newest), Duration.ofSeconds(20));
      }
    }
    for (Thread t : readers) {
      t.join(30_000);
      assertFalse(t.isAlive(), "a fast reader did not reach the last frame");
    }
    assertTrue(failures.isEmpty(), "fast readers: " + failures);
    assertTrue(GrizzlyEventOutput.directWrites() - directBefore > FRAMES / 2, "events went straight to the queue");
    assertTrue(DirectMessage.retained() - retainedBefore > FRAMES / 2,
        "events were written from native memory: " + (DirectMessage.retained() - retainedBefore));

    int lateCount = readChecked(late, published, FRAMES - 1, "late reader", new AtomicInteger());
    assertTrue(lateCount >= 2, "the late reader got events: " + lateCount);
    late.close();
    for (RawSse sse : fast) {
      sse.close();
    }

    handler.close();
    registry.close();
    until(() -> "every chunk's memory goes back on close (in use " + DirectMessage.inUse() + ", before "
        + inUseBefore + ")", () -> DirectMessage.inUse() <= inUseBefore, Duration.ofSeconds(20));
  }
}
