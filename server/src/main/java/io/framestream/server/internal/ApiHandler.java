package io.framestream.server.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.framestream.core.Channel;
import io.framestream.core.ChannelNames;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelSummary;
import io.framestream.edge.ErrorBody;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.glassfish.grizzly.http.Method;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * {@code GET /api/channels} (every channel's statistics) and {@code GET /api/channels/{name}} (one
 * channel's), as JSON, each with its online state, kind, codec and size (see {@link #describe(Channel, ChannelRegistry)}), and {@code POST /api/channels/{name}/frames} (see {@link HttpPublishing}). Bad
 * requests get a status and the JSON {@link ErrorBody}.
 *
 * <p>No answer waits for the peer: before writing, the handler asks whether the connection's write queue
 * has room; a peer whose queue is full (it stopped reading earlier answers) is dropped instead.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe and stateless apart from the registry; Grizzly calls it from its worker threads.
 */
public final class ApiHandler extends HttpHandler {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "/api/channels";
  private static final String FRAMES = "/frames";

  private final ChannelRegistry registry;
  private final HttpPublishing publishing;

  /**
   * Creates the handler.
   *
   * @param registry the channels to report on
   * @param publishing handles {@code POST /api/channels/{name}/frames}
   */
  public ApiHandler(ChannelRegistry registry, HttpPublishing publishing) {
    this.registry = registry;
    this.publishing = publishing;
  }

  @Override
  public void service(Request request, Response response) throws IOException {
    response.setHeader("Cache-Control", "no-cache");
    String path = request.getRequestURI();
    if (path.startsWith(PREFIX + "/") && path.endsWith(FRAMES)) {
      String name = path.substring(PREFIX.length() + 1, path.length() - FRAMES.length());
      if (!Method.POST.equals(request.getMethod())) {
        response.setHeader("Allow", "POST");
        HttpPublishing.refuseUnread(request, response, 405,
            "method " + request.getMethod().getMethodString() + " not allowed; POST a frame");
      } else if (!ChannelNames.isValid(name)) {
        HttpPublishing.refuseUnread(request, response, 400, invalidName(name));
      } else {
        publishing.post(name, request, response);
      }
      return;
    }
    if (!Method.GET.equals(request.getMethod()) && !Method.HEAD.equals(request.getMethod())) {
      response.setHeader("Allow", "GET, HEAD");
      HttpPublishing.refuseUnread(request, response, 405,
          "method " + request.getMethod().getMethodString() + " not allowed; use GET");
      return;
    }
    if (path.equals(PREFIX) || path.equals(PREFIX + "/")) {
      ArrayNode list = JSON.createArrayNode();
      for (Channel c : registry.channels()) {
        list.add(describe(c, registry));
      }
      ObjectNode body = JSON.createObjectNode();
      body.set("channels", list);
      write(response, 200, body);
      return;
    }
    if (!path.startsWith(PREFIX + "/")) {
      HttpPublishing.refuseUnread(request, response, 404, "no such resource; see /api/channels");
      return;
    }
    String name = path.substring(PREFIX.length() + 1);
    if (!ChannelNames.isValid(name)) {
      HttpPublishing.refuseUnread(request, response, 400, invalidName(name));
      return;
    }
    Optional<Channel> channel = registry.find(name);
    if (channel.isEmpty()) {
      HttpPublishing.refuseUnread(request, response, 404, "no channel named '" + name + "'");
      return;
    }
    write(response, 200, describe(channel.get(), registry));
  }

  /**
   * A channel's statistics, and what a dashboard wants at a glance: {@code online} (a publisher, HTTP
   * poster or running source is attached), {@code state} ({@code "online"}, {@code "offline"}, or null
   * before its first publisher), {@code kind} ({@code "video"} for a codec stream with an init segment, else
   * the top-level type of the newest frame, such as {@code "image"}), and {@code codec}, {@code width} and
   * {@code height} of the newest frame or, for video, of its init segment; null where not known; and {@code
   * source}: {@code "none"}, {@code "idle"} (attached, waiting for a viewer) or {@code "running"}.
   */
  static ObjectNode describe(Channel channel, ChannelRegistry registry) {
    ObjectNode node = JSON.valueToTree(channel.stats());
    node.setAll((ObjectNode) JSON.valueToTree(ChannelSummary.of(channel, registry)));
    return node;
  }

  private static String invalidName(String name) {
    try {
      ChannelNames.requireValid(name);
      return "invalid channel name";
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /**
   * Writes a JSON error body with a status.
   *
   * @param response the response
   * @param status the HTTP status
   * @param message the error text
   * @throws IOException if writing fails
   */
  public static void error(Response response, int status, String message) throws IOException {
    write(response, status, ErrorBody.bytes(message));
  }

  /**
   * Answers 204 No Content.
   *
   * @param response the response
   */
  static void noContent(Response response) {
    if (writable(response)) {
      response.setStatus(204);
    }
  }

  /**
   * Tells whether an answer can be written without waiting for the peer, and drops the connection when it
   * cannot. Grizzly's output buffer parks the writing thread until the peer reads when the connection's
   * write queue is full, which only happens to a peer that stopped reading earlier answers (pipelined
   * requests); after {@code canWrite()} returned true, one write and the close of the response never wait.
   *
   * @param response the response about to be written
   * @return true if the answer may be written
   */
  static boolean writable(Response response) {
    if (response.getOutputBuffer().canWrite()) {
      return true;
    }
    response.getRequest().getContext().getConnection().terminateSilently();
    return false;
  }

  private static void write(Response response, int status, Object body) throws IOException {
    write(response, status, JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8));
  }

  private static void write(Response response, int status, byte[] bytes) throws IOException {
    if (!writable(response)) {
      return;
    }
    response.setStatus(status);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.setContentLength(bytes.length);
    try (OutputStream out = response.getOutputStream()) {
      out.write(bytes);
    }
  }
}
