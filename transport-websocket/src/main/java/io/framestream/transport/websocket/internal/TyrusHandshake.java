package io.framestream.transport.websocket.internal;

import jakarta.websocket.HandshakeResponse;
import java.util.List;
import org.glassfish.tyrus.spi.UpgradeResponse;

/**
 * Tyrus-only: refuses an upgrade with an HTTP status. Loaded only when Tyrus is on the class path. Throwing
 * from {@code modifyHandshake} would reset the socket instead (see the Tyrus notes), so the status is set.
 */
final class TyrusHandshake {
  // Tyrus treats 401 and 503 like 101 and upgrades the connection anyway: never refuse with those.

  private TyrusHandshake() {}

  static void refuse(HandshakeResponse response, int status, String reason) {
    if (response instanceof UpgradeResponse) {
      UpgradeResponse upgrade = (UpgradeResponse) response;
      upgrade.setStatus(status);
      upgrade.setReasonPhrase(reason);
      // Tyrus writes a refused handshake without a body length and keeps the connection: drop the upgrade
      // headers, say the response is empty and ask the client to close.
      upgrade.getHeaders().clear();
      upgrade.getHeaders().put("Content-Length", List.of("0"));
      upgrade.getHeaders().put("Connection", List.of("close"));
    }
  }
}
