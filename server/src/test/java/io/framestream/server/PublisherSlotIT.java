package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.framestream.core.Channel;
import io.framestream.testkit.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** W7: one publisher slot, two publishers racing for it: the first to connect keeps it, the other gets 409. */
class PublisherSlotIT {

  private static final int ROUNDS = 30;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private FrameStreamServer server;

  @BeforeEach
  void start() {
    server = FrameStreamServer.builder().port(0).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** A publisher's side of one connection attempt: the handshake's outcome and any close. */
  static final class WsAttempt implements WebSocket.Listener {
    final CompletableFuture<WebSocket> handshake;
    final CompletableFuture<Integer> closed = new CompletableFuture<>();

    WsAttempt(URI uri) {
      handshake = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)).buildAsync(uri, this)
          .orTimeout(15, TimeUnit.SECONDS);
    }

    /** The connected socket, or {@code null} if the handshake failed (then {@link #refusal()} tells why). */
    WebSocket await() {
      try {
        return handshake.join();
      } catch (CompletionException e) {
        return null;
      }
    }

    /** The HTTP status of a refused handshake. */
    int refusal() {
      Throwable cause = handshake.handle((ws, t) -> t).join();
      assertNotNull(cause, "the handshake was refused");
      Throwable root = cause instanceof CompletionException ? cause.getCause() : cause;
      assertInstanceOf(WebSocketHandshakeException.class, root, "a handshake refusal, not " + root);
      return ((WebSocketHandshakeException) root).getResponse().statusCode();
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public java.util.concurrent.CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete(1006);
    }
  }

  @Test
  void w7_secondPublisherGets409AndTheFirstKeepsTheSlot() {
    URI uri = server.webSocketUri().resolve("/ws/publish/race");
    Channel channel = server.registry().channel("race");
    for (int round = 0; round < ROUNDS; round++) {
      String where = "round " + round;
      // The second handshake starts right after the first was sent: they race on the server.
      WsAttempt a = new WsAttempt(uri);
      WsAttempt b = new WsAttempt(uri);
      WebSocket wa = a.await();
      WebSocket wb = b.await();
      if ((wa == null) == (wb == null)) {
        if (wa != null) {
          wa.abort();
          wb.abort();
        }
        fail(where + ": exactly one of two racing publishers must be accepted, got "
            + (wa == null ? "none" : "both"));
      }
      WsAttempt winner = wa != null ? a : b;
      WebSocket socket = wa != null ? wa : wb;
      WsAttempt loser = wa != null ? b : a;
      assertEquals(409, loser.refusal(), where + ": the second publisher is refused in the handshake");

      long before = channel.stats().framesIn();
      socket.sendBinary(ByteBuffer.wrap(WebSocketServerIT.jpeg(round, 2_000)), true).orTimeout(15, TimeUnit.SECONDS).join();
      Await.until(where + ": the accepted publisher publishes", () -> channel.stats().framesIn() == before + 1);
      assertFalse(winner.closed.isDone(), where + ": the accepted publisher keeps its connection");
      assertEquals(1, channel.publisherCount(), where + ": one publisher holds the slot");

      socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(15, TimeUnit.SECONDS).join();
      winner.closed.orTimeout(15, TimeUnit.SECONDS).join();
      Await.until(where + ": the slot is free again", () -> channel.publisherCount() == 0);
    }
  }

  @Test
  void w7_theRefusalNamesTheLimit() throws IOException {
    WsAttempt first = new WsAttempt(server.webSocketUri().resolve("/ws/publish/solo"));
    WebSocket socket = first.await();
    assertNotNull(socket, "the first publisher is accepted");
    try (Socket raw = handshake("/ws/publish/solo")) {
      String response = readHead(raw.getInputStream());
      String statusLine = response.substring(0, Math.max(0, response.indexOf("\r\n")));
      assertTrue(statusLine.startsWith("HTTP/1.1 409 "), statusLine);
      assertTrue(statusLine.contains("maxPublishers 1"), "the reason names the limit: " + statusLine);
    } finally {
      socket.abort();
    }
    Await.until("the slot is free again", () -> server.registry().channel("solo").publisherCount() == 0);
  }

  @Test
  void w7_aPublisherThatVanishesAfterItsHandshakeLeavesTheSlotFree() throws IOException {
    Channel channel = server.registry().channel("gone");
    for (int i = 0; i < 3; i++) {
      try (Socket raw = handshake("/ws/publish/gone")) {
        Await.until("the handshake claimed the slot", () -> channel.publisherCount() == 1);
        raw.setSoLinger(true, 0); // then a reset
      }
      Await.until(() -> "the slot is released (publishers: " + channel.publisherCount() + ")",
          () -> channel.publisherCount() == 0, Duration.ofSeconds(20));
    }
    WsAttempt next = new WsAttempt(server.webSocketUri().resolve("/ws/publish/gone"));
    WebSocket socket = next.await();
    assertNotNull(socket, "a new publisher gets the slot");
    socket.abort();
  }

  /** Opens a socket and sends a publisher's upgrade request on it. */
  private Socket handshake(String path) throws IOException {
    Socket raw = new Socket(server.webSocketUri().getHost(), server.webSocketUri().getPort());
    raw.setSoTimeout(15_000);
    OutputStream out = raw.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return raw;
  }

  /** Reads a response's status line and headers (bounded by the socket timeout and 64 KiB). */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    for (int b; got.size() < 65_536 && (b = in.read()) >= 0; ) {
      got.write(b);
      if (got.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        break;
      }
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }
}
