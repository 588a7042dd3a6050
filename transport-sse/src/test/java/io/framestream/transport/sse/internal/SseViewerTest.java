package io.framestream.transport.sse.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelState;
import io.framestream.core.CloseReason;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.SendCallback;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The viewer state machine against a fake host output: no sockets, no threads. */
class SseViewerTest {

  /** A scriptable output that records what it is asked to do. */
  static final class FakeOutput implements EventOutput {
    boolean writable = true;
    IOException failNextWrite;
    RuntimeException failNextWriteUnchecked;
    final List<byte[]> written = new ArrayList<>();
    Writable pendingCallback;
    int finishCalls;
    final List<Boolean> closes = new ArrayList<>();

    @Override
    public boolean canWrite() {
      return writable;
    }

    @Override
    public void write(byte[] bytes) throws IOException {
      if (failNextWrite != null) {
        IOException e = failNextWrite;
        failNextWrite = null;
        throw e;
      }
      if (failNextWriteUnchecked != null) {
        RuntimeException e = failNextWriteUnchecked;
        failNextWriteUnchecked = null;
        throw e;
      }
      written.add(bytes);
    }

    @Override
    public void notifyWritable(Writable callback) {
      if (pendingCallback != null) {
        throw new IllegalStateException("only one pending writability callback");
      }
      pendingCallback = callback;
    }

    @Override
    public void finish() {
      finishCalls++;
    }

    @Override
    public void closeConnection(boolean graceful) {
      closes.add(graceful);
    }

    @Override
    public long queuedBytes() {
      return 0;
    }

    void becomeWritable() {
      writable = true;
      Writable w = pendingCallback;
      pendingCallback = null;
      w.onWritable();
    }

    String text(int i) {
      return new String(written.get(i), StandardCharsets.UTF_8);
    }
  }

  /** Records the outcome of one send. */
  static final class Outcome implements SendCallback {
    final AtomicInteger completed = new AtomicInteger();
    Throwable failed;

    @Override
    public void completed() {
      completed.incrementAndGet();
    }

    @Override
    public void failed(Throwable cause) {
      failed = cause;
    }
  }

  private final Channel channel = Channel.create("test");
  private final List<SseViewer> ended = new ArrayList<>();

  @AfterEach
  void close() {
    channel.close();
  }

  private SseViewer viewer(SseFormat format) {
    return new SseViewer("test", format, -1, ended::add);
  }

  private Frame frame(int size) {
    return channel.publish(Frame.of("image/jpeg", new byte[size]));
  }

  @Test
  void sendsBeforeStartWait_thenThePreambleGoesFirst() {
    FakeOutput out = new FakeOutput();
    SseViewer v = viewer(SseFormat.DATA_URI);
    Outcome o = new Outcome();
    Frame f = frame(10);
    v.send(f, o);
    assertEquals(0, o.completed.get());
    assertTrue(v.start(out, "retry: 1\n\n".getBytes(StandardCharsets.US_ASCII)));
    assertEquals("retry: 1\n\n", out.text(0));
    assertSame(f.encoded(SseEvents.DATA_URI_EVENT), out.written.get(1), "the frame's shared bytes, not a copy");
    assertEquals(1, o.completed.get());
  }

  @Test
  void notWritable_keepsTheFrameInFlightAndCompletesWhenWritable() {
    FakeOutput out = new FakeOutput();
    SseViewer v = viewer(SseFormat.BASE64);
    v.start(out, new byte[0]);
    out.writable = false;
    Outcome o = new Outcome();
    Frame f = frame(5);
    v.send(f, o);
    assertEquals(0, o.completed.get(), "not completed while the output cannot take it");
    assertEquals(1, out.written.size());
    v.heartbeat(); // never queues behind a waiting frame
    assertEquals(1, out.written.size());
    out.becomeWritable();
    assertEquals(1, o.completed.get());
    assertSame(f.encoded(SseEvents.BASE64_EVENT), out.written.get(1));
  }

  @Test
  void stalled_closesTheConnectionAtOnce_andReleasesTheFrameInFlight() {
    FakeOutput out = new FakeOutput();
    SseViewer v = viewer(SseFormat.DATA_URI);
    v.start(out, new byte[0]);
    out.writable = false;
    Outcome o = new Outcome();
    v.send(frame(5), o);
    v.closed(new CloseReason(CloseReason.Code.STALLED, "evicted"));
    assertEquals(List.of(false), out.closes, "terminated, not closed gracefully");
    assertEquals(0, out.finishCalls);
    assertTrue(o.failed != null, "the frame in flight is released");
    assertEquals(List.of(v), ended);
    out.becomeWritable(); // a late writability callback does nothing
    assertEquals(1, out.written.size());
  }

  @Test
  void channelClosed_finishesTheResponseGracefullyWhenItCan() {
    FakeOutput out = new FakeOutput();
    SseViewer v = viewer(SseFormat.DATA_URI);
    v.start(out, new byte[0]);
    v.closed(new CloseReason(CloseReason.Code.CHANNEL_CLOSED, "closed"));
    assertEquals(1, out.finishCalls);
    assertEquals(List.of(true), out.closes);
    v.closed(new CloseReason(CloseReason.Code.CHANNEL_CLOSED, "again")); // once only
    assertEquals(List.of(true), out.closes);
  }

  @Test
  void channelClosed_withAFrameStuck_closesAtOnce() {
    FakeOutput out = new FakeOutput();
    SseViewer v = viewer(SseFormat.DATA_URI);
    v.start(out, new byte[0]);
    out.writable = false;
    v.send(frame(5), new Outcome());
    v.closed(new CloseReason(CloseReason.Code.CHANNEL_CLOSED, "closed"));
    assertEquals(0, out.finishCalls);
    assertEquals(List.of(false), out.closes);
  }

  @Test
  void writeFailure_failsTheSendAndClosesTheConnection_uncheckedToo() {
    for (boolean unchecked : new boolean[] {false, true}) {
      FakeOutput out = new FakeOutput();
      SseViewer v = viewer(SseFormat.DATA_URI);
      v.start(out, new byte[0]);
      if (unchecked) {
        out.failNextWriteUnchecked = new NullPointerException("response recycled");
      } else {
        out.failNextWrite = new IOException("broken pipe");
      }
      Outcome o = new Outcome();
      v.send(frame(5), o);
      assertTrue(o.failed != null);
      assertEquals(List.of(false), out.closes);
      assertTrue(v.isEnded());
      Outcome later = new Outcome();
      v.send(frame(5), later);
      assertTrue(later.failed != null, "sends after the end fail at once");
    }
  }

  @Test
  void peerGone_makesNoFurtherUseOfTheOutput() {
    FakeOutput out = new FakeOutput();
    SseViewer v = viewer(SseFormat.DATA_URI);
    v.start(out, new byte[0]);
    out.writable = false;
    Outcome o = new Outcome();
    v.send(frame(5), o);
    v.peerGone(null);
    assertTrue(o.failed != null);
    assertEquals(List.of(), out.closes, "the host already closed it");
    v.heartbeat();
    v.end(CloseReason.NORMAL);
    assertEquals(0, out.finishCalls);
    assertEquals(1, out.written.size());
  }

  @Test
  void endedBeforeStart_dropsTheConnectionOnStart() {
    FakeOutput out = new FakeOutput();
    SseViewer v = viewer(SseFormat.DATA_URI);
    v.closed(new CloseReason(CloseReason.Code.CHANNEL_CLOSED, "closed"));
    assertFalse(v.start(out, new byte[] {1}));
    assertEquals(List.of(false), out.closes);
    assertEquals(0, out.written.size());
  }

  @Test
  void heartbeat_isWrittenOnlyWhenIdleAndWritable() {
    FakeOutput out = new FakeOutput();
    SseViewer v = viewer(SseFormat.DATA_URI);
    v.heartbeat(); // not started
    v.start(out, new byte[0]);
    v.heartbeat();
    assertSame(SseEvents.HEARTBEAT, out.written.get(1));
    out.writable = false;
    v.heartbeat();
    assertEquals(2, out.written.size());
  }

  @Test
  void resumingViewer_getsItsOwnInitEventWithSkipped_forTheChannelsInitFrame() {
    FakeOutput out = new FakeOutput();
    SseViewer v = new SseViewer("test", SseFormat.DATA_URI, 7, ended::add);
    v.start(out, new byte[0]);
    Frame init = channel.publish(Frame.builder(new byte[] {1, 2}).contentType("video/mp4").kind(FrameKind.INIT)
        .build());
    v.send(init, new Outcome());
    assertTrue(out.text(1).contains("\"skipped\":7"), out.text(1));
    assertTrue(out.text(1).startsWith("id: " + init.sequence() + "\nevent: init\n"), out.text(1));
    Frame init2 = channel.publish(Frame.builder(new byte[] {3}).contentType("video/mp4").kind(FrameKind.INIT)
        .build());
    v.send(init2, new Outcome());
    assertSame(SseEvents.initEventOf(init2, "test"), out.written.get(2), "later INITs are shared");
  }

  /** Starts {@code n} viewers of both formats, sends them the frame and returns what each wrote for it. */
  private List<byte[]> sendToViewers(Frame frame, int n) {
    List<byte[]> got = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      FakeOutput out = new FakeOutput();
      SseViewer v = viewer(i % 2 == 0 ? SseFormat.DATA_URI : SseFormat.BASE64);
      v.start(out, new byte[0]);
      v.send(frame, new Outcome());
      got.add(out.written.get(1));
    }
    return got;
  }

  @Test
  void e1_initEventEncodedOncePerInitFrame() {
    Frame init = channel.publish(Frame.builder(new byte[] {0, 0, 0, 8, 'f', 't', 'y', 'p'})
        .contentType("video/mp4").kind(FrameKind.INIT).codec("avc1.42E01E").dimensions(64, 48).build());
    long before = SseEvents.encoderRuns();
    List<byte[]> first = sendToViewers(init, 20);
    assertEquals(1, SseEvents.encoderRuns() - before, "one init event for 20 viewers");
    first.forEach(b -> assertSame(first.get(0), b, "every viewer writes the frame's shared bytes"));
    assertTrue(new String(first.get(0), StandardCharsets.UTF_8).startsWith("id: " + init.sequence() + "\nevent: init\n"));

    // Other channels' INIT frames come and go (thousands of channel names, as a busy server sees): whatever
    // the server caches per channel name, this frame's event must stay the one already built.
    Channel other = Channel.create("elsewhere");
    try {
      for (int i = 0; i < 5000; i++) {
        Frame elsewhere = other.publish(Frame.builder(new byte[] {0, 0, 0, 8, 'f', 't', 'y', 'p'})
            .contentType("video/mp4").kind(FrameKind.INIT).build());
        SseEvents.eventOf(elsewhere, "cam-" + i, SseFormat.DATA_URI);
      }
    } finally {
      other.close();
    }

    before = SseEvents.encoderRuns();
    List<byte[]> later = sendToViewers(init, 20);
    assertEquals(0, SseEvents.encoderRuns() - before, "the init event is not encoded again");
    later.forEach(b -> assertSame(first.get(0), b, "the same bytes as for the first viewers, not a new copy"));
  }

  @Test
  void e1_onlineNoticesEncodedOncePerChange_sharedByEveryViewer() {
    channel.publish(Frame.builder(new byte[3]).contentType("image/png").dimensions(4, 3).build());
    SseEvents.Notices shared = new SseEvents.Notices(channel.name());
    List<FakeOutput> outs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      FakeOutput out = new FakeOutput();
      SseViewer v = viewer(SseFormat.DATA_URI);
      v.describeWith(shared, channel);
      v.start(out, new byte[0]);
      v.status(ChannelState.ONLINE);
      v.status(ChannelState.OFFLINE);
      outs.add(out);
    }
    FakeOutput first = outs.get(0);
    assertTrue(first.text(1).startsWith("event: status\n"), first.text(1));
    assertTrue(first.text(2).startsWith("event: init\n") && first.text(2).contains("\"width\":4"), first.text(2));
    assertTrue(first.text(3).contains("\"status\":\"offline\""), first.text(3));
    for (FakeOutput out : outs) {
      for (int i = 1; i <= 3; i++) {
        assertSame(first.written.get(i), out.written.get(i), "event " + i + " is shared, not built per viewer");
      }
    }
    // A new frame since: the next online description is built once more, and describes it.
    channel.publish(Frame.builder(new byte[3]).contentType("image/png").dimensions(8, 6).build());
    FakeOutput out = new FakeOutput();
    SseViewer v = viewer(SseFormat.DATA_URI);
    v.describeWith(shared, channel);
    v.start(out, new byte[0]);
    v.status(ChannelState.ONLINE);
    assertTrue(out.text(2).contains("\"width\":8"), out.text(2));
  }
}
