package io.framestream.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessDecision;
import io.framestream.edge.AccessGate;
import io.framestream.edge.Authorizer;
import io.framestream.testkit.Await;
import io.framestream.transport.websocket.WebSocketTransport;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Boots real Spring Boot applications (Tomcat 11 on 127.0.0.1, port 0) with the starter found through
 * {@code AutoConfiguration.imports}, and checks what the properties and the application's own beans decide.
 * The wire rules themselves run on this host in the conformance suite (host SPRING_BOOT).
 */
@Timeout(120)
class FrameStreamAutoConfigurationTest {

  private static final Duration BOUND = Duration.ofSeconds(20);
  /** The smallest message recognised as a JPEG image (W1): start and end markers around a few bytes. */
  private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 0, 0, 1, (byte) 0xFF,
      (byte) 0xD9};
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /** An application with nothing of its own: everything comes from the starter. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class PlainApp {}

  /** An application with its own registry and authorizer. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class OwnBeansApp {
    static final ChannelRegistry REGISTRY = ChannelRegistry.builder().createOnDemand(false).build();

    @Bean
    ChannelRegistry myRegistry() {
      return REGISTRY;
    }

    @Bean
    Authorizer myAuthorizer() {
      return request -> AccessDecision.forbidden("nobody, says the application");
    }
  }

  static ConfigurableApplicationContext boot(Class<?> app, String... properties) {
    SpringApplication application = new SpringApplication(app);
    Map<String, Object> defaults = new java.util.HashMap<>();
    defaults.put("server.port", "0");
    defaults.put("server.address", "127.0.0.1");
    defaults.put("spring.main.banner-mode", "off");
    for (String p : properties) {
      int eq = p.indexOf('=');
      defaults.put(p.substring(0, eq), p.substring(eq + 1));
    }
    application.setDefaultProperties(defaults);
    return application.run();
  }

  static int port(ConfigurableApplicationContext context) {
    return Integer.parseInt(context.getEnvironment().getRequiredProperty("local.server.port"));
  }

  static int status(int port, String path) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(BOUND).build();
    return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /**
   * R2, W1, W6 and E on the application's own port: declared channels only, the properties' paths and frame
   * limit, publishing with the token only, a frame from a WebSocket publisher reaches an SSE viewer, the
   * health component counts them, and closing the context closes the registry.
   */
  @Test
  void r2_w6_propertiesConfigureRegistryGateAndPaths() throws Exception {
    ChannelRegistry registry;
    try (ConfigurableApplicationContext context = boot(PlainApp.class,
        "framestream.create-on-demand=false", "framestream.channels=cam1",
        "framestream.max-frame-bytes=64KB", "framestream.max-viewers=3",
        "framestream.websocket.path=/streams/ws", "framestream.sse.path=/streams/sse",
        "framestream.publish-token=s3cret-publisher-token")) {
      int port = port(context);
      registry = context.getBean(ChannelRegistry.class);
      Channel cam1 = registry.find("cam1").orElseThrow();
      assertEquals(3, cam1.config().maxSubscribers(), "framestream.max-viewers");
      assertEquals(64 * 1024, context.getBean(WebSocketTransport.class).maxFrameBytes());

      assertEquals(404, status(port, "/streams/sse/undeclared"), "R2: an undeclared channel is 404");
      assertEquals(404, status(port, "/sse/cam1"), "nothing at the default path");
      assertEquals(200, status(port, "/api/channels"), "the statistics the pages poll");
      HttpResponse<String> summary = HTTP.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/api/channels/cam1")).timeout(BOUND).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, summary.statusCode());
      assertTrue(summary.body().contains("\"online\":false") && summary.body().contains("\"source\":\"none\""),
          "the same summary as the embedded server's: " + summary.body());
      assertEquals(404, status(port, "/api/channels/undeclared"));

      try (SseLines viewer = SseLines.open(port, "/streams/sse/cam1")) {
        assertTrue(viewer.statusLine().contains(" 200"), viewer.statusLine());
        Await.until("the SSE viewer is subscribed", () -> cam1.subscriberCount() == 1, BOUND);

        Listener refused = new Listener();
        WebSocket anonymous = connect(port, "/streams/ws/publish/cam1", refused, null);
        int code = refused.closed.get(20, TimeUnit.SECONDS);
        assertEquals(1008, code, "W6: a publisher without the token is refused");
        assertTrue(refused.reason.startsWith("401 "), refused.reason);
        anonymous.abort();

        Listener accepted = new Listener();
        WebSocket publisher = connect(port, "/streams/ws/publish/cam1", accepted, "s3cret-publisher-token");
        Await.until("the publisher holds cam1", () -> cam1.publisherCount() == 1, BOUND);
        publisher.sendBinary(ByteBuffer.wrap(JPEG), true).get(20, TimeUnit.SECONDS);
        viewer.awaitLine("event: data");

        Health health = context.getBean(FrameStreamHealthIndicator.class).health();
        assertEquals(Status.UP, health.getStatus());
        assertEquals(1, health.getDetails().get("channels"));
        assertEquals(1L, health.getDetails().get("viewers"));
        assertEquals(1L, health.getDetails().get("publishers"));

        MeterRegistry meters = context.getBean(MeterRegistry.class);
        assertEquals(1.0, meters.get("framestream.channels").gauge().value(), "framestream-micrometer is bound");
        assertEquals(1.0, meters.get("framestream.channel.viewers").tag("channel", "cam1").gauge().value());
        Await.until("the frame is counted in", () -> meters.get("framestream.frames.in").tag("channel", "cam1")
            .functionCounter().count() == 1.0, BOUND);
        assertEquals(1.0, meters.get("framestream.refusals").tag("cause", "unauthorized").functionCounter().count(),
            "the gate's refusal of the anonymous publisher");
        publisher.abort();
      }
    }
    assertTrue(registry.isClosed(), "the registry closes with the context");
  }

  /** The application's own registry and authorizer win; channels are created on demand by default. */
  @Test
  void w6_applicationBeansReplaceTheStartersOwn() throws Exception {
    try (ConfigurableApplicationContext context = boot(OwnBeansApp.class)) {
      assertSame(OwnBeansApp.REGISTRY, context.getBean(ChannelRegistry.class));
      AccessGate gate = context.getBean(AccessGate.class);
      assertEquals(403, gate.admit(io.framestream.edge.AccessRequest.Action.VIEW, "x", "127.0.0.1",
          Map.of(), Map.of()).status(), "the application's authorizer decides");
      OwnBeansApp.REGISTRY.declare("mine");
      assertEquals(403, status(port(context), "/sse/mine"));
    }
  }

  /** Without a token or an authorizer bean, publishing is refused; viewing is open; channels on demand. */
  @Test
  void w6_publishingIsOffWithoutTokenOrAuthorizer() throws Exception {
    try (ConfigurableApplicationContext context = boot(PlainApp.class)) {
      AccessGate gate = context.getBean(AccessGate.class);
      AccessGate.Verdict publish = gate.admit(io.framestream.edge.AccessRequest.Action.PUBLISH, "cam", "127.0.0.1",
          Map.of(), Map.of());
      assertEquals(403, publish.status());
      assertTrue(publish.message().contains("framestream.publish-token"), publish.message());
      try (SseLines viewer = SseLines.open(port(context), "/sse/on-demand")) {
        assertTrue(viewer.statusLine().contains(" 200"), viewer.statusLine());
        viewer.awaitLine("event: init");
      }
    }
    try (ConfigurableApplicationContext context = boot(PlainApp.class, "framestream.allow-anonymous-publish=true")) {
      assertTrue(context.getBean(AccessGate.class).admit(io.framestream.edge.AccessRequest.Action.PUBLISH, "cam",
          "127.0.0.1", Map.of(), Map.of()).allowed());
    }
  }

  /** Each transport and the meters can be turned off; an invalid path stops the start with the property's name. */
  @Test
  void transportsCanBeTurnedOffAndPathsAreChecked() throws Exception {
    try (ConfigurableApplicationContext context = boot(PlainApp.class, "framestream.websocket.enabled=false",
        "framestream.sse.enabled=false", "framestream.metrics.enabled=false")) {
      assertTrue(context.getBeansOfType(WebSocketTransport.class).isEmpty());
      assertTrue(context.getBean(MeterRegistry.class).find("framestream.channels").gauge() == null);
      assertFalse(context.containsBean("framestreamSseServlet"));
      assertEquals(404, status(port(context), "/sse/cam"));
      context.getBean(ChannelRegistry.class);
    }
    Exception e = assertThrows(Exception.class, () -> boot(PlainApp.class, "framestream.sse.path=/sse/*").close());
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    assertTrue(root.getMessage().contains("framestream.sse.path"), root::getMessage);
  }

  static WebSocket connect(int port, String path, Listener listener, String token)
      throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
    WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(BOUND);
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder.buildAsync(URI.create("ws://127.0.0.1:" + port + path), listener).get(20, TimeUnit.SECONDS);
  }

  /** Records how a WebSocket closed. */
  static final class Listener implements WebSocket.Listener {
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    volatile String reason = "";

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String why) {
      reason = why;
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.completeExceptionally(error);
    }
  }

  /** An SSE request over a plain socket, read line by line on a thread of its own. */
  static final class SseLines implements AutoCloseable {
    private final Socket socket;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private SseLines(Socket socket) {
      this.socket = socket;
      this.reader = new Thread(this::read, "sse-lines");
      reader.setDaemon(true);
      reader.start();
    }

    static SseLines open(int port, String path) throws IOException {
      Socket socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout((int) BOUND.toMillis() * 3);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      SseLines lines = new SseLines(socket);
      Await.until("the SSE answer's status line", () -> !lines.lines.isEmpty(), BOUND);
      return lines;
    }

    private void read() {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
        }
      } catch (IOException closed) {
        // the test closed the socket, or the server did
      }
    }

    String statusLine() {
      return lines.get(0);
    }

    void awaitLine(String line) {
      Await.until(() -> "a line '" + line + "' in " + lines, () -> lines.contains(line), BOUND);
    }

    @Override
    public void close() throws IOException, InterruptedException {
      socket.close();
      reader.join(BOUND.toMillis());
    }
  }
}
