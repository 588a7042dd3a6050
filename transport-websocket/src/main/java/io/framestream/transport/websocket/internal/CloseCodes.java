package io.framestream.transport.websocket.internal;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Close reasons that fit the protocol (at most 123 UTF-8 bytes) and a close that never throws. *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
public final class CloseCodes {

  /** RFC 6455: a close frame's reason is at most 123 bytes. */
  static final int MAX_REASON_BYTES = 123;

  private static final System.Logger LOG = System.getLogger(CloseCodes.class.getName());

  private CloseCodes() {}

  /**
   * Builds a close reason, shortening the text to 123 UTF-8 bytes and replacing control characters.
   *
   * @param code the close code
   * @param text the reason
   * @return the close reason
   */
  public static CloseReason reason(CloseReason.CloseCode code, String text) {
    StringBuilder sb = new StringBuilder(text.length());
    int bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      char safe = c < 0x20 || c == 0x7f || Character.isSurrogate(c) ? '?' : c;
      int len = String.valueOf(safe).getBytes(StandardCharsets.UTF_8).length;
      if (bytes + len > MAX_REASON_BYTES) {
        break;
      }
      sb.append(safe);
      bytes += len;
    }
    return new CloseReason(code, sb.toString());
  }

  /**
   * Closes a session, logging instead of throwing.
   *
   * @param session the session
   * @param reason the close reason
   */
  public static void closeQuietly(Session session, CloseReason reason) {
    try {
      if (session.isOpen()) {
        session.close(reason);
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "closing session " + session.getId() + " failed", e);
    }
  }
}
