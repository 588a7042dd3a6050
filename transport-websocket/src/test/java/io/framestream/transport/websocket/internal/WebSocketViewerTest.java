package io.framestream.transport.websocket.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.transport.websocket.spi.RawFrameSender;
import io.framestream.transport.websocket.spi.SessionAborter;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** W10 on containers that take one asynchronous send at a time (as Tomcat does): order and no refusals. */
class WebSocketViewerTest {

  /**
   * A connection that, like Tomcat, refuses a send while another is in progress, and completes sends only
   * when the test says so. Records what it was given, in order: texts as strings, binaries as their first
   * payload byte.
   */
  static final class OneAtATimeConnection {
    final List<Object> sent = new ArrayList<>();
    private SendHandler pending;
    private int refusals;

    synchronized void send(Object message, SendHandler handler) {
      if (pending != null) {
        refusals++;
        throw new IllegalStateException("a send is in progress");
      }
      sent.add(message);
      pending = handler;
    }

    /** Completes the send in progress, if any. */
    boolean completeOne() {
      SendHandler h;
      synchronized (this) {
        h = pending;
        pending = null;
      }
      if (h != null) {
        h.onResult(new SendResult((Session) null));
      }
      return h != null;
    }

    synchronized List<Object> sent() {
      return new ArrayList<>(sent);
    }

    synchronized int refusals() {
      return refusals;
    }

    Session session() {
      RemoteEndpoint.Async async = (RemoteEndpoint.Async) Proxy.newProxyInstance(getClass().getClassLoader(),
          new Class<?>[] {RemoteEndpoint.Async.class}, (proxy, method, args) -> {
            if (method.getName().equals("sendText") && args.length == 2) {
              send(args[0], (SendHandler) args[1]);
            } else if (method.getName().equals("sendBinary") && args.length == 2) {
              send(((ByteBuffer) args[0]).get(0), (SendHandler) args[1]);
            } else {
              throw new UnsupportedOperationException(method.getName());
            }
            return null;
          });
      HashMap<String, Object> props = new HashMap<>();
      return (Session) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Session.class},
          (proxy, method, args) -> {
            switch (method.getName()) {
              case "getAsyncRemote":
                return async;
              case "isOpen":
                return true;
              case "getId":
                return "s1";
              case "getUserProperties":
                return props;
              case "hashCode":
                return System.identityHashCode(proxy);
              case "equals":
                return proxy == args[0];
              default:
                return null;
            }
          });
    }
  }

  private final ChannelRegistry registry = ChannelRegistry.builder()
      .channelDefaults(ChannelConfig.builder().maxInFlight(4).build()).build();

  @AfterEach
  void close() {
    registry.close();
  }

  private static void await(String what, BooleanSupplier condition) {
    await(() -> what, condition);
  }

  private static void await(java.util.function.Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out waiting for: " + what.get());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  private static Frame image(int index, int width) {
    byte[] payload = new byte[100];
    payload[0] = (byte) index;
    return Frame.builder(payload).contentType("image/jpeg").dimensions(width, 240).build();
  }

  @Test
  void w10_oneSendAtATimeInChannelOrderWhenTheContainerDoesNotQueue() {
    Channel channel = registry.channel("cam");
    OneAtATimeConnection connection = new OneAtATimeConnection();
    WebSocketViewer viewer =
        new WebSocketViewer(connection.session(), channel, false, SessionAborter.GRACEFUL, RawFrameSender.PORTABLE);
    viewer.start();
    await("the join init is sent", () -> connection.sent().size() == 1);
    connection.completeOne();
    await("subscribed", () -> channel.subscriberCount() == 1);

    // Four frames in flight at once (maxInFlight 4); three of them need an init text first.
    int[] widths = {320, 640, 640, 800};
    for (int i = 0; i < widths.length; i++) {
      channel.publish(image(i + 1, widths[i]));
      int inFlight = i + 1;
      await("frame " + inFlight + " handed to the viewer", () -> channel.stats().inFlightFrames() == inFlight);
    }
    await(() -> "every message handed over, one at a time; got " + describe(connection.sent()) + ", refusals "
        + connection.refusals(), () -> {
      connection.completeOne();
      return connection.sent().size() == 8 && !connection.completeOne();
    });

    List<Object> sent = connection.sent();
    assertEquals(0, connection.refusals(), "never a second send while one is in progress");
    String[] expected = {"init", "init:320", "1", "init:640", "2", "3", "init:800", "4"};
    for (int i = 0; i < expected.length; i++) {
      Object m = sent.get(i);
      String got = m instanceof String ? "init" + widthOf((String) m) : String.valueOf(m);
      if (!got.equals(expected[i])) {
        fail("message " + i + ": expected " + expected[i] + ", got " + got + " in " + describe(sent));
      }
    }
    assertTrue(channel.stats().framesIn() == 4);
    viewer.stop();
  }

  private static String widthOf(String json) {
    int at = json.indexOf("\"width\":");
    if (at < 0 || json.indexOf("\"lastSequence\":0") >= 0) {
      return "";
    }
    int end = at + 8;
    while (end < json.length() && Character.isDigit(json.charAt(end))) {
      end++;
    }
    return ":" + json.substring(at + 8, end);
  }

  private static String describe(List<Object> sent) {
    List<String> out = new ArrayList<>();
    for (Object m : sent) {
      out.add(m instanceof String ? "init" + widthOf((String) m) : String.valueOf(m));
    }
    return out.toString();
  }
}
