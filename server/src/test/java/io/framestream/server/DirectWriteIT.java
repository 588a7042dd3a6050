package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import io.framestream.server.internal.TyrusRawFrameSender;
import io.framestream.testkit.Await;
import io.framestream.transport.websocket.spi.RawFrameSender;
import io.framestream.transport.websocket.spi.RawFrameSender.FutureHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded server's fast path for viewers: each frame goes to the connection's Tyrus writer directly,
 * with a handler the viewer reuses for every frame (no per-send handler, future or adapter), and the
 * connection's order holds: the init text before the first frame, then every frame in sequence (W10, W11).
 */
class DirectWriteIT {

  private static final int VIEWERS = 3;
  private static final int FRAMES = 20;
  private static final int FRAME_BYTES = 40_000;

  private FrameStreamServer server;
  private final List<JdkWsClient> viewers = new ArrayList<>();

  @AfterEach
  void stop() {
    viewers.forEach(JdkWsClient::abort);
    if (server != null) {
      server.close();
    }
  }

  @Test
  void w10_directWritesReuseOneHandlerPerFrameInFlightAndKeepOrder() {
    Map<String, Set<SendHandlerIdentity>> handlersBySession = new ConcurrentHashMap<>();
    List<FutureHandler> handlers = new ArrayList<>();
    RawFrameSender tyrus = TyrusRawFrameSender.create();
    RawFrameSender watching = (session, frame, handler) -> {
      if ((frame.get(frame.position()) & 0x0F) == 0x1) {
        return tyrus.send(session, frame, handler); // a notice (text), sent through the same path to keep order
      }
      assertTrue(handler instanceof FutureHandler, "the viewer's fast path hands over a reusable handler");
      handlersBySession.computeIfAbsent(session.getId(), id -> ConcurrentHashMap.newKeySet())
          .add(new SendHandlerIdentity(handler));
      synchronized (handlers) {
        handlers.add((FutureHandler) handler);
      }
      return tyrus.send(session, frame, handler);
    };
    server = FrameStreamServer.builder().port(0).webSocket(b -> b.rawFrameSender(watching)).build().start();
    Channel channel = server.registry().channel("cam");
    for (int i = 0; i < VIEWERS; i++) {
      viewers.add(JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/cam")));
    }
    Await.until("viewers subscribed", () -> channel.subscriberCount() == VIEWERS);

    List<byte[]> published = new ArrayList<>();
    for (int f = 0; f < FRAMES; f++) {
      byte[] payload = WebSocketServerIT.jpeg(f, FRAME_BYTES);
      published.add(payload);
      channel.publish(Frame.of("image/jpeg", payload));
      int expected = f + 1;
      Await.until("frame " + f + " reaches every viewer",
          () -> viewers.stream().allMatch(v -> v.binaryCount() == expected));
    }

    int maxInFlight = channel.config().maxInFlight();
    assertEquals(VIEWERS, handlersBySession.size(), "every viewer's frames went through the raw sender");
    handlersBySession.forEach((session, used) -> assertTrue(used.size() <= maxInFlight,
        "viewer " + session + " used " + used.size() + " handlers for " + FRAMES + " frames; at most one per frame"
            + " in flight (" + maxInFlight + ") expected"));
    synchronized (handlers) {
      for (FutureHandler h : handlers) {
        assertNotNull(h.senderState(), "the Tyrus sender wrote directly and kept its completion adapter");
      }
    }
    for (JdkWsClient viewer : viewers) {
      List<JdkWsClient.Message> messages = viewer.messages();
      assertFalse(messages.isEmpty(), "viewer received messages");
      assertTrue(messages.get(0).isText(), "the init text comes first");
      List<byte[]> frames = viewer.binaries();
      assertEquals(FRAMES, frames.size(), "every frame, once");
      for (int f = 0; f < FRAMES; f++) {
        assertArrayEquals(published.get(f), frames.get(f), "frame " + f + " in order and intact");
      }
    }
  }

  /** A handler compared by identity (handlers may define equals). */
  private record SendHandlerIdentity(Object handler) {
    @Override
    public boolean equals(Object o) {
      return o instanceof SendHandlerIdentity other && other.handler == handler;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(handler);
    }
  }
}
