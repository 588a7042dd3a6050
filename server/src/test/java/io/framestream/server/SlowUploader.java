package io.framestream.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A raw-socket HTTP client that posts a frame as slowly as an attacker would: the request headers at
 * once (with a declared {@code Content-Length}), then the body a few bytes at a time, when the test says
 * so. Reads the answer with a bounded wait.
 */
final class SlowUploader implements AutoCloseable {

  private final Socket socket;
  private final OutputStream out;
  private final byte[] body;
  private int sent;
  private volatile boolean closedByServer;

  private SlowUploader(Socket socket, byte[] body) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.body = body;
  }

  /**
   * Connects and sends the request line and headers of {@code POST path} with a declared body of {@code
   * body.length} bytes; no body byte yet.
   */
  static SlowUploader start(URI server, String path, byte[] body) throws IOException {
    Socket s = new Socket(server.getHost(), server.getPort());
    s.setTcpNoDelay(true);
    SlowUploader u = new SlowUploader(s, body);
    String head = "POST " + path + " HTTP/1.1\r\nHost: " + server.getHost() + ":" + server.getPort()
        + "\r\nContent-Type: image/jpeg\r\nContent-Length: " + body.length + "\r\n\r\n";
    u.out.write(head.getBytes(StandardCharsets.US_ASCII));
    u.out.flush();
    return u;
  }

  /** Sends the next {@code n} body bytes (fewer at the end); false if the server closed the connection. */
  boolean send(int n) {
    int len = Math.min(n, body.length - sent);
    try {
      out.write(body, sent, len);
      out.flush();
      sent += len;
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Sends the rest of the body. */
  boolean finish() {
    return send(body.length - sent);
  }

  /**
   * Reads what the server answered until it closes the connection or {@code wait} passes; an empty string
   * when nothing came.
   */
  String answer(Duration wait) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[4096];
    while (System.nanoTime() < deadline) {
      socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException e) {
        break;
      } catch (IOException e) {
        break; // reset after the answer: what came is what counts
      }
      if (n < 0) {
        closedByServer = true;
        break;
      }
      got.write(buf, 0, n);
      if (complete(got.toString(StandardCharsets.ISO_8859_1))) {
        break;
      }
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  /** True once {@link #answer} saw the server close the connection. */
  boolean closedByServer() {
    return closedByServer;
  }

  /** Waits (bounded) for the server to close the connection after its answer. */
  boolean awaitClose(Duration wait) throws IOException {
    answer(wait);
    return closedByServer;
  }

  private boolean complete(String response) {
    int end = response.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    String head = response.substring(0, end).toLowerCase();
    if (status(response) == 204) {
      return true;
    }
    int at = head.indexOf("content-length:");
    if (at < 0) {
      return false; // read to the end of the connection
    }
    int eol = head.indexOf("\r\n", at);
    int length = Integer.parseInt(head.substring(at + 15, eol < 0 ? head.length() : eol).trim());
    return response.length() - end - 4 >= length;
  }

  /** The status code of an answer, or -1. */
  static int status(String answer) {
    if (!answer.startsWith("HTTP/1.1 ") || answer.length() < 12) {
      return -1;
    }
    return Integer.parseInt(answer.substring(9, 12));
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
