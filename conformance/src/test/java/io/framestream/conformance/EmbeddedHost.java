package io.framestream.conformance;

import io.framestream.core.ChannelRegistry;
import io.framestream.server.FrameStreamServer;
import io.framestream.server.internal.TyrusRawFrameSender;
import java.net.URI;

/** The library's own server, {@link FrameStreamServer} (Grizzly and Tyrus), as a user embeds it. */
final class EmbeddedHost implements Host {

  private final HostConfig config;
  private final FrameStreamServer server;

  private EmbeddedHost(HostConfig config, FrameStreamServer server) {
    this.config = config;
    this.server = server;
  }

  static Host start(HostConfig config) {
    FrameStreamServer server = FrameStreamServer.builder().host("127.0.0.1").port(0)
        .registry(config.registry())
        .authorizer(config.authorizer())
        .maxFrameBytes(config.maxFrameBytes())
        // The embedded server's own sender, recorded for W11.
        .webSocket(b -> b.rawFrameSender(config.rawSends().recording(TyrusRawFrameSender.create())))
        .build().start();
    return new EmbeddedHost(config, server);
  }

  @Override
  public HostKind kind() {
    return HostKind.EMBEDDED;
  }

  @Override
  public URI httpUri() {
    return server.httpUri();
  }

  @Override
  public URI webSocketUri() {
    return server.webSocketUri();
  }

  @Override
  public ChannelRegistry registry() {
    return config.registry();
  }

  @Override
  public HostConfig config() {
    return config;
  }

  @Override
  public boolean refusesHandshakesWithStatus() {
    return true;
  }

  @Override
  public String sseUnavailable() {
    return null;
  }

  @Override
  public String sharedFramesUnavailable() {
    return null;
  }

  @Override
  public void close() {
    server.close();
    config.registry().close();
  }

  @Override
  public String toString() {
    return "EMBEDDED " + server.httpUri();
  }
}
