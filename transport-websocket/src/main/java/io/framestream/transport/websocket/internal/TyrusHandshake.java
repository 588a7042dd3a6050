package io.framestream.transport.websocket.internal;

import jakarta.websocket.HandshakeResponse;
import java.util.List;
import org.glassfish.tyrus.spi.UpgradeResponse;

/**
 * Tyrus-only: refuses an upgrade with an HTTP status. Loaded only when Tyrus is on the class path. Throwing
 * from {@code modifyHandshake} would reset the socket instead (see the Tyrus notes), so the status is set.
 *
 * <p>Tyrus writes a refusal as a bare head and offers no way to give it a body, so the message travels as
 * the reason phrase (printable ASCII), and the answer says it has no body and that the connection closes.
 * A host's front filter that completes refused upgrades writes the message as the one JSON error body,
 * {@link io.framestream.edge.ErrorBody} of the reason phrase, with its length (the embedded server does).
 */
final class TyrusHandshake {
  // Tyrus treats 401 and 503 like 101 and upgrades the connection anyway: never refuse with those.

  private TyrusHandshake() {}

  static void refuse(HandshakeResponse response, int status, String reason) {
    if (response instanceof UpgradeResponse) {
      UpgradeResponse upgrade = (UpgradeResponse) response;
      upgrade.setStatus(status);
      upgrade.setReasonPhrase(reasonPhrase(reason));
      // Tyrus writes a refused handshake without a body length and keeps the connection: drop the upgrade
      // headers, say the response is empty and ask the client to close.
      upgrade.getHeaders().clear();
      upgrade.getHeaders().put("Content-Length", List.of("0"));
      upgrade.getHeaders().put("Connection", List.of("close"));
    }
  }

  /**
   * Tells whether Tyrus serves this handshake (and so can refuse it with a status). Tyrus on the class path
   * (the WebSocket client brings it) does not mean Tyrus is the container.
   *
   * @param response the handshake response
   * @return true on Tyrus
   */
  static boolean serves(HandshakeResponse response) {
    return response instanceof UpgradeResponse;
  }

  /** The message as a reason phrase: printable ASCII, anything else as {@code ?}. */
  static String reasonPhrase(String message) {
    StringBuilder sb = new StringBuilder(message.length());
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return sb.toString();
  }
}
