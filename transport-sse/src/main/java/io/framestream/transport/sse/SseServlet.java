package io.framestream.transport.sse;

import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessGate;
import io.framestream.edge.ErrorBody;
import io.framestream.transport.sse.internal.SseEndpoint;
import io.framestream.transport.sse.internal.SseRequest;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;

/**
 * A Jakarta Servlet 6.0 servlet that streams channels of a {@link ChannelRegistry} as Server-Sent Events,
 * with the same wire, the same refusals and the same promises as {@link SseHandler} on Grizzly: it lets an
 * application that runs in Tomcat, Jetty, Undertow or Spring Boot serve SSE viewers. Map it at {@code
 * /sse/*} with async support:
 *
 * <pre>{@code
 * SseServlet sse = SseServlet.builder(registry)
 *     .accessGate(gate)                  // or .authorizer(auth); default: everyone
 *     .heartbeat(Duration.ofSeconds(15)) // default
 *     .retry(Duration.ofSeconds(2))      // default, sent as "retry:"
 *     .writeQueueLimit(512 * 1024)       // default, bytes per viewer
 *     .build();
 * ServletRegistration.Dynamic reg = servletContext.addServlet("framestream-sse", sse);
 * reg.setAsyncSupported(true);           // required: a servlet without it answers 500
 * reg.addMapping("/sse/*");
 * }</pre>
 *
 * <h2>Deploying</h2>
 *
 * The servlet is built in code (it needs the registry), so it is registered through {@code
 * ServletContext.addServlet(String, Servlet)}, never in {@code web.xml}; every filter in front of it must
 * be async-supported too.
 *
 * <ul>
 *   <li><b>Jetty 12</b> (ee10, embedded):
 *       <pre>{@code
 * ServletContextHandler context = new ServletContextHandler();
 * ServletHolder holder = new ServletHolder("framestream-sse", sse);
 * holder.setAsyncSupported(true);
 * context.addServlet(holder, "/sse/*");
 * server.setHandler(context);
 * }</pre>
 *       Jetty's connector idle timeout (30 s by default) must stay above the heartbeat.
 *   <li><b>Tomcat 10.1+</b> (embedded, or from a {@code ServletContainerInitializer} or a {@code
 *       ServletContextListener} in a WAR): {@code Wrapper w = Tomcat.addServlet(context, "framestream-sse",
 *       sse); w.setAsyncSupported(true); context.addServletMappingDecoded("/sse/*", "framestream-sse");}, or
 *       {@code servletContext.addServlet(...)} as above.
 *   <li><b>Spring Boot 3</b> (Tomcat, Jetty or Undertow embedded):
 *       <pre>{@code
 * @Bean
 * ServletRegistrationBean<SseServlet> framestreamSse(ChannelRegistry registry) {
 *   ServletRegistrationBean<SseServlet> bean =
 *       new ServletRegistrationBean<>(SseServlet.builder(registry).build(), "/sse/*");
 *   bean.setAsyncSupported(true); // the default there, stated for clarity
 *   return bean;
 * }
 * }</pre>
 *       Spring calls {@link #destroy()} when the context closes; close the registry after it.
 * </ul>
 *
 * Behind a reverse proxy, let it pass the stream unbuffered (the servlet sends {@code X-Accel-Buffering:
 * no} for nginx) and keep its read timeout above the heartbeat. Other paths under the mapping than {@code
 * /{channel}} are refused with 400 or 404.
 *
 * <h2>What a viewer gets</h2>
 *
 * Exactly what {@link SseHandler} sends, byte for byte in the body: {@code retry:}, an {@code init} event,
 * the late-joiner frames, then one {@code data} event per frame with {@code id: <sequence>} ({@code
 * ?format=base64} for bare base64), {@code status} events, {@code : hb} heartbeats to idle viewers, and
 * {@code Last-Event-ID} (or {@code ?lastEventId=}) resumes with {@code skipped}. Each event's bytes are
 * built once per frame and format and written to every viewer as the same array (rule E1). The response has
 * status 200, {@code Content-Type: text/event-stream; charset=utf-8} (as the container spells it), {@code
 * Cache-Control: no-cache} and {@code X-Accel-Buffering: no}, and is chunked by the container.
 *
 * <p>Refusals carry {@link ErrorBody}'s JSON: 400 invalid channel name or format; 401 (with {@code
 * WWW-Authenticate: Bearer}) or 403 from the {@linkplain Builder#accessGate(AccessGate) access gate}, which
 * runs once per request before any channel is created; 404 no channel in the path, or an undeclared
 * channel; 405 (with {@code Allow: GET}) other methods; 429 a channel or subscriber limit; 500 when the
 * servlet was registered without async support; 503 after {@link #close()}. The gate sees the client
 * address as {@link AccessGate#clientAddress(String, java.util.function.Function)} resolves it from the
 * container's {@code getRemoteAddr()} and the gate's trusted proxies.
 *
 * <h2>Slow and gone viewers</h2>
 *
 * <ul>
 *   <li><b>No container thread waits on a peer.</b> Each stream runs in async mode ({@code startAsync()},
 *       no async timeout) and writes in non-blocking mode: a {@code WriteListener}, and a write only while
 *       {@code ServletOutputStream.isReady()}. Frames are written on the registry's delivery threads,
 *       heartbeats on this servlet's timer thread, the rest on the container's threads when it says the
 *       stream is writable again.
 *   <li><b>Bounded per viewer.</b> At most {@link Builder#writeQueueLimit(int) writeQueueLimit} bytes of
 *       events wait for one viewer (plus the one event that crossed it); the channel's mailbox meanwhile
 *       keeps only the newest frame. A viewer that stays over it makes no progress and is evicted after its
 *       channel's {@link ChannelConfig#stallTimeout()}: its queue is dropped at once and its response
 *       completed. The Servlet API has no reset: Jetty 12 closes the connection at once when a response
 *       completes with a write still pending (measured in this module's tests); a container that waits
 *       instead holds that one write until its idle timeout fails it.
 *   <li><b>Peer gone.</b> A failed write (a heartbeat on an idle channel, at the latest), a container error
 *       ({@code AsyncListener.onError}, {@code WriteListener.onError}) or a completion the servlet did not
 *       start ends that viewer and unsubscribes it. A container does not tell when an idle peer closes, so
 *       that is noticed within one heartbeat.
 *   <li><b>Shutting down.</b> {@link #close()} (and {@link #destroy()}) ends every stream gracefully (what
 *       is queued goes out, then the response completes, forced after 5 s) and answers later requests with
 *       503.
 * </ul>
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #service(HttpServletRequest, HttpServletResponse)} runs on the container's request
 * threads; frames are written on the registry's delivery threads; one timer thread ({@code
 * framestream-sse-timer-N}) per servlet writes heartbeats; {@link #close()} may be called from any thread.
 *
 * @since 0.3.0
 */
public final class SseServlet extends StreamServlet {

  private static final long serialVersionUID = 1L;

  /** How long a graceful end of a stream may take before the response is completed anyway: 5 s. */
  public static final Duration GRACEFUL_CLOSE_TIMEOUT = SseHandler.GRACEFUL_CLOSE_TIMEOUT;

  private SseServlet(Builder b) {
    super(b.endpoint());
  }

  /**
   * Starts a builder.
   *
   * @param registry the channels to serve
   * @return a new builder
   * @throws NullPointerException if {@code registry} is {@code null}
   */
  public static Builder builder(ChannelRegistry registry) {
    return new Builder(registry);
  }

  /**
   * Serves one request, whatever its method: refuses it with a status and a JSON body, or starts async
   * processing and streams the channel until the viewer ends.
   *
   * @param request the request
   * @param response the response
   * @throws IOException if writing a refusal fails
   */
  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
    ServletStreams.serve(endpoint, SseRequest.STREAM_HEADERS, "SSE", request, response);
  }

  /** For tests in this package. */
  SseEndpoint endpoint() {
    return endpoint;
  }

  /**
   * Builds an {@link SseServlet}: {@link #heartbeat(Duration)}, {@link #retry(Duration)}, {@link
   * #writeQueueLimit(int)}, {@link #accessGate(AccessGate)} and {@link #authorizer(io.framestream.edge.Authorizer)}
   * take the same values, with the same defaults, as {@link SseHandler.Builder}'s.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.3.0
   */
  public static final class Builder extends SseSettings<Builder> {

    private Builder(ChannelRegistry registry) {
      super(registry);
    }

    /**
     * Builds the servlet, to be registered with async support and starts its timer thread.
     *
     * @return it
     */
    public SseServlet build() {
      return new SseServlet(this);
    }
  }
}
