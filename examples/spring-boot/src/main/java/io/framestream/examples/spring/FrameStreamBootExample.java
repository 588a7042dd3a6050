package io.framestream.examples.spring;

import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.media.TestPatternSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot 4 application that streams with framestream: the starter ({@code
 * framestream-spring-boot-starter}) serves {@code /ws/live/{channel}}, {@code /ws/publish/{channel}}, {@code
 * /sse/{channel}} and {@code /api/channels} on the application's own Tomcat; Spring MVC serves the viewer
 * pages ({@code framestream-pages}) from the class path at {@code /}; Actuator's {@code /actuator/health}
 * includes the {@code framestream} component. Its one channel of its own, {@value #DEMO_CHANNEL}, shows the
 * media module's test pattern while someone watches. Settings are in {@code application.properties}.
 *
 * <p>Run it from the repository root with {@code mvn -q -pl examples/spring-boot -am compile -Prun-spring-boot}
 * and open {@code http://127.0.0.1:8080/}.
 *
 * <h2>Thread safety</h2>
 *
 * Spring calls its factory method once, at start-up.
 */
@SpringBootApplication
public class FrameStreamBootExample {

  /** The channel that shows the test pattern. */
  public static final String DEMO_CHANNEL = "demo";
  /** Frames a second of the test pattern. */
  public static final double DEMO_FPS = 10;

  /** Creates the application (Spring does). */
  public FrameStreamBootExample() {}

  /**
   * Starts the application.
   *
   * @param args Spring Boot's arguments, such as {@code --server.port=9090}
   */
  public static void main(String[] args) {
    SpringApplication.run(FrameStreamBootExample.class, args);
  }

  /**
   * The demo channel: the test pattern, drawn only while the channel has viewers (the registry starts the
   * source with the first one and stops it a few seconds after the last). The registry closes it.
   *
   * @param registry the starter's registry
   * @return the channel
   */
  @Bean(destroyMethod = "")
  public Channel demoChannel(ChannelRegistry registry) {
    return registry.attachSource(DEMO_CHANNEL, TestPatternSource.create(), DEMO_FPS);
  }
}
