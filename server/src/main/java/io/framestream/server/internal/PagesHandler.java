package io.framestream.server.internal;

import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.glassfish.grizzly.http.Method;
import org.glassfish.grizzly.http.server.CLStaticHttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * Pages from the class path, as {@link CLStaticHttpHandler} serves them, except that no answer waits for
 * a peer that stopped reading, and a missing page gets a helpful 404. Grizzly already sends found pages
 * without blocking (8 KiB each time the connection can take more, or a queued file transfer, the response
 * suspended meanwhile), however large the page. Its small synchronous answers (405) are written with
 * Grizzly's blocking output buffer, which parks the worker thread when the connection's write queue is full,
 * as it is for a peer that pipelines requests and reads no answer; such a peer is dropped instead (see
 * {@link ApiHandler#writable(Response)}). The 404 page is written the same way: once, small (a bounded list
 * of pages and channels), after {@code canWrite()}.
 *
 * <p>The 404 page names the pages that exist in the folder (of those the {@code framestream-pages}
 * artifact ships) and, when a registry is given, the first {@value #LISTED_CHANNELS} channels with a link
 * to watch each; everything from the request or the registry is HTML-escaped.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe, as {@link CLStaticHttpHandler}: Grizzly calls it from its worker threads. The list of
 * pages is found once, at construction.
 */
public final class PagesHandler extends CLStaticHttpHandler {

  /** A class of the {@code framestream-pages} artifact, whose presence proves the artifact is there. */
  public static final String PAGES_ARTIFACT_MARKER = "io/framestream/pages/FrameStreamPages.class";
  /** How many channels a 404 page names at most. */
  static final int LISTED_CHANNELS = 50;
  /** The pages of {@code framestream-pages} a 404 page may name, and what each is for. */
  private static final String[][] KNOWN_PAGES = {
      {"index.html", "", "every channel with a live thumbnail"},
      {"live.html", "?channel=NAME", "watch a channel over WebSocket"},
      {"live-sse.html", "?channel=NAME", "watch a channel over Server-Sent Events"},
      {"live-video.html", "?channel=NAME", "watch a video channel"},
      {"grid.html", "", "several channels at once"},
      {"record.html", "?channel=NAME", "publish your camera"}};

  private final ChannelRegistry registry; // null: no channel list on 404 pages
  private final List<String[]> pages = new ArrayList<>();

  /**
   * Creates the handler without a channel list on its 404 pages.
   *
   * @param loader the class loader to read pages from
   * @param root the class-path folder, such as {@code "/framestream/static/"}
   */
  public PagesHandler(ClassLoader loader, String root) {
    this(loader, root, null);
  }

  /**
   * Creates the handler.
   *
   * @param loader the class loader to read pages from
   * @param root the class-path folder, such as {@code "/framestream/static/"}
   * @param registry the channels a 404 page names, or {@code null}
   */
  public PagesHandler(ClassLoader loader, String root, ChannelRegistry registry) {
    super(loader, root);
    setFileCacheEnabled(false);
    this.registry = registry;
    String folder = root.startsWith("/") ? root.substring(1) : root;
    for (String[] page : KNOWN_PAGES) {
      if (loader.getResource(folder + page[0]) != null) {
        pages.add(page);
      }
    }
  }

  /**
   * Returns the class loader that holds the {@code framestream-pages} artifact: the server's, else the
   * thread's context class loader.
   *
   * @return the loader
   * @throws IllegalStateException if neither has the artifact, naming the dependency to add
   */
  public static ClassLoader pagesArtifactLoader() {
    ClassLoader own = PagesHandler.class.getClassLoader();
    if (own != null && own.getResource(PAGES_ARTIFACT_MARKER) != null) {
      return own;
    }
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    if (context != null && context.getResource(PAGES_ARTIFACT_MARKER) != null) {
      return context;
    }
    throw new IllegalStateException("pages() needs the framestream-pages artifact on the class path: add the"
        + " dependency io.framestream:framestream-pages (same version as framestream-server), or serve your own"
        + " pages with staticContent(loader, folder)");
  }

  @Override
  public void service(Request request, Response response) throws Exception {
    if (ApiHandler.writable(response)) {
      super.service(request, response);
    }
  }

  @Override
  protected void onMissingResource(Request request, Response response) throws Exception {
    if (!ApiHandler.writable(response)) {
      return;
    }
    byte[] body = notFoundPage(request.getRequestURI()).getBytes(StandardCharsets.UTF_8);
    response.setStatus(404);
    response.setContentType("text/html");
    response.setCharacterEncoding("UTF-8");
    response.setHeader("Cache-Control", "no-cache");
    response.setContentLength(body.length);
    if (Method.HEAD.equals(request.getMethod())) {
      return;
    }
    try (OutputStream out = response.getOutputStream()) {
      out.write(body);
    }
  }

  /** The 404 page: what was asked, the pages there are, and the channels to watch. */
  String notFoundPage(String path) {
    String shown = path == null ? "" : path.length() > 200 ? path.substring(0, 200) + "..." : path;
    StringBuilder b = new StringBuilder(2048)
        .append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title></head>")
        .append("<body>\n<h1>No page at ").append(escape(shown)).append("</h1>\n");
    if (pages.isEmpty()) {
      b.append("<p>This server has no pages. The channel statistics are at <a href=\"/api/channels\">")
          .append("/api/channels</a>; the viewer pages come with the framestream-pages artifact.</p>\n");
    } else {
      b.append("<p>The pages here:</p>\n<ul>\n");
      for (String[] page : pages) {
        String href = page[0].equals("index.html") ? "/" : "/" + page[0];
        b.append("<li><a href=\"").append(href).append("\">").append(href).append("</a>").append(page[1])
            .append(": ").append(page[2]).append("</li>\n");
      }
      b.append("</ul>\n");
    }
    if (registry != null && !registry.isClosed()) {
      List<Channel> channels = registry.channels();
      if (channels.isEmpty()) {
        b.append("<p>No channels yet: publish into one and it appears.</p>\n");
      } else {
        boolean viewer = pages.stream().anyMatch(p -> p[0].equals("live.html"));
        b.append("<p>Channels (").append(channels.size()).append("):</p>\n<ul>\n");
        for (Channel c : channels.subList(0, Math.min(LISTED_CHANNELS, channels.size()))) {
          String name = escape(c.name());
          b.append("<li>").append(viewer ? "<a href=\"/live.html?channel=" + name + "\">" + name + "</a>" : name)
              .append("</li>\n");
        }
        if (channels.size() > LISTED_CHANNELS) {
          b.append("<li>... and ").append(channels.size() - LISTED_CHANNELS)
              .append(" more: <a href=\"/api/channels\">/api/channels</a></li>\n");
        }
        b.append("</ul>\n");
      }
    }
    return b.append("</body></html>\n").toString();
  }

  private static String escape(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c < 0x20 ? '?' : c);
      }
    }
    return b.toString();
  }
}
