package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.ChannelRegistry;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule W4: a handshake the endpoint refuses gets a complete answer (the JSON error body with its length), and
 * then the connection is closed.
 */
class RefusedHandshakeIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private FrameStreamServer server;
  private OversizeFrameIT.RawWebSocket socket;

  @AfterEach
  void stop() {
    if (socket != null) {
      socket.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void w4_aRefusedHandshakeClosesTheConnection() throws Exception {
    server = FrameStreamServer.builder().port(0).build().start();
    socket = OversizeFrameIT.RawWebSocket.request(server.port(), "/ws/live/bad!name");
    String head = socket.readHead();
    assertTrue(head.startsWith("HTTP/1.1 400"), head);
    assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json"), head);
    String body = socket.readBody(head);
    assertTrue(JSON.readTree(body).get("error").asText().contains("channel name"), body);
    assertTrue(socket.awaitEof(Duration.ofSeconds(5)), "connection closed after the 400: " + head);
  }

  @Test
  void w4_aHandshakeToAnUndeclaredChannelClosesTheConnection() throws Exception {
    ChannelRegistry registry = ChannelRegistry.builder().createOnDemand(false).build();
    try {
      server = FrameStreamServer.builder().port(0).registry(registry).build().start();
      socket = OversizeFrameIT.RawWebSocket.request(server.port(), "/ws/live/nobody");
      String head = socket.readHead();
      assertTrue(head.startsWith("HTTP/1.1 404"), head);
      String body = socket.readBody(head);
      assertEquals(1, JSON.readTree(body).size(), body);
      assertTrue(JSON.readTree(body).get("error").asText().contains("nobody"), body);
      assertTrue(socket.awaitEof(Duration.ofSeconds(5)), "connection closed after the 404: " + head);
    } finally {
      server.close();
      registry.close();
    }
  }
}
