package io.framestream.conformance;

import io.framestream.server.FrameStreamServer;
import io.framestream.server.internal.TyrusRawFrameSender;

/** The library's own server, {@link FrameStreamServer} (Grizzly and Tyrus), as a user embeds it. */
final class EmbeddedHost extends Host {

  private final FrameStreamServer server;

  private EmbeddedHost(HostConfig config) {
    super(HostKind.EMBEDDED, config);
    this.server = FrameStreamServer.builder().host("127.0.0.1").port(0)
        .registry(config.registry())
        .authorizer(config.authorizer())
        .maxFrameBytes(config.maxFrameBytes())
        // The embedded server's own sender, recorded for W11.
        .webSocket(b -> b.rawFrameSender(config.rawSends().recording(TyrusRawFrameSender.create())))
        .build();
  }

  static Host start(HostConfig config) {
    EmbeddedHost host = new EmbeddedHost(config);
    host.server.start();
    return host;
  }

  @Override
  int port() {
    return server.port();
  }

  @Override
  boolean refusesHandshakesWithStatus() {
    return true;
  }

  @Override
  String sseUnavailable() {
    return null;
  }

  @Override
  String sharedFramesUnavailable() {
    return null;
  }

  @Override
  void stop() {
    server.close();
  }
}
