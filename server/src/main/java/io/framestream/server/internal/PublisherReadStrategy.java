package io.framestream.server.internal;

import java.io.IOException;
import java.util.concurrent.Executor;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.IOEvent;
import org.glassfish.grizzly.Transport;
import org.glassfish.grizzly.strategies.AbstractIOStrategy;
import org.glassfish.grizzly.strategies.SameThreadIOStrategy;
import org.glassfish.grizzly.strategies.WorkerThreadIOStrategy;
import org.glassfish.grizzly.threadpool.ThreadPoolConfig;

/**
 * The embedded server's I/O strategy: every event goes to Grizzly's worker threads ({@link
 * WorkerThreadIOStrategy}), except the reads of a publisher's WebSocket connection whose data frames the
 * server's filter reads itself ({@link PublisherFrames}), which run on the selector thread that saw them
 * ({@link SameThreadIOStrategy}), the way an event-loop relay reads.
 *
 * <p>Why: a published frame arrives in several reads (a 100 KB frame in three or four), and each read handed
 * from a selector to a worker costs two context switches and a wake-up before its bytes are even looked at;
 * at 10 viewers of 100 KB that was about half of all the server's context switches (docs/performance.md).
 * What runs on the selector thread for such a read never waits on a peer: the filter copies and unmasks the
 * bytes into the frame's array and offers a complete frame to the channel's mailboxes; the built-in viewers
 * ask to be written inline ({@code FrameSink.inline()}), so the same thread then queues the frame on their
 * sockets (non-blocking writes, at most 1,024 viewers or about 5 ms per frame, the rest on the delivery
 * pool; from 64 viewers on, one delivery thread writes half of them meanwhile), and every other sink gets the frame on the delivery threads. The cost is that a large frame
 * (megabytes) is copied, and a large fan-out written, on the selector thread, during which that selector's
 * other connections wait (about 1 ms per MB copied, 15–20 µs per viewer of a 50 KB frame, here); the
 * handshake and every other connection still run on workers.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
@SuppressWarnings("rawtypes") // Grizzly's IOStrategy methods take the raw Connection type
final class PublisherReadStrategy extends AbstractIOStrategy {

  private static final PublisherReadStrategy INSTANCE = new PublisherReadStrategy();

  private PublisherReadStrategy() {
  }

  /**
   * Returns the strategy.
   *
   * @return the one instance
   */
  static PublisherReadStrategy instance() {
    return INSTANCE;
  }

  @Override
  public boolean executeIoEvent(Connection connection, IOEvent ioEvent, boolean isIoEventEnabled) throws IOException {
    return strategyFor(connection, ioEvent).executeIoEvent(connection, ioEvent, isIoEventEnabled);
  }

  @Override
  public Executor getThreadPoolFor(Connection connection, IOEvent ioEvent) {
    return strategyFor(connection, ioEvent).getThreadPoolFor(connection, ioEvent);
  }

  @Override
  public ThreadPoolConfig createDefaultWorkerPoolConfig(Transport transport) {
    return WorkerThreadIOStrategy.getInstance().createDefaultWorkerPoolConfig(transport);
  }

  private static AbstractIOStrategy strategyFor(Connection connection, IOEvent ioEvent) {
    return ioEvent == IOEvent.READ && ConnectionTracker.readsPublisherFrames(connection)
        ? SameThreadIOStrategy.getInstance() : WorkerThreadIOStrategy.getInstance();
  }
}
