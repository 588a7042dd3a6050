package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import io.framestream.server.internal.TyrusRawFrameSender;
import io.framestream.testkit.Await;
import io.framestream.transport.websocket.spi.RawFrameSender;
import io.framestream.transport.websocket.spi.WebSocketFrames;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** W11: a frame's message is encoded and framed once, whatever the number of WebSocket viewers. */
class EncodeOnceIT {

  private static final int VIEWERS = 4;
  private static final int FRAMES = 8;
  private static final int FRAME_BYTES = 195_000;

  /** One raw send: the session and the bytes handed to the sender. */
  record RawSend(String sessionId, ByteBuffer bytes) {}

  private FrameStreamServer server;
  private final List<JdkWsClient> viewers = new ArrayList<>();

  @AfterEach
  void stop() {
    viewers.forEach(JdkWsClient::abort);
    if (server != null) {
      server.close();
    }
  }

  /** Records every send that reaches the raw sender, then hands it on. */
  static RawFrameSender recording(RawFrameSender delegate, List<RawSend> into) {
    return (session, frame, handler) -> {
      into.add(new RawSend(session.getId(), frame.duplicate()));
      return delegate.send(session, frame, handler);
    };
  }

  @Test
  void w11_dataUriViewersShareOneFramedMessagePerFrame() {
    List<RawSend> sends = new CopyOnWriteArrayList<>();
    server = FrameStreamServer.builder().port(0)
        .webSocket(b -> b.rawFrameSender(recording(TyrusRawFrameSender.create(), sends))).build().start();
    Channel channel = server.registry().channel("cam");
    for (int i = 0; i < VIEWERS; i++) {
      viewers.add(JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/cam?format=datauri")));
    }
    Await.until("viewers subscribed", () -> channel.subscriberCount() == VIEWERS);

    List<Frame> published = new ArrayList<>();
    long allocatedBefore = deliveryThreadAllocations();
    for (int f = 0; f < FRAMES; f++) {
      published.add(channel.publish(Frame.of("image/jpeg", WebSocketServerIT.jpeg(f, FRAME_BYTES))));
      int expected = f + 1;
      Await.until("frame " + f + " reaches every viewer",
          () -> viewers.stream().allMatch(v -> v.texts().size() == expected));
    }
    long allocated = deliveryThreadAllocations() - allocatedBefore;
    System.out.printf("W11: %d data-URI deliveries of %d-byte frames: %.1f KB allocated per delivery on the"
        + " delivery threads (one framed message of %d bytes per frame)%n", FRAMES * VIEWERS, FRAME_BYTES,
        allocated / 1024.0 / (FRAMES * VIEWERS), published.get(0).encoded(WebSocketFrames.DATA_URI_TEXT).remaining());

    for (Frame frame : published) {
      ByteBuffer framed = frame.encoded(WebSocketFrames.DATA_URI_TEXT);
      assertTrue(framed.isReadOnly(), "the shared message is read-only");
      Set<String> sessions = new HashSet<>();
      for (RawSend send : sends) {
        if (send.bytes().equals(framed)) {
          assertTrue(sessions.add(send.sessionId()), "one message per viewer for frame " + frame.sequence());
          assertSame(backingArray(framed), backingArray(send.bytes()),
              "viewers of frame " + frame.sequence() + " get views of the same bytes, not copies");
        }
      }
      assertEquals(VIEWERS, sessions.size(), "every viewer's message for frame " + frame.sequence()
          + " went through the raw sender as the shared framed text");
    }
    for (JdkWsClient viewer : viewers) {
      List<String> texts = viewer.texts();
      for (int f = 0; f < FRAMES; f++) {
        assertEquals(published.get(f).dataUri(), texts.get(f), "viewer receives frame " + f + " as its data URI");
      }
    }
  }

  /** Bytes allocated so far by the registry's delivery threads (a figure for the log, not an assertion). */
  private static long deliveryThreadAllocations() {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long total = 0;
    for (ThreadInfo t : mx.dumpAllThreads(false, false)) {
      if (t.getThreadName().contains("-delivery-")) {
        total += Math.max(0, mx.getThreadAllocatedBytes(t.getThreadId()));
      }
    }
    return total;
  }

  /**
   * The array behind a heap buffer, read-only or not. No public API gives it for a read-only buffer, so this
   * reads the field through {@code sun.misc.Unsafe} (module jdk.unsupported), for this test only.
   */
  static Object backingArray(ByteBuffer buffer) {
    try {
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
      theUnsafe.setAccessible(true);
      Object unsafe = theUnsafe.get(null);
      Method offsetOf = unsafeClass.getMethod("objectFieldOffset", Field.class);
      Method getObject = unsafeClass.getMethod("getObject", Object.class, long.class);
      long offset = (long) offsetOf.invoke(unsafe, ByteBuffer.class.getDeclaredField("hb"));
      Object array = getObject.invoke(unsafe, buffer, offset);
      assertNotNull(array, "a heap buffer");
      return array;
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot read a buffer's backing array on this JDK", e);
    }
  }
}
