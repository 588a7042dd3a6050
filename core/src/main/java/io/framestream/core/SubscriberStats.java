package io.framestream.core;

import java.util.Map;

/**
 * A snapshot of one subscriber's delivery statistics. Serialises to JSON with Jackson as a plain object.
 *
 * <h2>Thread safety</h2>
 *
 * An immutable record (the map is unmodifiable).
 *
 * @param id the subscription id
 * @param framesOut frames the sink completed
 * @param bytesOut payload bytes of those frames
 * @param fpsOut completed frames per second over the last measuring interval (about a second)
 * @param drops frames not delivered, by reason
 * @param inFlight frames handed to the sink and not yet completed
 * @param queued frames waiting in the mailbox
 * @param latencyAvgMillis the moving average of publish-to-delivery latency
 * @param latencyMaxMillis the largest publish-to-delivery latency seen
 * @param closed whether the subscription has ended
 * @since 0.1.0
 */
public record SubscriberStats(
    long id,
    long framesOut,
    long bytesOut,
    double fpsOut,
    Map<DropReason, Long> drops,
    int inFlight,
    int queued,
    double latencyAvgMillis,
    double latencyMaxMillis,
    boolean closed) {

  /**
   * Copies the drop map.
   *
   * @param id the subscription id
   * @param framesOut frames completed
   * @param bytesOut bytes completed
   * @param fpsOut recent frames per second
   * @param drops drops by reason
   * @param inFlight frames in flight
   * @param queued frames waiting
   * @param latencyAvgMillis average latency
   * @param latencyMaxMillis maximum latency
   * @param closed whether ended
   */
  public SubscriberStats {
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
