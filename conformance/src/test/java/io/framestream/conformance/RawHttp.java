package io.framestream.conformance;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One request over a plain socket, to see exactly what a host answers: the status, headers and body of a
 * refusal, or, for an accepted WebSocket upgrade, the close frame that follows it (how a standard container
 * refuses). Also opens viewers that never read.
 */
final class RawHttp {

  private static final int TIMEOUT_MILLIS = 10_000;

  /**
   * What came back.
   *
   * @param status the HTTP status
   * @param headers response headers, names in lower case
   * @param body the response body (empty after a 101)
   * @param closeCode after a 101: the code of the first close frame, or -1 if the connection ended without one
   * @param closeReason after a 101: that close frame's reason
   */
  record Response(int status, Map<String, String> headers, String body, int closeCode, String closeReason) {
    @Override
    public String toString() {
      return status + " " + headers + " " + body + (status == 101 ? " then close " + closeCode + " " + closeReason : "");
    }
  }

  private RawHttp() {}

  /**
   * Sends {@code GET pathAndQuery} (as a WebSocket upgrade if {@code upgrade}) with extra headers (name, value,
   * ...) and reads the answer.
   */
  static Response get(URI base, String pathAndQuery, boolean upgrade, String... headers) throws IOException {
    try (Socket socket = new Socket()) {
      socket.setSoTimeout(TIMEOUT_MILLIS);
      socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), TIMEOUT_MILLIS);
      socket.getOutputStream().write(request(base, pathAndQuery, upgrade, headers));
      InputStream in = socket.getInputStream();
      String head = readHead(in);
      String[] lines = head.split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> h = new TreeMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          h.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim(),
              (a, b) -> a + ", " + b);
        }
      }
      if (status == 101) {
        return closeFrame(in, status, h);
      }
      String length = h.get("content-length");
      byte[] body = length != null ? in.readNBytes(Integer.parseInt(length)) : in.readAllBytes();
      return new Response(status, h, new String(body, StandardCharsets.UTF_8), -1, "");
    }
  }

  /**
   * Opens a viewer that sends its request and then never reads: a 4 KiB receive buffer that fills at once, so
   * the server's writes back up (a stalled viewer).
   */
  static Socket neverReading(URI base, String pathAndQuery, boolean upgrade) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.setSoTimeout(TIMEOUT_MILLIS);
    socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), TIMEOUT_MILLIS);
    socket.getOutputStream().write(request(base, pathAndQuery, upgrade));
    return socket;
  }

  /** Reads what a never-reading viewer was sent, until the server ends the connection; false on timeout. */
  static boolean drainsToTheEnd(Socket socket) {
    byte[] buffer = new byte[64 * 1024];
    try {
      InputStream in = socket.getInputStream();
      while (in.read(buffer) >= 0) {
        // discard
      }
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the server: dropped at the socket
    }
  }

  private static byte[] request(URI base, String pathAndQuery, boolean upgrade, String... headers) {
    StringBuilder r = new StringBuilder("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n")
        .append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n");
    if (upgrade) {
      r.append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
          .append("Sec-WebSocket-Version: 13\r\n");
    } else {
      r.append("Accept: text/event-stream\r\n");
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      r.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    return r.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed in the response head: " + head);
      }
      head.write(b);
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
          ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** After a 101: skips data frames until the first close frame (server frames are not masked). */
  private static Response closeFrame(InputStream in, int status, Map<String, String> headers) throws IOException {
    while (true) {
      int b0 = in.read();
      int b1 = in.read();
      if (b0 < 0 || b1 < 0) {
        return new Response(status, headers, "", -1, "");
      }
      long length = b1 & 0x7F;
      if (length == 126) {
        length = (in.read() << 8) | in.read();
      } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) {
          length = (length << 8) | in.read();
        }
      }
      byte[] payload = in.readNBytes((int) length);
      if ((b0 & 0x0F) == 0x8) {
        int code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        String reason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        return new Response(status, headers, "", code, reason);
      }
    }
  }

  /** Sends the client's close frame (masked, as a client must), for a polite end of an upgraded socket. */
  static void sendClose(OutputStream out) throws IOException {
    out.write(new byte[] {(byte) 0x88, (byte) 0x80, 0, 0, 0, 0});
  }
}
