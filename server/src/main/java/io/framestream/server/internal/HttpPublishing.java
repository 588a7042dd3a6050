package io.framestream.server.internal;

import io.framestream.core.AccessDecision;
import io.framestream.core.AccessRequest;
import io.framestream.core.Authorizer;
import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.LimitExceededException;
import io.framestream.core.NoSuchChannelException;
import io.framestream.core.Publisher;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * {@code POST /api/channels/{name}/frames}: one frame per request, the body being the frame (type from
 * {@code Content-Type}, else recognised from its bytes). For snapshots from scripts ({@code curl
 * --data-binary @shot.jpg}) and cameras that push over HTTP.
 *
 * <p>HTTP publishers of a channel share one {@link Publisher} handle, opened by the first post and closed
 * after {@link #IDLE} without posts, so HTTP publishing counts against {@code maxPublishers}, obeys the
 * publish rate limits and makes the channel online and, later, offline, like a WebSocket publisher.
 * Answers: 204 published; 400 invalid name; 401/403 authorizer; 404 unknown channel (declared-only
 * registries); 409 another publisher holds the channel; 413 body over {@code maxFrameBytes}; 415 unknown
 * format; 429 over the publish rate.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: Grizzly worker threads post concurrently; handles live in a concurrent map, closed by one
 * timer thread.
 */
public final class HttpPublishing implements AutoCloseable {

  /** How long an HTTP publisher's handle stays open after its last post. */
  public static final java.time.Duration IDLE = java.time.Duration.ofSeconds(10);

  private record Holder(Publisher publisher, long lastPostNanos) {}

  private final ChannelRegistry registry;
  private final Authorizer authorizer;
  private final int maxFrameBytes;
  private final ConcurrentHashMap<String, Holder> publishers = new ConcurrentHashMap<>();
  private final ScheduledThreadPoolExecutor timer;

  /**
   * Creates the handler's state; {@link #start()} starts its idle timer.
   *
   * @param registry the channels
   * @param authorizer decides who may publish
   * @param maxFrameBytes the largest body accepted
   */
  public HttpPublishing(ChannelRegistry registry, Authorizer authorizer, int maxFrameBytes) {
    this.registry = registry;
    this.authorizer = authorizer;
    this.maxFrameBytes = maxFrameBytes;
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "framestream-http-publishers");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts the timer that closes idle HTTP publisher handles. */
  public void start() {
    timer.scheduleAtFixedRate(this::closeIdle, 1, 1, TimeUnit.SECONDS);
  }

  /**
   * Handles one post to a channel whose name was validated.
   *
   * @param name the channel name
   * @param request the request
   * @param response the response
   * @throws IOException if answering fails
   */
  void post(String name, Request request, Response response) throws IOException {
    AccessDecision access = authorizer.authorize(
        AccessRequests.of(AccessRequest.Action.PUBLISH, name, request.getRemoteAddr(), request.getRequest()));
    if (!access.allowed()) {
      if (access.status() == 401) {
        response.setHeader("WWW-Authenticate", "Bearer");
      }
      ApiHandler.error(response, access.status(), access.reason());
      return;
    }
    long declared = request.getContentLengthLong();
    if (declared > maxFrameBytes) {
      ApiHandler.error(response, 413, "frame of " + declared + " bytes exceeds maxFrameBytes " + maxFrameBytes);
      return;
    }
    byte[] body = readAtMost(request.getInputStream(), maxFrameBytes);
    if (body == null) {
      ApiHandler.error(response, 413, "frame exceeds maxFrameBytes " + maxFrameBytes);
      return;
    }
    String type = request.getContentType();
    Optional<String> contentType;
    if (type != null && !type.isBlank() && !type.startsWith("application/octet-stream")
        && !type.startsWith("application/x-www-form-urlencoded")) {
      try {
        contentType = Optional.of(ContentTypes.requireValid(type));
      } catch (IllegalArgumentException e) {
        ApiHandler.error(response, 415, "invalid Content-Type: " + e.getMessage());
        return;
      }
    } else {
      contentType = ContentTypes.sniff(body);
    }
    if (contentType.isEmpty()) {
      ApiHandler.error(response, 415, "unknown frame format: send JPEG/PNG/WebP/GIF/MP4 or a Content-Type");
      return;
    }
    Frame.Builder frame = Frame.builder(body).contentType(contentType.get());
    if (ContentTypes.MP4.equals(contentType.get()) && ContentTypes.isMp4InitSegment(ByteBuffer.wrap(body))) {
      frame.kind(FrameKind.INIT);
    }
    Publisher publisher;
    try {
      publisher = publisher(name, request.getRemoteAddr());
    } catch (NoSuchChannelException e) {
      ApiHandler.error(response, 404, e.getMessage());
      return;
    } catch (LimitExceededException e) {
      ApiHandler.error(response, 409, e.getMessage());
      return;
    } catch (ChannelClosedException e) {
      ApiHandler.error(response, 503, "channel closed");
      return;
    }
    if (!publisher.publish(frame.build())) {
      ApiHandler.error(response, 429, "over the publish rate limit (maxPublishFps, maxPublishBytesPerSecond)");
      return;
    }
    response.setStatus(204);
  }

  /** The channel's shared HTTP publisher handle, opened if needed. */
  private Publisher publisher(String name, String remote) {
    Holder h = publishers.compute(name, (k, old) -> {
      if (old != null && !old.publisher.isClosed()) {
        return new Holder(old.publisher, System.nanoTime());
      }
      Channel channel = registry.channel(name);
      return new Holder(channel.openPublisher("HTTP " + remote), System.nanoTime());
    });
    return h.publisher;
  }

  private void closeIdle() {
    long now = System.nanoTime();
    for (Map.Entry<String, Holder> e : publishers.entrySet()) {
      if (now - e.getValue().lastPostNanos > IDLE.toNanos()) {
        if (publishers.remove(e.getKey(), e.getValue())) {
          e.getValue().publisher.close();
        }
      }
    }
  }

  private static byte[] readAtMost(InputStream in, int max) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[16 * 1024];
    for (int n; (n = in.read(buf)) >= 0; ) {
      if (out.size() + n > max) {
        return null;
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /** Closes every HTTP publisher handle and the timer. */
  @Override
  public void close() {
    timer.shutdownNow();
    for (Holder h : publishers.values()) {
      h.publisher.close();
    }
    publishers.clear();
  }
}
