package io.framestream.core;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a dashboard wants to know about a channel at a glance, beside its {@link ChannelStats}: the fields
 * {@code /api/channels} shows on every host (the embedded server and the Spring Boot starter).
 *
 * <h2>Thread safety</h2>
 *
 * Immutable; {@link #of(Channel, ChannelRegistry)} may be called from any thread.
 *
 * @param online whether a publisher (a WebSocket or HTTP publisher, or a running source) is attached
 * @param state {@code "online"} or {@code "offline"} once the channel ever had a publisher, else null
 * @param source {@code "none"}, {@code "idle"} (a source is attached and waits for a viewer) or {@code
 *     "running"} (see {@link ChannelRegistry#sourceState(String)})
 * @param kind {@code "video"} for a codec stream with an init segment, else the top-level type of the newest
 *     frame (such as {@code "image"}); null before the first frame
 * @param codec the newest frame's codec or, for video, the init segment's; null where not known
 * @param width the picture's width (newest frame, else the init segment); null where not known
 * @param height the picture's height, known together with the width; null where not known
 * @since 0.4.0
 */
public record ChannelSummary(boolean online, String state, String source, String kind, String codec,
    Integer width, Integer height) {

  /**
   * Summarises a channel as it is now.
   *
   * @param channel the channel
   * @param registry the registry it belongs to (for its source)
   * @return the summary
   * @throws NullPointerException if an argument is {@code null}
   */
  public static ChannelSummary of(Channel channel, ChannelRegistry registry) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(registry, "registry");
    Optional<Frame> init = channel.initFrame();
    Optional<Frame> latest = channel.latestFrame();
    String type = init.or(() -> latest).map(Frame::contentType).orElse("");
    int slash = type.indexOf('/');
    String kind = init.isPresent() ? "video"
        : type.isEmpty() ? null : (slash > 0 ? type.substring(0, slash) : type).toLowerCase(Locale.ROOT);
    OptionalInt width = latest.map(Frame::width).filter(OptionalInt::isPresent)
        .orElseGet(() -> init.map(Frame::width).orElse(OptionalInt.empty()));
    OptionalInt height = latest.map(Frame::height).filter(OptionalInt::isPresent)
        .orElseGet(() -> init.map(Frame::height).orElse(OptionalInt.empty()));
    boolean sized = width.isPresent() && height.isPresent();
    return new ChannelSummary(
        channel.publisherCount() > 0,
        channel.state().map(s -> s.name().toLowerCase(Locale.ROOT)).orElse(null),
        registry.sourceState(channel.name()).name().toLowerCase(Locale.ROOT),
        kind,
        latest.flatMap(Frame::codec).or(() -> init.flatMap(Frame::codec)).orElse(null),
        sized ? width.getAsInt() : null,
        sized ? height.getAsInt() : null);
  }
}
