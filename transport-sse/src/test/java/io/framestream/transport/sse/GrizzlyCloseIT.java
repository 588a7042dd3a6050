package io.framestream.transport.sse;

import static io.framestream.testkit.Await.until;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.nio.NIOConnection;
import org.glassfish.grizzly.http.io.NIOOutputStream;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pins down the Grizzly 4 behaviour the SSE handler relies on to evict a stalled viewer: with a peer that
 * never reads, the graceful {@code closeSilently()} keeps the connection and its queued bytes, while {@code
 * terminateSilently()} closes it and releases the queue at once.
 */
class GrizzlyCloseIT {

  private static final int QUEUE_LIMIT = 256 * 1024;

  /** Suspends each request and fills its queue (writing only while {@code canWrite()}), exposing the connection. */
  private static final class Filler extends HttpHandler {
    final AtomicReference<NIOConnection> connection = new AtomicReference<>();

    @Override
    public void service(Request request, Response response) throws IOException {
      NIOConnection c = (NIOConnection) request.getContext().getConnection();
      c.setMaxAsyncWriteQueueSize(QUEUE_LIMIT);
      response.setContentType("text/event-stream");
      response.suspend();
      NIOOutputStream out = response.getNIOOutputStream();
      byte[] chunk = new byte[64 * 1024];
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      // Fill the kernel buffers, then Grizzly's queue up to its limit; bounded in time.
      while (System.nanoTime() < deadline && c.getAsyncWriteQueue().spaceInBytes() < QUEUE_LIMIT / 2) {
        if (out.canWrite()) {
          out.write(Buffers.wrap(c.getMemoryManager(), ByteBuffer.wrap(chunk).asReadOnlyBuffer()));
          out.flush();
        } else {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
      }
      connection.set(c);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"closeSilently", "terminateSilently"})
  void onlyTerminateReleasesAStalledConnection(String how) throws Exception {
    Filler filler = new Filler();
    try (TestServer server = TestServer.start(filler, "/fill");
        Socket stalled = RawSse.send(server.port, "/fill", 4096)) {
      until("queue filled", () -> filler.connection.get() != null, Duration.ofSeconds(20));
      NIOConnection c = filler.connection.get();
      long queued = c.getAsyncWriteQueue().spaceInBytes();
      assertTrue(queued > 0, "queued " + queued);
      if (how.equals("closeSilently")) {
        c.closeSilently();
        // Bounded observation: the graceful close waits for a drain that never comes.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < until) {
          assertTrue(c.isOpen(), "closeSilently closed a stalled connection");
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        assertTrue(!c.getAsyncWriteQueue().getQueue().isEmpty() && c.getAsyncWriteQueue().spaceInBytes() >= queued,
            "queue kept");
        c.terminateSilently(); // clean up
      } else {
        c.terminateSilently();
        until("closed", () -> !c.isOpen(), Duration.ofSeconds(5));
        // The queued records are failed and dropped (Grizzly does not reset its byte counter on close, so
        // look at the records themselves).
        until("queue released", () -> c.getAsyncWriteQueue().getQueue().isEmpty(), Duration.ofSeconds(5));
      }
    }
  }
}
