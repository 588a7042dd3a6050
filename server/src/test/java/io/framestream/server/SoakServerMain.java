package io.framestream.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * The soak's server, in a process of its own so that its heap, threads and file descriptors are its alone.
 * Prints {@code PORT <n>} when listening; serves {@code GET /diag} (heap after GC, live threads, open file
 * descriptors, WebSocket sessions, SSE viewers); stops when its standard input closes.
 */
public final class SoakServerMain {

  private SoakServerMain() {}

  /**
   * Runs the server until standard input closes.
   *
   * @param args unused
   * @throws IOException if standard input fails
   */
  public static void main(String[] args) throws IOException {
    ChannelRegistry registry = ChannelRegistry.builder()
        .channelDefaults(ChannelConfig.builder().stallTimeout(Duration.ofSeconds(2)).build()).build();
    FrameStreamServer[] server = new FrameStreamServer[1];
    server[0] = FrameStreamServer.builder().port(0).registry(registry).maxFrameBytes(256 * 1024)
        .handler("/diag", new HttpHandler() {
          @Override
          public void service(Request request, Response response) throws IOException {
            byte[] body = diagnostics(server[0]).toString().getBytes(StandardCharsets.UTF_8);
            response.setContentType("application/json");
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
          }
        })
        .build().start();
    registry.declare("soak");
    System.out.println("PORT " + server[0].port());
    System.out.flush();
    InputStream in = System.in;
    while (in.read() >= 0) {
      // wait for the parent to close our standard input
    }
    server[0].close();
    registry.close();
  }

  static ObjectNode diagnostics(FrameStreamServer server) {
    long heap = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      heap = Math.min(heap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    String[] fds = new File("/proc/self/fd").list();
    ObjectNode o = new ObjectMapper().createObjectNode();
    o.put("heapBytes", heap);
    o.put("threads", Thread.activeCount());
    o.put("fds", fds == null ? -1 : fds.length);
    o.put("webSocketSessions", server.webSocket().openSessions());
    o.put("sseViewers", server.sse().viewerCount());
    return o;
  }
}
