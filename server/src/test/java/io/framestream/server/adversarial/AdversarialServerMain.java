package io.framestream.server.adversarial;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelStats;
import io.framestream.edge.Authorizer;
import io.framestream.edge.BearerTokens;
import io.framestream.edge.ViewerTickets;
import io.framestream.server.FrameStreamServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * The server of {@link AdversarialIT}, in a JVM of its own (started with {@code -Xmx128m
 * -XX:+ExitOnOutOfMemoryError}), so that its heap, threads and file descriptors are its alone and an
 * {@link OutOfMemoryError} ends the process where the test sees it.
 *
 * <p>Arguments: the publish token, then the viewer-ticket key in base64. Publishing needs the token
 * ({@link BearerTokens}), viewing a {@link ViewerTickets} ticket ({@link Authorizer#perAction}), as the
 * example server does with {@code --publish-token} and {@code --ticket-key}. Short timeouts, so that the
 * server can clean up within the test's time: stall timeout {@value #STALL_SECONDS} s, ping every {@value
 * #PING_SECONDS} s, pong timeout {@value #PONG_SECONDS} s, SSE heartbeat {@value #PING_SECONDS} s. All the
 * test's clients come from 127.0.0.1, so connections per address are raised to {@value
 * #MAX_CONNECTIONS_PER_ADDRESS} (the JDK 17 {@code HttpClient} cannot bind another local address). Everything
 * else is the server's default, {@code maxFrameBytes} included (8 MiB).
 *
 * <p>Protocol on standard streams, independent of the server's own threads (so it answers while they are
 * stuck): prints {@code PORT <n>} when listening; for each line {@code diag} read on standard input prints
 * {@code DIAG <json>} with heap after GC, live threads, open file descriptors, WebSocket sessions, SSE
 * viewers and the streamed channel's statistics; stops when standard input closes.
 *
 * <h2>Thread safety</h2>
 *
 * A program: its main thread serves the standard streams; the server runs on its own threads.
 */
public final class AdversarialServerMain {

  /** The channel the healthy publisher streams to. */
  public static final String CHANNEL = "live";
  /** Stall timeout of every channel, seconds. */
  public static final int STALL_SECONDS = 2;
  /** WebSocket ping interval and SSE heartbeat, seconds. */
  public static final int PING_SECONDS = 5;
  /** WebSocket pong timeout, seconds. */
  public static final int PONG_SECONDS = 10;
  /** Connections one address may hold open. */
  public static final int MAX_CONNECTIONS_PER_ADDRESS = 1024;

  private AdversarialServerMain() {}

  /**
   * Runs the server until standard input closes.
   *
   * @param args the publish token and the base64 ticket key
   * @throws Exception if the server cannot start or standard input fails
   */
  public static void main(String[] args) throws Exception {
    ViewerTickets tickets = ViewerTickets.withKey(Base64.getDecoder().decode(args[1]));
    ChannelRegistry registry = ChannelRegistry.builder()
        .channelDefaults(ChannelConfig.builder().stallTimeout(Duration.ofSeconds(STALL_SECONDS)).build())
        .build();
    FrameStreamServer server = FrameStreamServer.builder().port(0).registry(registry)
        .authorizer(Authorizer.perAction(BearerTokens.of(args[0]), tickets))
        .maxConnectionsPerAddress(MAX_CONNECTIONS_PER_ADDRESS)
        .webSocket(b -> b.pingInterval(Duration.ofSeconds(PING_SECONDS)).pongTimeout(Duration.ofSeconds(PONG_SECONDS)))
        .sse(b -> b.heartbeat(Duration.ofSeconds(PING_SECONDS)))
        .build().start();
    registry.declare(CHANNEL);
    System.out.println("PORT " + server.port());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.trim().equals("diag")) {
        System.out.println("DIAG " + diagnostics(server, registry));
        System.out.flush();
      }
    }
    server.close();
    registry.close();
  }

  private static ObjectNode diagnostics(FrameStreamServer server, ChannelRegistry registry) {
    long heap = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      heap = Math.min(heap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    String[] fds = new File("/proc/self/fd").list();
    ObjectNode o = new ObjectMapper().createObjectNode();
    o.put("heapBytes", heap);
    o.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
    o.put("fds", fds == null ? -1 : fds.length);
    o.put("webSocketSessions", server.webSocket().openSessions());
    o.put("sseViewers", server.sse().viewerCount());
    registry.find(CHANNEL).ifPresent(c -> {
      ChannelStats s = c.stats();
      o.put("subscribers", s.subscribers());
      o.put("publishers", s.publishers());
      o.put("framesIn", s.framesIn());
      o.put("evictions", s.evictions());
      o.put("drops", s.totalDrops());
    });
    o.put("channels", registry.channels().size());
    return o;
  }
}
