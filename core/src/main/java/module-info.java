/**
 * The framestream engine: frames, channels with bounded newest-wins fan-out, the registry, sources and
 * sinks, retry policies, the wire formats every entry point and client shares, the clients' buffer, and
 * Reactive Streams ({@code java.util.concurrent.Flow}) adapters.
 * It reads only {@code java.base}.
 */
module io.framestream.core {
  exports io.framestream.core;
  exports io.framestream.core.client;
  exports io.framestream.core.flow;
  exports io.framestream.core.wire;
}
