package io.framestream.spring;

import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessDecision;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import io.framestream.edge.Authorizer;
import io.framestream.edge.BearerTokens;
import io.framestream.edge.TrustedProxies;
import io.framestream.micrometer.FrameStreamMetrics;
import io.framestream.transport.sse.MjpegServlet;
import io.framestream.transport.sse.SnapshotServlet;
import io.framestream.transport.sse.SseServlet;
import io.framestream.transport.websocket.WebSocketTransport;
import jakarta.servlet.Servlet;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spring Boot auto-configuration for framestream: a {@link ChannelRegistry} bean (closed when the context
 * closes), an {@link AccessGate} built from the {@code framestream.*} properties ({@link
 * FrameStreamProperties}) and the application's {@link Authorizer} bean if it has one, and in a Servlet web
 * application the WebSocket viewer and publisher endpoints, the SSE servlet and the JSON statistics the
 * viewer pages poll ({@link ChannelsApiServlet}) in the application's own container, on its own port. With
 * Actuator's health on the class path, a {@link FrameStreamHealthIndicator}; with Micrometer,
 * framestream-micrometer's {@code FrameStreamMetrics}.
 *
 * <p>Every bean backs off when the application defines its own of the same type (the registry, the gate,
 * the WebSocket transport, the SSE servlet, the shutdown lifecycle, the health indicator and the meters) or
 * name ({@code framestreamWebSocketEndpoints}, {@code framestreamSseServlet}, {@code
 * framestreamApiServlet}).
 *
 * <h2>Thread safety</h2>
 *
 * Spring calls its factory methods once each, at start-up; the beans they return are thread-safe.
 *
 * @since 0.3.0
 */
@AutoConfiguration
@ConditionalOnClass(ChannelRegistry.class)
@ConditionalOnBooleanProperty(name = "framestream.enabled", matchIfMissing = true)
@EnableConfigurationProperties(FrameStreamProperties.class)
public class FrameStreamAutoConfiguration {

  /** Creates the auto-configuration (Spring does). */
  public FrameStreamAutoConfiguration() {}

  /**
   * The channels: created on demand or only those declared ({@code framestream.create-on-demand}), with the
   * declared ones ({@code framestream.channels}) created now, and {@code framestream.max-viewers} and {@code
   * framestream.max-channels} applied. Spring closes it when the context closes, after the endpoints.
   *
   * @param properties the {@code framestream.*} properties
   * @return the registry
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public ChannelRegistry channelRegistry(FrameStreamProperties properties) {
    ChannelRegistry.Builder builder = ChannelRegistry.builder().createOnDemand(properties.isCreateOnDemand());
    if (properties.getMaxChannels() != null) {
      builder.maxChannels(properties.getMaxChannels());
    }
    if (properties.getMaxViewers() != null) {
      builder.channelDefaults(ChannelConfig.builder().maxSubscribers(properties.getMaxViewers()).build());
    }
    ChannelRegistry registry = builder.build();
    try {
      for (String name : properties.getChannels()) {
        registry.declare(name);
      }
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
    return registry;
  }

  /**
   * Who may connect: the application's {@link Authorizer} bean if it has exactly one, otherwise publishers
   * need {@code framestream.publish-token} (refused with 403 without one, unless {@code
   * framestream.allow-anonymous-publish}) and everyone may view; plus {@code framestream.allowed-origins}
   * and {@code framestream.trusted-proxies}. Both transports use this one gate.
   *
   * @param properties the {@code framestream.*} properties
   * @param authorizer the application's authorizer, if any
   * @return the gate
   */
  @Bean
  @ConditionalOnMissingBean
  public AccessGate framestreamAccessGate(FrameStreamProperties properties, ObjectProvider<Authorizer> authorizer) {
    Authorizer auth = authorizer.getIfUnique(() -> defaultAuthorizer(properties));
    return AccessGate.builder()
        .authorizer(auth)
        .allowedOrigins(properties.getAllowedOrigins())
        .trustedProxies(properties.getTrustedProxies().isEmpty() ? TrustedProxies.none()
            : TrustedProxies.of(properties.getTrustedProxies()))
        .build();
  }

  /** Publishing by token (or refused, or open if asked for); viewing open. */
  static Authorizer defaultAuthorizer(FrameStreamProperties properties) {
    String token = properties.getPublishToken();
    Authorizer publish;
    if (token != null && !token.isBlank()) {
      publish = BearerTokens.of(token);
    } else if (properties.isAllowAnonymousPublish()) {
      publish = Authorizer.allowAll();
    } else {
      publish = request -> AccessDecision.forbidden("publishing is turned off: set framestream.publish-token"
          + " (or define an Authorizer bean)");
    }
    return Authorizer.perAction(publish, Authorizer.allowAll());
  }

  /**
   * The endpoints in a Servlet web application (Tomcat 11 in Spring Boot 4).
   *
   * <h2>Thread safety</h2>
   *
   * Spring calls its factory methods once each, at start-up.
   *
   * @since 0.3.0
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  public static class ServletEndpoints {

    /** Creates the configuration (Spring does). */
    public ServletEndpoints() {}

    /**
     * The WebSocket transport: frames up to {@code framestream.max-frame-bytes}, the shared gate. Closed when
     * the context closes.
     *
     * @param registry the channels
     * @param gate the access gate
     * @param properties the {@code framestream.*} properties
     * @return the transport
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "framestream.websocket.enabled", matchIfMissing = true)
    public WebSocketTransport framestreamWebSocketTransport(ChannelRegistry registry, AccessGate gate,
        FrameStreamProperties properties) {
      return WebSocketTransport.builder(registry)
          .accessGate(gate)
          .maxFrameBytes(Math.toIntExact(properties.getMaxFrameBytes().toBytes()))
          .build();
    }

    /**
     * Deploys the transport's endpoints, at {@code framestream.websocket.path} ({@code /ws}: {@code
     * /ws/live/{channel}} and {@code /ws/publish/{channel}}), into the container's {@code ServerContainer}.
     *
     * @param transport the WebSocket transport
     * @param properties the {@code framestream.*} properties
     * @return the initializer the container runs at start-up
     */
    @Bean
    @ConditionalOnMissingBean(name = "framestreamWebSocketEndpoints")
    @ConditionalOnBooleanProperty(name = "framestream.websocket.enabled", matchIfMissing = true)
    public WebSocketEndpointsInitializer framestreamWebSocketEndpoints(WebSocketTransport transport,
        FrameStreamProperties properties) {
      String path = properties.getWebsocket().checkedPath("framestream.websocket.path");
      return new WebSocketEndpointsInitializer(
          WebSocketEndpointsInitializer.underPath(transport.endpointConfigs(), path));
    }

    /**
     * The SSE servlet: the shared gate; closed (its streams ended) when the context closes.
     *
     * @param registry the channels
     * @param gate the access gate
     * @return the servlet
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "framestream.sse.enabled", matchIfMissing = true)
    public SseServlet framestreamSse(ChannelRegistry registry, AccessGate gate) {
      return SseServlet.builder(registry).accessGate(gate).build();
    }

    /**
     * Maps the SSE servlet at {@code framestream.sse.path}{@code /*} ({@code /sse/{channel}}), async-supported.
     *
     * @param sse the SSE servlet
     * @param properties the {@code framestream.*} properties
     * @return the servlet's registration
     */
    @Bean
    @ConditionalOnMissingBean(name = "framestreamSseServlet")
    @ConditionalOnBooleanProperty(name = "framestream.sse.enabled", matchIfMissing = true)
    public ServletRegistrationBean<SseServlet> framestreamSseServlet(SseServlet sse,
        FrameStreamProperties properties) {
      String path = properties.getSse().checkedPath("framestream.sse.path");
      return registration("framestreamSse", sse, path + "/*"); // async: the servlet answers 500 without it
    }

    /**
     * The MJPEG servlet: the shared gate; closed (its streams ended) when the context closes.
     *
     * @param registry the channels
     * @param gate the access gate
     * @return the servlet
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "framestream.mjpeg.enabled", matchIfMissing = true)
    public MjpegServlet framestreamMjpeg(ChannelRegistry registry, AccessGate gate) {
      return MjpegServlet.builder(registry).accessGate(gate).build();
    }

    /**
     * Maps the MJPEG servlet at {@code framestream.mjpeg.path}{@code /*} ({@code /mjpeg/{channel}}),
     * async-supported.
     *
     * @param mjpeg the MJPEG servlet
     * @param properties the {@code framestream.*} properties
     * @return the servlet's registration
     */
    @Bean
    @ConditionalOnMissingBean(name = "framestreamMjpegServlet")
    @ConditionalOnBooleanProperty(name = "framestream.mjpeg.enabled", matchIfMissing = true)
    public ServletRegistrationBean<MjpegServlet> framestreamMjpegServlet(MjpegServlet mjpeg,
        FrameStreamProperties properties) {
      String path = properties.getMjpeg().checkedPath("framestream.mjpeg.path");
      return registration("framestreamMjpeg", mjpeg, path + "/*"); // async, as for SSE
    }

    /**
     * Serves the newest picture of an image channel at {@code framestream.snapshot.path}{@code /*} ({@code
     * /snapshot/{channel}}), behind the shared gate.
     *
     * @param registry the channels
     * @param gate the access gate
     * @param properties the {@code framestream.*} properties
     * @return the servlet's registration
     */
    @Bean
    @ConditionalOnMissingBean(name = "framestreamSnapshotServlet")
    @ConditionalOnBooleanProperty(name = "framestream.snapshot.enabled", matchIfMissing = true)
    public ServletRegistrationBean<SnapshotServlet> framestreamSnapshotServlet(ChannelRegistry registry,
        AccessGate gate, FrameStreamProperties properties) {
      return registration("framestreamSnapshot", SnapshotServlet.builder(registry).accessGate(gate).build(),
          properties.getSnapshot().checkedPath("framestream.snapshot.path") + "/*");
    }

    /**
     * The JSON statistics the viewer pages poll, at {@code framestream.api.path} ({@code /api/channels}).
     *
     * @param registry the channels
     * @param properties the {@code framestream.*} properties
     * @return the servlet's registration
     */
    @Bean
    @ConditionalOnMissingBean(name = "framestreamApiServlet")
    @ConditionalOnBooleanProperty(name = "framestream.api.enabled", matchIfMissing = true)
    public ServletRegistrationBean<ChannelsApiServlet> framestreamApiServlet(ChannelRegistry registry,
        FrameStreamProperties properties) {
      String path = properties.getApi().checkedPath("framestream.api.path");
      return registration("framestreamApi", new ChannelsApiServlet(registry), path, path + "/*");
    }

    /** A named, async-supported registration of a servlet at its mappings. */
    private static <S extends Servlet> ServletRegistrationBean<S> registration(String name, S servlet,
        String... mappings) {
      ServletRegistrationBean<S> bean = new ServletRegistrationBean<>(servlet, mappings);
      bean.setName(name);
      bean.setAsyncSupported(true);
      return bean;
    }

    /**
     * Ends the open WebSocket sessions and SSE streams before the web server's graceful shutdown waits for
     * requests to finish.
     *
     * @param webSockets the WebSocket transports
     * @param sseServlets the SSE servlets
     * @param mjpegServlets the MJPEG servlets
     * @return the lifecycle
     */
    @Bean
    @ConditionalOnMissingBean
    public StreamsShutdown framestreamStreamsShutdown(ObjectProvider<WebSocketTransport> webSockets,
        ObjectProvider<SseServlet> sseServlets, ObjectProvider<MjpegServlet> mjpegServlets) {
      List<Runnable> streams = new ArrayList<>();
      sseServlets.orderedStream().forEach(s -> streams.add(s::close));
      mjpegServlets.orderedStream().forEach(m -> streams.add(m::close));
      return new StreamsShutdown(webSockets.orderedStream().toList(), streams);
    }
  }

  /**
   * framestream-micrometer's meters, where the application has Micrometer (Actuator brings it): Spring Boot
   * binds the {@code MeterBinder} to its meter registries.
   *
   * <h2>Thread safety</h2>
   *
   * Spring calls its factory method once, at start-up.
   *
   * @since 0.4.0
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"io.micrometer.core.instrument.MeterRegistry",
      "io.framestream.micrometer.FrameStreamMetrics"})
  @ConditionalOnBooleanProperty(name = "framestream.metrics.enabled", matchIfMissing = true)
  public static class MetricsConfiguration {

    /** Creates the configuration (Spring does). */
    public MetricsConfiguration() {}

    /**
     * The meters of the registry's channels and of the access gate's refusals, with at most {@code
     * framestream.metrics.max-tagged-channels} channel tags (others add up under {@code _other}). Closed
     * (its meters removed) when the context closes.
     *
     * @param registry the channels
     * @param gate the access gate
     * @param properties the {@code framestream.*} properties
     * @return the meter binder
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public FrameStreamMetrics framestreamMetrics(ChannelRegistry registry, AccessGate gate,
        FrameStreamProperties properties) {
      return FrameStreamMetrics.builder(registry)
          .accessGate(gate)
          .maxTaggedChannels(properties.getMetrics().getMaxTaggedChannels())
          .build();
    }
  }

  /**
   * The health indicator, where the application has Actuator's health support.
   *
   * <h2>Thread safety</h2>
   *
   * Spring calls its factory method once, at start-up.
   *
   * @since 0.3.0
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  public static class HealthConfiguration {

    /** Creates the configuration (Spring does). */
    public HealthConfiguration() {}

    /**
     * The {@code framestream} health component.
     *
     * @param registry the channels
     * @return the indicator
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnEnabledHealthIndicator("framestream")
    public FrameStreamHealthIndicator framestreamHealthIndicator(ChannelRegistry registry) {
      return new FrameStreamHealthIndicator(registry);
    }
  }
}
