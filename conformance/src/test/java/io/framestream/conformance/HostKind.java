package io.framestream.conformance;

/** The hosts every rule runs on. */
enum HostKind {
  /** {@code FrameStreamServer}: the library's own Grizzly/Tyrus server. */
  EMBEDDED,
  /** An embedded Jetty 12 (ee10) Servlet container carrying the endpoints through the standard APIs. */
  JETTY,
  /** A Spring Boot 4 application on Tomcat 11 with the endpoints from framestream-spring-boot-starter. */
  SPRING_BOOT;

  /** Starts a host of this kind. */
  Host start(HostConfig config) {
    return switch (this) {
      case EMBEDDED -> EmbeddedHost.start(config);
      case JETTY -> JettyHost.start(config);
      case SPRING_BOOT -> SpringBootHost.start(config);
    };
  }
}
