package io.framestream.conformance;

import io.framestream.core.ChannelRegistry;
import io.framestream.edge.Authorizer;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring Boot 4 application on its embedded Tomcat 11, with framestream's endpoints from the starter
 * ({@code framestream-spring-boot-starter}, found by auto-configuration) and nothing else of its own but the
 * suite's {@link Authorizer} bean. Its registry is the starter's {@code ChannelRegistry} bean, configured by
 * properties as the suite needs it: channels must be declared, frames up to {@link HostConfig#maxFrameBytes()}.
 * Tomcat's connection timeout is 5 s, so that an evicted viewer's connection is dropped soon (W5), as a
 * deployment would set it (docs/spring-boot.md).
 */
final class SpringBootHost extends Host {

  private final ConfigurableApplicationContext context;
  private final int port;

  private SpringBootHost(HostConfig config, ConfigurableApplicationContext context) {
    super(HostKind.SPRING_BOOT, config);
    this.context = context;
    this.port = Integer.parseInt(context.getEnvironment().getRequiredProperty("local.server.port"));
  }

  /** The application: auto-configuration only. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class ConformanceApplication {}

  static Host start(HostConfig config) {
    config.registry().close(); // this host's registry is the starter's bean, configured below
    SpringApplication application = new SpringApplication(ConformanceApplication.class);
    application.setDefaultProperties(Map.of(
        "server.port", "0",
        "server.address", "127.0.0.1",
        "spring.main.banner-mode", "off",
        // Tomcat keeps a completed response's connection until a pending write or the keep-alive times out
        // (20 s by default); W5 wants a stalled viewer's connection gone well within the suite's bound.
        "server.tomcat.connection-timeout", "5s",
        "framestream.create-on-demand", "false",
        "framestream.max-frame-bytes", config.maxFrameBytes() + "B"));
    application.addInitializers(context -> context.getBeanFactory()
        .registerSingleton("conformanceAuthorizer", config.authorizer()));
    ConfigurableApplicationContext context = application.run();
    try {
      return new SpringBootHost(config.withRegistry(context.getBean(ChannelRegistry.class)), context);
    } catch (RuntimeException e) {
      context.close();
      throw e;
    }
  }

  @Override
  int port() {
    return port;
  }

  @Override
  boolean refusesHandshakesWithStatus() {
    return false; // Tomcat through the Jakarta API: refusals are close 1008 "<status> <reason>", as on Jetty
  }

  @Override
  String sseUnavailable() {
    return null;
  }

  @Override
  String sharedFramesUnavailable() {
    return "W11 needs a RawFrameSender for the container's connections; in Spring Boot the starter deploys the"
        + " endpoints into Tomcat through the portable Jakarta path (getAsyncRemote().sendBinary/sendText), which"
        + " encodes and frames each message per viewer (contract W11: 'the portable path encodes per viewer')";
  }

  @Override
  void stop() {
    context.close();
  }
}
