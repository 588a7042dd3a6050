package io.framestream.conformance;

import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessDecision;
import io.framestream.edge.Authorizer;

/**
 * What a host serves: its own registry (channels must be declared, so that an undeclared one is 404), the
 * suite's authorizer, a frame limit small enough to exceed quickly, and the recorder of shared WebSocket
 * messages (W11).
 */
record HostConfig(ChannelRegistry registry, Authorizer authorizer, int maxFrameBytes, RawSends rawSends) {

  /** Channels whose name starts with this need {@link #TOKEN}. */
  static final String PRIVATE = "private-";
  /** The bearer token that opens private channels. */
  static final String TOKEN = "letmein";
  /** The frame limit of every host: 1 MiB. */
  static final int MAX_FRAME_BYTES = 1 << 20;

  /** A fresh configuration with its own registry. */
  static HostConfig create() {
    return new HostConfig(ChannelRegistry.builder().createOnDemand(false).build(), HostConfig::authorize,
        MAX_FRAME_BYTES, new RawSends());
  }

  /** The same configuration over another registry (a host whose registry is made elsewhere, as a bean). */
  HostConfig withRegistry(ChannelRegistry other) {
    return new HostConfig(other, authorizer, maxFrameBytes, rawSends);
  }

  /** Everyone may use public channels; private ones need the token: none is 401, another 403 (W6). */
  private static AccessDecision authorize(io.framestream.edge.AccessRequest request) {
    if (!request.channel().startsWith(PRIVATE)) {
      return AccessDecision.ALLOW;
    }
    String auth = request.headers().getOrDefault("Authorization", java.util.List.of()).stream().findFirst()
        .orElse("");
    if (auth.isEmpty()) {
      return AccessDecision.unauthorized("a bearer token is required for " + request.channel());
    }
    return auth.equals("Bearer " + TOKEN) ? AccessDecision.ALLOW
        : AccessDecision.forbidden("this token does not open " + request.channel());
  }
}
