package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pages from the class path: served, but no path traversal and no directory listing. */
class StaticPagesIT {

  private FrameStreamServer server;

  @BeforeEach
  void start() {
    server = FrameStreamServer.builder().port(0).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** Sends the request line as written (no client-side normalisation) and returns status line and body. */
  private String[] get(String rawPath) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + rawPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      for (int n; all.size() < 1 << 20 && (n = in.read(buf)) >= 0; ) {
        all.write(buf, 0, n);
      }
      String text = all.toString(StandardCharsets.ISO_8859_1);
      int headerEnd = text.indexOf("\r\n\r\n");
      return new String[] {text.substring(0, text.indexOf("\r\n")), headerEnd < 0 ? "" : text.substring(headerEnd + 4)};
    }
  }

  @Test
  void pagesAreServedFromTheClassPath() throws Exception {
    String[] index = get("/");
    assertTrue(index[0].contains(" 200 "), index[0]);
    assertTrue(index[1].contains("test index"));
    String[] file = get("/sub/a.txt");
    assertTrue(file[0].contains(" 200 "), file[0]);
    assertTrue(file[1].contains("sub file"));
    assertTrue(get("/missing.html")[0].contains(" 404 "));
  }

  @Test
  void noDirectoryListing() throws Exception {
    for (String dir : List.of("/sub/", "/sub")) {
      String[] r = get(dir);
      assertTrue(r[0].contains(" 404 "), dir + " -> " + r[0]);
      assertFalse(r[1].contains("a.txt"), "no listing for " + dir);
    }
  }

  @Test
  void noPathTraversal() throws Exception {
    for (String attack : List.of("/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/sub/..%2f..%2fsecret.txt", "/sub/%2e%2e/%2e%2e/secret.txt", "/.%2e/secret.txt", "/..\\secret.txt",
        "/%252e%252e/secret.txt", "/..%5csecret.txt", "/sub/../../secret.txt", "/%ff%fe", "//../secret.txt")) {
      String[] r = get(attack);
      assertFalse(r[1].contains("not for the web"), attack + " leaked the file: " + r[0]);
      assertTrue(r[0].contains(" 400 ") || r[0].contains(" 404 "), attack + " -> " + r[0]);
      if (r[0].contains(" 400 ")) {
        assertEquals("{\"error\":\"invalid request path\"}", r[1].trim(), attack);
      }
    }
    assertTrue(get("/").length == 2 && get("/")[0].contains(" 200 "), "the server keeps serving");
  }
}
