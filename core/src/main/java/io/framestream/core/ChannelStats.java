package io.framestream.core;

import java.util.Map;

/**
 * A snapshot of a channel's statistics. Serialises to JSON with Jackson as a plain object.
 *
 * <h2>Thread safety</h2>
 *
 * An immutable record (the map is unmodifiable).
 *
 * @param channel the channel name
 * @param subscribers open subscriptions
 * @param framesIn frames published
 * @param bytesIn payload bytes published
 * @param fpsIn published frames per second over the last measuring interval (about a second)
 * @param framesOut frames completed by all sinks
 * @param bytesOut payload bytes completed by all sinks
 * @param fpsOut completed frames per second, over all subscribers, over the last interval
 * @param drops frames not delivered to some subscriber, by reason
 * @param publishers open {@link Publisher}s
 * @param publishRejected frames publishers had dropped by their rate limits
 * @param evictions subscribers evicted as stalled
 * @param sinkFailures subscriptions closed because their sink failed
 * @param queuedFrames frames waiting in all mailboxes now (each is a shared reference, not a copy)
 * @param inFlightFrames frames handed to sinks and not yet completed now
 * @param lastSequence the sequence number of the newest frame, 0 if none
 * @param contentType the content type of the newest frame, empty if none
 * @param latency publish-to-delivery latency over all deliveries
 * @since 0.1.0
 */
public record ChannelStats(
    String channel,
    int subscribers,
    long framesIn,
    long bytesIn,
    double fpsIn,
    long framesOut,
    long bytesOut,
    double fpsOut,
    Map<DropReason, Long> drops,
    int publishers,
    long publishRejected,
    long evictions,
    long sinkFailures,
    long queuedFrames,
    long inFlightFrames,
    long lastSequence,
    String contentType,
    LatencyStats latency) {

  /**
   * Copies the drop map.
   *
   * @param channel the channel name
   * @param subscribers open subscriptions
   * @param framesIn frames published
   * @param bytesIn bytes published
   * @param fpsIn recent published frames per second
   * @param framesOut frames completed
   * @param bytesOut bytes completed
   * @param fpsOut recent completed frames per second
   * @param drops drops by reason
   * @param publishers open publishers
   * @param publishRejected frames dropped by publish rate limits
   * @param evictions stalled subscribers evicted
   * @param sinkFailures failed sinks
   * @param queuedFrames frames waiting now
   * @param inFlightFrames frames in flight now
   * @param lastSequence newest sequence number
   * @param contentType newest content type
   * @param latency latency summary
   */
  public ChannelStats {
    drops = Map.copyOf(drops);
  }

  /**
   * Returns the total number of dropped frames, over all reasons.
   *
   * @return the sum of {@link #drops()}
   */
  public long totalDrops() {
    return drops.values().stream().mapToLong(Long::longValue).sum();
  }
}
