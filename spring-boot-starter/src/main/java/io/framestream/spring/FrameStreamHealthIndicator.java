package io.framestream.spring;

import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelState;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Actuator health of a {@link ChannelRegistry}: {@code UP} with the numbers of channels, online channels
 * (whose publisher or source is sending), viewers and publishers while the registry is open; {@code DOWN}
 * once it is closed. Shown as the {@code framestream} component of {@code /actuator/health}; turned off with
 * {@code management.health.framestream.enabled=false}.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: it only reads the registry's thread-safe counts.
 *
 * @since 0.3.0
 */
public final class FrameStreamHealthIndicator implements HealthIndicator {

  private final ChannelRegistry registry;

  /**
   * Creates the indicator.
   *
   * @param registry the registry to report on
   * @throws NullPointerException if {@code registry} is {@code null}
   */
  public FrameStreamHealthIndicator(ChannelRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public Health health() {
    if (registry.isClosed()) {
      return Health.down().withDetail("reason", "the channel registry is closed").build();
    }
    int channels = 0;
    int online = 0;
    long viewers = 0;
    long publishers = 0;
    for (Channel c : registry.channels()) {
      channels++;
      if (c.state().orElse(ChannelState.OFFLINE) == ChannelState.ONLINE) {
        online++;
      }
      viewers += c.subscriberCount();
      publishers += c.publisherCount();
    }
    return Health.up()
        .withDetail("channels", channels)
        .withDetail("onlineChannels", online)
        .withDetail("viewers", viewers)
        .withDetail("publishers", publishers)
        .build();
  }
}
