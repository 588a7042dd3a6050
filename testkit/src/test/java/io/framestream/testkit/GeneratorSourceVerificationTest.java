package io.framestream.testkit;

import io.framestream.core.Frame;
import io.framestream.core.FrameSource;
import java.io.EOFException;
import java.io.IOException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The verification passes for well-behaved sources: a generator, one that ends, one that fails, and one that
 * waits on a queue until its {@code close()} wakes it.
 */
class GeneratorSourceVerificationTest extends FrameSourceVerification {

  /** Produces numbered frames; optionally ends or fails after {@code limit} of them. */
  static class Generator implements FrameSource {
    enum After { NOTHING, END, FAIL }

    private final int limit;
    private final After after;
    private volatile boolean open;
    private int produced;

    Generator(int limit, After after) {
      this.limit = limit;
      this.after = after;
    }

    @Override
    public void open() {
      open = true;
      produced = 0;
    }

    @Override
    public Frame nextFrame() throws IOException {
      if (!open) {
        throw new IOException("closed");
      }
      if (after != After.NOTHING && produced >= limit) {
        if (after == After.END) {
          throw new EOFException("end of the generated stream");
        }
        throw new IOException("generator broke after " + limit + " frames");
      }
      produced++;
      return Frame.of("image/png", new byte[] {(byte) produced});
    }

    @Override
    public void close() {
      open = false;
    }

    boolean isOpen() {
      return open;
    }
  }

  /** Waits for frames that never come, until close() puts a wake-up into its queue. */
  static final class QueueSource implements FrameSource {
    private static final Frame WAKE_UP = Frame.of("image/png", new byte[] {0});
    private final LinkedBlockingQueue<Frame> queue = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public Frame nextFrame() throws Exception {
      Frame f = queue.poll(30, TimeUnit.SECONDS);
      if (f == null || f == WAKE_UP || closed.get()) {
        throw new EOFException("closed");
      }
      return f;
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        queue.add(WAKE_UP);
      }
    }
  }

  @Override
  protected FrameSource createSource() {
    return new Generator(0, Generator.After.NOTHING);
  }

  @Override
  protected FrameSource createEndingSource() {
    return new Generator(5, Generator.After.END);
  }

  @Override
  protected FrameSource createFailingSource() {
    return new Generator(2, Generator.After.FAIL);
  }

  @Override
  protected FrameSource createBlockingSource() {
    return new QueueSource();
  }

  @Override
  protected void assertReleased(FrameSource source) {
    if (source instanceof Generator) {
      org.junit.jupiter.api.Assertions.assertFalse(((Generator) source).isOpen(), "the generator is closed");
    }
  }
}
