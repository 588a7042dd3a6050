package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The self-contained {@code target/framestream-server.jar}, started with {@code java -jar} as the README says:
 * the shaded Tyrus and Grizzly serve pages, WebSocket and SSE; settings come from FRAMESTREAM_* variables;
 * a taken port is a clear error; SIGTERM stops it.
 */
class RunnableJarIT {

  private static final Path MODULE = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
  private static final Path JAR = MODULE.resolve("target/framestream-server.jar");
  private static final Duration START = Duration.ofSeconds(60);

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @Test
  void portZeroFromTheEnvironment_servesPagesWebSocketSseAndAFileSource_untilSigterm() throws Exception {
    assertTrue(Files.isRegularFile(JAR), JAR + " is built by mvn package");
    Path sample = MODULE.resolve("src/main/resources/io/framestream/examples/video-demo.mp4");
    try (JavaProcess server = JavaProcess.start(MODULE, Map.of("FRAMESTREAM_PORT", "0",
        "FRAMESTREAM_FMP4_COMMAND", "film=cat '" + sample + "'"), "-Xmx256m", "-jar", JAR.toString())) {
      URI base = server.awaitAddress(START);
      assertTrue(base.getPort() > 0 && base.getPort() != 8080, base::toString);

      for (String page : new String[] {"", "live.html", "live-sse.html", "record.html", "live-video.html"}) {
        HttpResponse<String> r = get(base.resolve(page));
        assertEquals(200, r.statusCode(), page);
        assertTrue(r.body().contains("<html") || r.body().contains("<!doctype") || r.body().contains("<!DOCTYPE"), page);
      }
      assertTrue(get(base.resolve("api/channels")).body().contains("\"film\""), "the variable's source is a channel");

      // WebSocket through the shaded Tyrus: a binary frame from the demo pattern.
      CompletableFuture<Integer> firstBinary = new CompletableFuture<>();
      WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + base.getPort()
          + "/ws/live/demo"), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
              firstBinary.complete(data.remaining());
              socket.request(1);
              return null;
            }
          }).get(20, TimeUnit.SECONDS);
      assertTrue(firstBinary.get(30, TimeUnit.SECONDS) > 0);
      ws.abort();

      // SSE from the command source: its init segment and fragments arrive.
      HttpResponse<InputStream> sse = http.send(HttpRequest.newBuilder(base.resolve("sse/film")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, sse.statusCode());
      try (InputStream in = sse.body()) {
        String data = CompletableFuture.supplyAsync(() -> SseEvents.firstDataLine(in)).get(30, TimeUnit.SECONDS);
        assertTrue(data.startsWith("data: data:video/mp4"), () -> data.substring(0, Math.min(80, data.length())));
      }

      assertEquals(143, server.terminate(), "SIGTERM ends the JVM (128 + 15) after the shutdown hook");
      assertTrue(server.output().contains("framestream example server stopped"), server.output());
    }
  }

  @Test
  void aTakenPortSaysToUseDashDashPort_andNothingAboutNats() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        JavaProcess server = JavaProcess.start(MODULE, Map.of(), "-jar", JAR.toString(), "--port",
            String.valueOf(taken.getLocalPort()))) {
      assertEquals(1, server.awaitExit(START));
      String out = server.output();
      assertTrue(out.contains("Port " + taken.getLocalPort() + " is taken") && out.contains("--port"), out);
      assertTrue(!out.contains("nats") && !out.contains("null"), out);
    }
  }

  @Test
  void helpNamesEveryFlagWithItsVariable() throws Exception {
    try (JavaProcess help = JavaProcess.start(MODULE, Map.of(), "-jar", JAR.toString(), "--help")) {
      assertEquals(0, help.awaitExit(START));
      String out = help.output();
      for (Setting s : Setting.values()) {
        assertTrue(out.contains(s.flag) && (s.variable == null || out.contains(s.variable)), s.flag);
      }
      assertTrue(out.contains(Setting.RECOMMENDED_HEAP), out);
    }
  }

  private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

}
