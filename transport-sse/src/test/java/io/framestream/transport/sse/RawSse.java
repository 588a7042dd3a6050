package io.framestream.transport.sse;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 GET over a plain socket, for checking the exact bytes: the status line, the headers, and
 * the de-chunked body.
 */
final class RawSse implements AutoCloseable {

  final Socket socket;
  final String statusLine;
  final Map<String, String> headers = new LinkedHashMap<>();
  private final InputStream in;
  private final boolean chunked;
  private long chunkLeft;
  private boolean ended;

  private RawSse(Socket socket, String statusLine, InputStream in) {
    this.socket = socket;
    this.statusLine = statusLine;
    this.in = in;
    this.chunked = false;
  }

  private RawSse(Socket socket, String statusLine, InputStream in, Map<String, String> headers) {
    this.socket = socket;
    this.statusLine = statusLine;
    this.in = in;
    this.headers.putAll(headers);
    this.chunked = "chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", ""));
  }

  /** Connects and sends the request; reads nothing. */
  static Socket send(int port, String pathAndQuery, int receiveBuffer, String... extraHeaders)
      throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setSoTimeout(20_000);
    StringBuilder req = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
        + "\r\nAccept: text/event-stream\r\n");
    for (String h : extraHeaders) {
      req.append(h).append("\r\n");
    }
    req.append("\r\n");
    OutputStream out = s.getOutputStream();
    out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }

  /** Connects, sends the request and reads the status line and headers. */
  static RawSse open(int port, String pathAndQuery, String... extraHeaders) throws IOException {
    return open(port, pathAndQuery, 0, extraHeaders);
  }

  /** As {@link #open(int, String, String...)}, with a socket receive buffer of that size (0: the system's). */
  static RawSse open(int port, String pathAndQuery, int receiveBuffer, String... extraHeaders) throws IOException {
    Socket s = send(port, pathAndQuery, receiveBuffer, extraHeaders);
    InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 64 * 1024);
    String status = readLine(in);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    return new RawSse(s, status, in, headers);
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int i = 0; i < 16_384; i++) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("EOF in headers");
      }
      if (b == '\n') {
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      line.write(b);
    }
    throw new IOException("header line too long");
  }

  /** Reads one byte of the de-chunked body, or -1 at its end. */
  int read() throws IOException {
    if (ended) {
      return -1;
    }
    if (!chunked) {
      return in.read();
    }
    if (chunkLeft == 0) {
      String size = readLine(in);
      if (size.isEmpty()) {
        size = readLine(in); // the CRLF after the previous chunk
      }
      int semi = size.indexOf(';');
      chunkLeft = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
      if (chunkLeft == 0) {
        ended = true;
        return -1;
      }
    }
    int b = in.read();
    if (b < 0) {
      throw new EOFException("EOF inside a chunk");
    }
    chunkLeft--;
    return b;
  }

  /**
   * Reads the next chunk exactly as the wire must carry it (a size line without extensions, the data, CRLF)
   * and returns its data; an empty array for the last chunk. Use instead of the other reads.
   */
  byte[] readChunkStrictly() throws IOException {
    String size = readLine(in);
    if (!size.matches("[0-9a-fA-F]{1,8}")) {
      throw new IOException("not a chunk size line: '" + size + "'");
    }
    int n = Integer.parseInt(size, 16);
    byte[] data = in.readNBytes(n);
    if (data.length != n) {
      throw new EOFException("EOF inside a chunk");
    }
    if (in.read() != '\r' || in.read() != '\n') {
      throw new IOException("chunk of " + n + " bytes not followed by CRLF");
    }
    return data;
  }

  /** Reads up to {@code b.length} bytes of the de-chunked body; -1 at its end. */
  int read(byte[] b) throws IOException {
    if (ended) {
      return -1;
    }
    if (!chunked) {
      return in.read(b);
    }
    if (chunkLeft == 0) {
      int first = read();
      if (first < 0) {
        return -1;
      }
      b[0] = (byte) first;
      return 1;
    }
    int n = in.read(b, 0, (int) Math.min(b.length, chunkLeft));
    if (n < 0) {
      throw new EOFException("EOF inside a chunk");
    }
    chunkLeft -= n;
    return n;
  }

  /** Reads the body up to and including the next empty line ("\n\n"), as UTF-8 text; bounded. */
  String readBlock() throws IOException {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    int prev = -1;
    for (int i = 0; i < 64 << 20; i++) {
      int b = read();
      if (b < 0) {
        throw new EOFException("end of body after: " + block.toString(StandardCharsets.UTF_8));
      }
      block.write(b);
      if (b == '\n' && prev == '\n') {
        return block.toString(StandardCharsets.UTF_8);
      }
      prev = b;
    }
    throw new IOException("block too long");
  }

  /** Reads the rest of a non-streaming body (Content-Length or chunked). */
  String readAll() throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    String length = headers.get("content-length");
    if (length != null) {
      all.writeBytes(in.readNBytes(Integer.parseInt(length)));
    } else {
      for (int b = read(); b >= 0; b = read()) {
        all.write(b);
      }
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
