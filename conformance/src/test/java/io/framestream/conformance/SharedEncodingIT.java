package io.framestream.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import io.framestream.testkit.Await;
import io.framestream.transport.sse.internal.MjpegParts;
import io.framestream.transport.sse.internal.SseEvents;
import io.framestream.transport.websocket.spi.WebSocketFrames;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * W11, E1, J1: each frame's message is encoded and framed once, whatever the number of viewers: every viewer's
 * connection is handed the same read-only bytes (WebSocket, through the host's raw frame sender), and each
 * SSE event and each MJPEG part is built once per frame.
 */
class SharedEncodingIT extends ConformanceSuite {

  private static final int VIEWERS = 3;
  private static final int FRAMES = 5;

  @RuleTest
  void w11_e1_eachFrameIsEncodedOnceForEveryViewer(Combination c) throws Exception {
    Host host = host(c);
    if (c.transport().isWebSocket()) {
      String why = host.sharedFramesUnavailable();
      assumeTrue(why == null, why);
    }
    Channel channel = declare(host, "once");
    host.config().rawSends().watch(channel.name());
    try {
      List<ViewerClient> viewers = new ArrayList<>();
      for (int i = 0; i < VIEWERS; i++) {
        viewers.add(viewSubscribed(c, host, channel));
      }
      long encodedBefore = SseEvents.encoderRuns();
      long partsBefore = MjpegParts.encoderRuns();
      List<Frame> published = new ArrayList<>();
      for (int f = 0; f < FRAMES; f++) {
        published.add(channel.publish(TestFrames.image(f, 50_000)));
        int index = f;
        Await.until("frame " + f + " reaches every viewer",
            () -> viewers.stream().allMatch(v -> v.lastIndex() == index), BOUND);
      }
      if (c.transport() == Transport.MJPEG) {
        assertEquals(FRAMES, MjpegParts.encoderRuns() - partsBefore,
            "J1: one multipart part built per frame for " + VIEWERS + " viewers");
        return;
      }
      if (c.transport() == Transport.SSE) {
        assertEquals(FRAMES, SseEvents.encoderRuns() - encodedBefore,
            "E1: one data event built per frame for " + VIEWERS + " viewers");
        return;
      }
      FrameEncoding<ByteBuffer> framed = c.transport() == Transport.WS_BINARY ? WebSocketFrames.BINARY
          : WebSocketFrames.DATA_URI_TEXT;
      List<RawSends.Send> sends = host.config().rawSends().of(channel.name());
      for (Frame frame : published) {
        ByteBuffer shared = frame.encoded(framed);
        assertTrue(shared.isReadOnly(), "the shared message is read-only");
        Set<String> sessions = new HashSet<>();
        for (RawSends.Send send : sends) {
          if (send.bytes().equals(shared)) {
            assertTrue(sessions.add(send.sessionId()), "one message per viewer for frame " + frame.sequence());
            assertSame(backingArray(shared), backingArray(send.bytes()),
                "W11: viewers of frame " + frame.sequence() + " get views of the same bytes, not copies");
          }
        }
        assertEquals(VIEWERS, sessions.size(), "W11: every viewer was handed frame " + frame.sequence()
            + "'s shared message");
      }
    } finally {
      host.config().rawSends().forget(channel.name());
    }
  }

  /** The array behind a heap buffer, read-only or not (the test JVM opens java.nio for this). */
  static Object backingArray(ByteBuffer buffer) throws ReflectiveOperationException {
    Field hb = ByteBuffer.class.getDeclaredField("hb");
    hb.setAccessible(true);
    return hb.get(buffer);
  }
}
