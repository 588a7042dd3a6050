package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Sources given as options: an MJPEG camera URL feeds its channel; a missing fMP4 file stops the start. */
class ExampleSourcesIT {

  @Test
  void anMjpegUrlFeedsItsChannel_whileSomeoneWatches() throws Exception {
    byte[] jpeg = jpeg();
    HttpServer camera = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    camera.createContext("/video.mjpg", exchange -> {
      exchange.getResponseHeaders().add("Content-Type", "multipart/x-mixed-replace; boundary=frame");
      exchange.sendResponseHeaders(200, 0);
      try (OutputStream out = exchange.getResponseBody()) {
        for (int i = 0; i < 50; i++) { // a camera sending five seconds of pictures, then hanging up
          out.write(("--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " + jpeg.length + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          out.write(jpeg);
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          Thread.sleep(100); // the camera's own pace, on the camera's thread
        }
      } catch (IOException | InterruptedException e) {
        // the viewer left
      }
    });
    camera.start();
    Options options = Options.parse("--port", "0", "--demo", "false", "--mjpeg",
        "door=http://127.0.0.1:" + camera.getAddress().getPort() + "/video.mjpg");
    try (ExampleServer example = ExampleServer.start(options)) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<InputStream> sse = http.send(HttpRequest.newBuilder(example.httpUri().resolve("sse/door")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, sse.statusCode());
      try (InputStream in = sse.body()) {
        String data = CompletableFuture.supplyAsync(() -> SseEvents.firstDataLine(in)).get(30, TimeUnit.SECONDS);
        assertTrue(data.startsWith("data: data:image/jpeg;base64,/9j/"), () -> data.substring(0, Math.min(80, data.length())));
      }
    } finally {
      camera.stop(0);
    }
  }

  @Test
  void aMissingFmp4FileStopsTheStartWithWhatToDo() {
    Path missing = Path.of("no-such-dir", "film.mp4");
    ExampleServer.StartupException e = org.junit.jupiter.api.Assertions.assertThrows(ExampleServer.StartupException.class,
        () -> ExampleServer.start(Options.parse("--port", "0", "--fmp4", "film=" + missing)));
    assertTrue(e.getMessage().contains("--fmp4 film=" + missing) && e.hint().contains("fragmented MP4"),
        e.getMessage() + " / " + e.hint());
  }

  private static byte[] jpeg() throws IOException {
    BufferedImage image = new BufferedImage(32, 24, BufferedImage.TYPE_INT_RGB);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "jpeg", out);
    return out.toByteArray();
  }
}
