package io.framestream.transport.sse.internal;

import static io.framestream.testkit.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.asyncqueue.AsyncQueueWriter;
import org.glassfish.grizzly.asyncqueue.MessageCloner;
import org.glassfish.grizzly.asyncqueue.WritableMessage;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.filterchain.TransportFilter;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.memory.MemoryManager;
import org.glassfish.grizzly.nio.NIOConnection;
import org.glassfish.grizzly.nio.transport.TCPNIOServerConnection;
import org.glassfish.grizzly.nio.transport.TCPNIOTransport;
import org.glassfish.grizzly.nio.transport.TCPNIOTransportBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Writes that go to the socket on the caller's thread when Grizzly's write queue is idle keep the queue's
 * order and its all-or-nothing messages, against a real Grizzly TCP transport and a slow or vanishing peer:
 * partial writes hand their rest to the queue, writes made meanwhile through Grizzly's own writer on
 * another thread never land inside a message, and every handler is told exactly once.
 */
class GrizzlySocketWritesIT {

  private static final int HEADER = 9; // length (4), writer (1), sequence (4)

  private TCPNIOTransport transport;
  private Connection<SocketAddress> connection;
  private Socket peer;

  @BeforeEach
  @SuppressWarnings("unchecked")
  void connect() throws Exception {
    transport = TCPNIOTransportBuilder.newInstance().build();
    CompletableFuture<Connection<?>> accepted = new CompletableFuture<>();
    transport.setProcessor(FilterChainBuilder.stateless().add(new TransportFilter()).add(new BaseFilter() {
      @Override
      public NextAction handleAccept(FilterChainContext ctx) {
        accepted.complete(ctx.getConnection());
        return ctx.getInvokeAction();
      }
    }).build());
    TCPNIOServerConnection server = transport.bind("127.0.0.1", 0);
    transport.start();
    peer = new Socket();
    peer.setReceiveBufferSize(32 * 1024); // small, so that the server's writes come back partial
    peer.connect(server.getLocalAddress(), 5_000);
    connection = (Connection<SocketAddress>) accepted.get(10, TimeUnit.SECONDS);
    // Small socket buffers on both sides, so that writes come back partial.
    ((SocketChannel) ((NIOConnection) connection).getChannel()).socket().setSendBufferSize(64 * 1024);
  }

  @AfterEach
  void close() throws IOException {
    peer.close();
    transport.shutdownNow();
  }

  @SuppressWarnings("unchecked")
  private AsyncQueueWriter<SocketAddress> queueWriter() {
    return (AsyncQueueWriter<SocketAddress>) (AsyncQueueWriter<?>) transport.getAsyncQueueIO().getWriter();
  }

  private MemoryManager<?> memory() {
    return transport.getMemoryManager();
  }

  /** Message {@code seq} of writer {@code who}: 9 + 20..60 KB, every payload byte derived from both. */
  private static ByteBuffer message(int who, int seq, boolean direct) {
    int payload = 20_000 + (seq * 7919) % 40_000;
    ByteBuffer b = direct ? ByteBuffer.allocateDirect(HEADER + payload) : ByteBuffer.allocate(HEADER + payload);
    b.putInt(payload).put((byte) who).putInt(seq);
    for (int i = 0; i < payload; i++) {
      b.put(pattern(who, seq, i));
    }
    return b.flip();
  }

  private static byte pattern(int who, int seq, int i) {
    return (byte) (who * 31 + seq * 7 + i);
  }

  /** Counts each message's outcomes: completions and failures, per message. */
  private static final class Outcomes {
    final AtomicIntegerArray completed;
    final AtomicIntegerArray failed;

    Outcomes(int n) {
      completed = new AtomicIntegerArray(n);
      failed = new AtomicIntegerArray(n);
    }

    CompletionHandler<WriteResult<WritableMessage, SocketAddress>> of(int seq) {
      return new CompletionHandler<>() {
        @Override
        public void cancelled() {
          failed.incrementAndGet(seq);
        }

        @Override
        public void failed(Throwable throwable) {
          failed.incrementAndGet(seq);
        }

        @Override
        public void completed(WriteResult<WritableMessage, SocketAddress> result) {
          completed.incrementAndGet(seq);
        }

        @Override
        public void updated(WriteResult<WritableMessage, SocketAddress> result) {
          // progress only
        }
      };
    }

    int told() {
      int n = 0;
      for (int i = 0; i < completed.length(); i++) {
        n += completed.get(i) + failed.get(i);
      }
      return n;
    }

    void assertEachToldOnce(boolean allCompleted) {
      for (int i = 0; i < completed.length(); i++) {
        assertEquals(1, completed.get(i) + failed.get(i), "message " + i + " told " + completed.get(i)
            + " completions and " + failed.get(i) + " failures");
        if (allCompleted) {
          assertEquals(1, completed.get(i), "message " + i);
        }
      }
    }
  }

  @Test
  void aSlowPeerGetsEveryMessageWholeAndInOrderWithGrizzlysOwnWritesInterleaved() throws Exception {
    int n = 150;
    Outcomes mine = new Outcomes(n);
    Outcomes grizzlys = new Outcomes(n);
    AtomicReference<Throwable> readFailure = new AtomicReference<>();
    AtomicInteger read = new AtomicInteger();
    // The peer reads nothing and the other writer waits until this thread has written the first `held`
    // messages: the first goes to the empty socket whole, and later ones cannot all fit into the sockets'
    // buffers (at least 400 KB against about 200 KB), so both paths run whatever the machine's timing.
    int held = 20;
    CountDownLatch go = new CountDownLatch(1);
    Thread reader = new Thread(() -> {
      try {
        go.await();
        readAll(peer.getInputStream(), 2 * n, read);
      } catch (Throwable t) {
        readFailure.set(t);
      }
    }, "slow-peer");
    reader.start();
    // Grizzly's own writer on another thread, as a Tyrus ping or a refusal's close frame would write.
    Thread other = new Thread(() -> {
      try {
        go.await();
      } catch (InterruptedException e) {
        return;
      }
      for (int seq = 0; seq < n; seq++) {
        queueWriter().write(connection, null, Buffers.wrap(memory(), message(2, seq, seq % 2 == 0)),
            grizzlys.of(seq), (MessageCloner<WritableMessage>) null);
        if (seq % 10 == 9) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
      }
    }, "grizzly-writer");
    other.start();
    int whole = 0; // told before write returned: written on this thread
    try {
      for (int seq = 0; seq < n; seq++) {
        if (seq == held) {
          go.countDown();
        }
        GrizzlySocketWrites.write(connection, queueWriter(), memory(), message(1, seq, true), mine.of(seq));
        whole += mine.completed.get(seq);
        if (seq % 10 == 9) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // let the queue drain now and then: both paths
        }
      }
    } finally {
      go.countDown(); // never leave the peer and the other writer waiting, even if a write throws
    }
    other.join(10_000);
    until(() -> "all messages read (" + read.get() + " of " + 2 * n + ", failure " + readFailure.get() + ")",
        () -> read.get() == 2 * n || readFailure.get() != null, Duration.ofSeconds(30));
    assertNull(readFailure.get());
    until(() -> "every write told (" + mine.told() + ", " + grizzlys.told() + ")",
        () -> mine.told() == n && grizzlys.told() == n, Duration.ofSeconds(10));
    mine.assertEachToldOnce(true);
    grizzlys.assertEachToldOnce(true);
    assertTrue(whole > 0 && whole < n, whole + " of " + n + " written at once: both paths must have run");
    assertEquals(0, ((NIOConnection) connection).getAsyncWriteQueue().spaceInBytes(), "nothing left reserved");
  }

  /** Reads {@code expected} messages, checking each byte and each writer's order; pauses now and then. */
  private static void readAll(InputStream in, int expected, AtomicInteger read) throws IOException {
    DataInputStream data = new DataInputStream(in);
    int[] next = new int[3];
    long sincePause = 0;
    byte[] payload = new byte[64 * 1024];
    while (read.get() < expected) {
      int length = data.readInt();
      int who = data.readByte();
      int seq = data.readInt();
      assertTrue(who == 1 || who == 2, "writer " + who + " after " + read.get() + " messages");
      assertEquals(next[who], seq, "writer " + who + "'s order");
      assertTrue(length >= 20_000 && length < 60_000, "length " + length);
      data.readFully(payload, 0, length);
      for (int i = 0; i < length; i++) {
        if (payload[i] != pattern(who, seq, i)) {
          throw new AssertionError("writer " + who + " message " + seq + " differs at byte " + i);
        }
      }
      next[who]++;
      read.incrementAndGet();
      sincePause += length;
      if (sincePause > 512 * 1024) { // a slow peer: the server's socket fills, writes come back partial
        sincePause = 0;
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(3));
      }
    }
  }

  @Test
  void whenThePeerVanishesEveryQueuedMessageFailsOnce() throws Exception {
    int n = 60;
    Outcomes mine = new Outcomes(n);
    for (int seq = 0; seq < n; seq++) {
      GrizzlySocketWrites.write(connection, queueWriter(), memory(), message(1, seq, true), mine.of(seq));
    }
    assertTrue(mine.told() < n, "a peer that reads nothing cannot have taken " + n + " messages of 20-60 KB");
    peer.setSoLinger(true, 0); // reset, not a graceful close
    peer.close();
    until(() -> "every write told (" + mine.told() + " of " + n + ")", () -> mine.told() == n,
        Duration.ofSeconds(20));
    mine.assertEachToldOnce(false);
    int failures = 0;
    for (int i = 0; i < n; i++) {
      failures += mine.failed.get(i);
    }
    assertTrue(failures > 0, "the queued messages fail");
    until("the connection closes", () -> !connection.isOpen(), Duration.ofSeconds(10));
  }

  @Test
  void aClosedConnectionFailsTheWriteThroughGrizzly() throws Exception {
    Outcomes mine = new Outcomes(1);
    connection.closeSilently();
    until("the connection closes", () -> !connection.isOpen(), Duration.ofSeconds(10));
    GrizzlySocketWrites.write(connection, queueWriter(), memory(), message(1, 0, true), mine.of(0));
    until("the write is told", () -> mine.told() == 1, Duration.ofSeconds(10));
    assertEquals(1, mine.failed.get(0));
    try {
      new DataInputStream(peer.getInputStream()).readInt();
      throw new AssertionError("the peer read bytes from a closed connection");
    } catch (EOFException | java.net.SocketException expected) {
      // closed without a byte of the message
    }
  }
}
