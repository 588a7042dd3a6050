package io.framestream.conformance;

/** The hosts every rule runs on. */
enum HostKind {
  /** {@code FrameStreamServer}: the library's own Grizzly/Tyrus server. */
  EMBEDDED,
  /** An embedded Jetty 12 (ee10) Servlet container carrying the endpoints through the standard APIs. */
  JETTY;

  /** Starts a host of this kind. */
  Host start(HostConfig config) {
    return this == EMBEDDED ? EmbeddedHost.start(config) : JettyHost.start(config);
  }
}
