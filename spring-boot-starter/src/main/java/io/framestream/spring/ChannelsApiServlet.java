package io.framestream.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.framestream.core.Channel;
import io.framestream.core.ChannelNames;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelSummary;
import io.framestream.edge.ErrorBody;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * The read-only JSON statistics the viewer pages poll, as the embedded server serves them: {@code GET
 * <path>} answers {@code {"channels":[<stats>...]}} and {@code GET <path>/{name}} one channel's
 * statistics ({@code ChannelStats} and {@code ChannelSummary} as JSON); an invalid name is 400 and an unknown channel 404, with the
 * JSON {@code error} body. Mapped at {@code framestream.api.path} ({@code /api/channels}) and {@code
 * <path>/*}. Publishing over HTTP ({@code POST .../frames}) is the embedded server's only.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe and stateless apart from the registry; the container calls it from its request threads.
 *
 * @since 0.3.0
 */
public final class ChannelsApiServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final transient ChannelRegistry registry;

  /**
   * Creates the servlet.
   *
   * @param registry the channels to report on
   * @throws NullPointerException if {@code registry} is {@code null}
   */
  public ChannelsApiServlet(ChannelRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
    response.setHeader("Cache-Control", "no-cache");
    String rest = request.getPathInfo();
    if (rest == null || rest.equals("/")) {
      ArrayNode list = JSON.createArrayNode();
      for (Channel c : registry.channels()) {
        list.add(describe(c));
      }
      ObjectNode body = JSON.createObjectNode();
      body.set("channels", list);
      write(response, 200, JSON.writeValueAsBytes(body));
      return;
    }
    String name = rest.substring(1);
    if (!ChannelNames.isValid(name)) {
      write(response, 400, ErrorBody.bytes("invalid channel name: " + ErrorBody.shown(name, 64)));
      return;
    }
    Optional<Channel> channel = registry.find(name);
    if (channel.isEmpty()) {
      write(response, 404, ErrorBody.bytes("no channel named '" + name + "'"));
      return;
    }
    write(response, 200, JSON.writeValueAsBytes(describe(channel.get())));
  }

  /** The channel's statistics and summary, as the embedded server's {@code /api/channels} shows them. */
  private ObjectNode describe(Channel channel) {
    ObjectNode node = JSON.valueToTree(channel.stats());
    node.setAll((ObjectNode) JSON.valueToTree(ChannelSummary.of(channel, registry)));
    return node;
  }

  private static void write(HttpServletResponse response, int status, byte[] body) throws IOException {
    response.setStatus(status);
    response.setContentType(ErrorBody.CONTENT_TYPE);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
