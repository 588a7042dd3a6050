package io.framestream.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.testkit.Await;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What every rule class shares: the running hosts, channels of each test's own, the clients it opened (closed
 * after it), and the few assertions several rules make. Every test is bounded in time.
 */
@ExtendWith(Hosts.class)
@DisplayNameGeneration(RuleNames.class)
@Timeout(60)
abstract class ConformanceSuite {

  static final Duration BOUND = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger CHANNELS = new AtomicInteger();

  private final List<AutoCloseable> opened = new ArrayList<>();

  @AfterEach
  void closeClients() throws Exception {
    for (AutoCloseable c : opened) {
      c.close();
    }
    opened.clear();
  }

  /** The host of a combination, or the test is skipped where the host does not serve its transport. */
  static Host host(Combination c) {
    Host host = Hosts.get(c.host());
    c.transport().requireOn(host);
    return host;
  }

  /** Declares a channel of this test's own. */
  static Channel declare(Host host, String prefix) {
    return declare(host, prefix, ChannelConfig.DEFAULTS);
  }

  /** Declares a channel of this test's own, with its own configuration. */
  static Channel declare(Host host, String prefix, ChannelConfig config) {
    return host.registry().declare(prefix + "-" + CHANNELS.incrementAndGet(), config);
  }

  /** Connects a viewer, closed after the test. */
  ViewerClient view(Combination c, Host host, String channel, String... headers) {
    return keep(c.transport().view(host, channel, headers));
  }

  /** Connects a viewer and waits until the channel counts it. */
  ViewerClient viewSubscribed(Combination c, Host host, Channel channel) {
    int before = channel.subscriberCount();
    ViewerClient v = view(c, host, channel.name());
    Await.until("the viewer is subscribed to " + channel.name(), () -> channel.subscriberCount() > before, BOUND);
    return v;
  }

  /** Opens a viewer that never reads, closed after the test. */
  Socket neverReading(Combination c, Host host, String channel) throws IOException {
    return keep(c.transport().neverReading(host, channel));
  }

  /**
   * Connects a WebSocket publisher to {@code /ws/publish/{channel}} (closed after the test) and waits until it
   * holds the channel's publisher slot.
   */
  WsClient publisher(Host host, Channel channel) {
    WsClient p = keep(WsClient.connect(host.webSocketUri().resolve("/ws/publish/" + channel.name())));
    Await.until("the publisher holds " + channel.name(), () -> channel.publisherCount() == 1, BOUND);
    return p;
  }

  <T extends AutoCloseable> T keep(T closeable) {
    opened.add(closeable);
    return closeable;
  }

  /** Waits until a viewer of a channel has received frames with these test indices, and exactly these. */
  static void awaitFrames(ViewerClient viewer, Channel channel, List<Integer> indices) {
    int last = indices.get(indices.size() - 1);
    Await.until(() -> "frames " + indices + "; received " + viewer.events() + "; " + channel.stats(),
        () -> viewer.lastIndex() == last || viewer.isClosed(), BOUND); // a closed viewer fails at once, below
    assertEquals(indices, viewer.frameIndices(), () -> "frames received: " + viewer.events()
        + (viewer.isClosed() ? " (then the connection closed" + (viewer instanceof WsClient ws ? ": "
            + ws.closeReason() : "") + ")" : "") + "; " + channel.stats());
  }

  /**
   * Asserts how a refused request was answered. SSE and MJPEG, and WebSocket on a host that can refuse a handshake,
   * answer with the status, a length and {@code Connection: close}; with a JSON {@code error} body where it
   * is required. A standard container accepts the upgrade and closes at once with 1008 and the status at the
   * start of the reason (W4).
   */
  static void assertRefused(Combination c, Host host, RawHttp.Response r, int status, boolean jsonBody)
      throws IOException {
    if (!c.transport().isWebSocket() || host.refusesHandshakesWithStatus()) {
      assertEquals(status, r.status(), () -> "answer: " + r);
      assertTrue(r.headers().containsKey("content-length"), () -> "a complete answer, with its length: " + r);
      if (c.transport().isWebSocket()) {
        assertTrue(r.headers().getOrDefault("connection", "").contains("close"), () -> "Connection: close: " + r);
      }
      if (jsonBody) {
        JsonNode body = JSON.readTree(r.body());
        assertFalse(body.path("error").asText().isEmpty(), () -> "a JSON body with an error: " + r);
      }
      if (status == 401) {
        assertEquals("Bearer", r.headers().get("www-authenticate"), () -> "401 asks for a bearer token: " + r);
      }
    } else {
      assertEquals(101, r.status(), () -> "a container accepts the upgrade, then closes: " + r);
      assertEquals(1008, r.closeCode(), () -> "closed with 1008 right after the upgrade: " + r);
      assertTrue(r.closeReason().startsWith(status + " "), () -> "the reason starts with " + status + ": " + r);
    }
  }
}
