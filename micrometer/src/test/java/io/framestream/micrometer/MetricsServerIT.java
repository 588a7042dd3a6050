package io.framestream.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.framestream.core.ChannelRegistry;
import io.framestream.core.ImageFrames;
import io.framestream.server.FrameStreamServer;
import io.framestream.server.JdkWsClient;
import io.framestream.testkit.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rule O4 end to end: the embedded server serves {@code /metrics} (wired as the example server would) and a
 * real WebSocket publisher and real viewers cause exactly the values scraped over HTTP.
 */
class MetricsServerIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final int SIZE = 2_000;

  private final PrometheusScrape metrics = PrometheusScrape.create();
  private ChannelRegistry registry;
  private FrameStreamServer server;
  private final List<JdkWsClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    registry = ChannelRegistry.builder().build();
    server = FrameStreamServer.builder().port(0).host("127.0.0.1").registry(registry)
        .allowedOrigins("http://good.example")
        .handler("/metrics", new HttpHandler() {
          @Override
          public void service(Request request, Response response) throws Exception {
            response.setContentType(PrometheusScrape.CONTENT_TYPE);
            response.getWriter().write(metrics.scrape());
          }
        })
        .build();
    metrics.bind(FrameStreamMetrics.builder(server.registry()).accessGate(server.webSocket().accessGate()).build());
    server.start();
  }

  @AfterEach
  void stop() {
    clients.forEach(JdkWsClient::abort);
    server.close();
    registry.close();
    metrics.close();
  }

  private JdkWsClient connect(String path) {
    JdkWsClient c = JdkWsClient.connect(server.webSocketUri().resolve(path));
    clients.add(c);
    return c;
  }

  private HttpResponse<String> get(String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve(path)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private Map<String, Double> scrape() {
    return FrameStreamMetricsTest.samples(get("/metrics").body());
  }

  @Test
  void o4_metricsEndpointShowsWhatRealClientsDid() {
    JdkWsClient viewer1 = connect("/ws/live/cam1");
    JdkWsClient viewer2 = connect("/ws/live/cam1");
    Await.until("both viewers subscribed", () -> registry.find("cam1").map(c -> c.subscriberCount()).orElse(0) == 2);
    assertEquals(403, JdkWsClient.refusedStatus(server.webSocketUri().resolve("/ws/live/cam1"),
        "Origin", "http://evil.example"));
    JdkWsClient publisher = connect("/ws/publish/cam1");
    Await.until("publisher connected", () -> registry.channel("cam1").publisherCount() == 1);
    int n = 12;
    for (int i = 1; i <= n; i++) {
      publisher.sendBinary(ImageFrames.jpeg(i, SIZE));
      int sent = i;
      Await.until("frame " + i + " reached both viewers",
          () -> viewer1.binaryCount() == sent && viewer2.binaryCount() == sent);
    }
    String ch = "{channel=\"cam1\"}";
    Await.until("every delivery completed", () -> scrape().getOrDefault("framestream_frames_out_total" + ch, 0.0)
        == 2.0 * n);

    HttpResponse<String> response = get("/metrics");
    assertEquals(200, response.statusCode());
    assertEquals(PrometheusScrape.CONTENT_TYPE.replace(" ", ""), // Grizzly drops the space before charset
        response.headers().firstValue("Content-Type").orElse("").replace(" ", "").toLowerCase(java.util.Locale.ROOT));
    Map<String, Double> s = FrameStreamMetricsTest.samples(response.body());
    assertEquals(1.0, s.get("framestream_channels"));
    assertEquals(2.0, s.get("framestream_channel_viewers" + ch));
    assertEquals(1.0, s.get("framestream_channel_publishers" + ch));
    assertEquals(1.0, s.get("framestream_channel_online" + ch));
    assertEquals(n, s.get("framestream_frames_in_total" + ch));
    assertEquals((double) n * SIZE, s.get("framestream_in_bytes_total" + ch));
    assertEquals(2.0 * n, s.get("framestream_frames_out_total" + ch));
    assertEquals(2.0 * n * SIZE, s.get("framestream_out_bytes_total" + ch));
    assertEquals(2.0 * n, s.get("framestream_delivery_latency_seconds_count" + ch));
    assertEquals(0.0, s.get("framestream_drops_total{channel=\"cam1\",reason=\"superseded\"}"));
    assertEquals(0.0, s.get("framestream_evictions_total" + ch));
    assertEquals(1.0, s.get("framestream_refusals_total{cause=\"origin\"}"));
    assertEquals(0.0, s.get("framestream_refusals_total{cause=\"unauthorized\"}"));

    publisher.close();
    Await.until("offline", () -> scrape().getOrDefault("framestream_channel_online" + ch, -1.0) == 0.0);
  }
}
