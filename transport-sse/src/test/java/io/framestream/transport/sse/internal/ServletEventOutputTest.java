package io.framestream.transport.sse.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Servlet output against a scripted non-blocking stream and async context: no container, no sockets.
 * What the Servlet API demands (write only while {@code isReady()}, one listener, complete once) and what
 * the SSE viewer relies on (a bound, one writability callback, one "peer gone").
 */
class ServletEventOutputTest {

  /** A non-blocking stream whose readiness the test sets; records the arrays it was handed. */
  static final class FakeStream extends ServletOutputStream {
    boolean ready = true;
    boolean readyAfterWrite = true;
    IOException failNextWrite;
    final List<byte[]> written = new ArrayList<>();
    int flushes;
    WriteListener listener;

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void setWriteListener(WriteListener writeListener) {
      if (listener != null) {
        throw new IllegalStateException("one write listener only");
      }
      listener = writeListener;
    }

    @Override
    public void write(int b) {
      throw new AssertionError("byte-wise write");
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (!ready) {
        throw new IllegalStateException("write while not ready");
      }
      if (failNextWrite != null) {
        IOException e = failNextWrite;
        failNextWrite = null;
        throw e;
      }
      assertEquals(0, off);
      assertEquals(b.length, len);
      written.add(b);
      ready = readyAfterWrite;
    }

    @Override
    public void flush() {
      if (!ready) {
        throw new IllegalStateException("flush while not ready");
      }
      flushes++;
    }
  }

  /** An async context that counts completions. */
  static final class FakeAsync implements AsyncContext {
    final AtomicInteger completes = new AtomicInteger();
    final List<AsyncListener> listeners = new ArrayList<>();

    @Override
    public void complete() {
      if (completes.incrementAndGet() > 1) {
        throw new IllegalStateException("completed twice");
      }
    }

    @Override
    public void addListener(AsyncListener listener) {
      listeners.add(listener);
    }

    @Override
    public void addListener(AsyncListener listener, ServletRequest request, ServletResponse response) {
      listeners.add(listener);
    }

    @Override
    public ServletRequest getRequest() {
      return null; // AsyncEvent asks; the output never does
    }

    @Override
    public ServletResponse getResponse() {
      return null;
    }

    @Override
    public boolean hasOriginalRequestAndResponse() {
      return true;
    }

    @Override
    public void dispatch() {
      throw new UnsupportedOperationException();
    }

    @Override
    public void dispatch(String path) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void dispatch(ServletContext context, String path) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void start(Runnable run) {
      throw new UnsupportedOperationException();
    }

    @Override
    public <T extends AsyncListener> T createListener(Class<T> clazz) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void setTimeout(long timeout) {
      // not used
    }

    @Override
    public long getTimeout() {
      return 0;
    }
  }

  private final FakeStream stream = new FakeStream();
  private final FakeAsync async = new FakeAsync();
  private final List<Throwable> gone = new ArrayList<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final ServletEventOutput output =
      new ServletEventOutput(async, stream, 100, gone::add, timer, 50);

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  /** A writability callback that counts its calls. */
  private static EventOutput.Writable counting(AtomicInteger calls) {
    return new EventOutput.Writable() {
      @Override
      public void onWritable() {
        calls.incrementAndGet();
      }

      @Override
      public void onError(Throwable cause) {
        throw new AssertionError(cause);
      }
    };
  }

  private static byte[] bytes(int n) {
    return new byte[n];
  }

  @Test
  void attach_registersTheWriteListenerAndTheAsyncListener() {
    output.attach();
    assertSame(output, stream.listener);
    assertEquals(List.of(output), async.listeners);
  }

  @Test
  void e1_writesTheSharedArrayItself_andFlushesOncePerBatch_withoutALoopOfEmptyFlushes() throws IOException {
    byte[] a = bytes(10);
    byte[] b = bytes(20);
    output.write(a);
    output.write(b);
    assertSame(a, stream.written.get(0), "no copy");
    assertSame(b, stream.written.get(1));
    assertEquals(2, stream.flushes);
    output.onWritePossible(); // a spurious callback finds nothing to write or flush
    assertEquals(2, stream.flushes);
  }

  @Test
  void h1_neverWritesWhileTheStreamIsNotReady_queuesUpToTheBound_thenCanWriteTurnsFalse() throws IOException {
    stream.readyAfterWrite = false; // the container holds the first write: the peer reads nothing
    output.write(bytes(60));
    assertEquals(1, stream.written.size());
    assertEquals(60, output.queuedBytes(), "the write the container has not finished counts");
    assertTrue(output.canWrite());
    output.write(bytes(60));
    assertEquals(1, stream.written.size(), "nothing is written while the stream is not ready");
    assertEquals(120, output.queuedBytes());
    assertFalse(output.canWrite(), "past the bound");

    AtomicInteger writable = new AtomicInteger();
    output.notifyWritable(counting(writable));
    assertEquals(0, writable.get(), "no callback while over the bound");
    stream.ready = true;
    stream.readyAfterWrite = true;
    output.onWritePossible();
    assertEquals(2, stream.written.size());
    assertEquals(0, output.queuedBytes());
    assertEquals(1, writable.get(), "told once, when back under the bound");
    output.onWritePossible();
    assertEquals(1, writable.get());
  }

  @Test
  void notifyWritable_underTheBound_callsBackAtOnce() {
    AtomicInteger writable = new AtomicInteger();
    output.notifyWritable(counting(writable));
    assertEquals(1, writable.get());
  }

  @Test
  void finish_completesOnceWhatWaitsHasGoneOut() throws IOException {
    stream.readyAfterWrite = false;
    output.write(bytes(10));
    output.write(bytes(10));
    output.finish();
    assertEquals(0, async.completes.get(), "an event still waits");
    stream.ready = true;
    stream.readyAfterWrite = true;
    output.onWritePossible();
    assertEquals(2, stream.written.size());
    assertEquals(1, async.completes.get());
    output.onComplete(new AsyncEvent(async));
    assertEquals(List.of(), gone, "a completion this output started is no peer gone");
    output.closeConnection(true);
    assertEquals(1, async.completes.get());
  }

  @Test
  void closeConnectionAtOnce_dropsWhatWaits_completes_andLaterWritesFail() throws IOException {
    stream.readyAfterWrite = false;
    output.write(bytes(50));
    output.write(bytes(50));
    output.closeConnection(false);
    assertEquals(0, output.queuedBytes());
    assertEquals(1, async.completes.get());
    assertFalse(output.canWrite());
    assertThrows(IOException.class, () -> output.write(bytes(1)));
    output.closeConnection(false);
    assertEquals(1, async.completes.get(), "completed once");
  }

  @Test
  void aGracefulCloseThatCannotDrain_isForcedAfterItsTimeout() throws IOException {
    stream.readyAfterWrite = false;
    output.write(bytes(10));
    output.write(bytes(10));
    output.closeConnection(true);
    assertEquals(0, async.completes.get());
    Await.until("the forced completion", () -> async.completes.get() == 1);
    assertEquals(0, output.queuedBytes());
  }

  @Test
  void containerErrors_tellTheViewerOnce_andComplete() {
    IOException broken = new IOException("broken pipe");
    output.onError(broken);
    output.onError(new AsyncEvent(async, new IOException("again")));
    output.onTimeout(new AsyncEvent(async));
    assertEquals(List.of(broken), gone);
    assertEquals(1, async.completes.get());
    assertFalse(output.canWrite());
  }

  @Test
  void aCompletionThisOutputDidNotStart_isThePeerGone() {
    output.onComplete(new AsyncEvent(async));
    assertEquals(1, gone.size());
    assertEquals(0, async.completes.get(), "not completed again");
  }

  @Test
  void aWriteThatThrows_failsThatWrite_andEndsTheResponse() {
    stream.failNextWrite = new IOException("reset");
    assertThrows(IOException.class, () -> output.write(bytes(5)));
    assertEquals(1, async.completes.get());
    assertFalse(output.canWrite());
    assertEquals(List.of(), gone, "the writer learns it from the exception");
  }
}
