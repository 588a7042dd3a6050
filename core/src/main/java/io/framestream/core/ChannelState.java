package io.framestream.core;

/**
 * Whether a channel has a live publisher, as told to subscribers through {@link
 * FrameSink#status(ChannelState)}.
 *
 * <p>A channel is {@link #ONLINE} while at least one {@link Publisher} is open on it, and {@link #OFFLINE}
 * after the last one closed; the newest frame stays in place either way, so viewers keep a picture. A
 * channel that never had a publisher sends no status at all (frames published directly with {@link
 * Channel#publish(Frame)} do not make it online).
 *
 * <h2>Thread safety</h2>
 *
 * An enum: immutable.
 *
 * @since 0.1.0
 */
public enum ChannelState {
  /** A publisher is connected; frames may flow. */
  ONLINE,
  /** The last publisher left; the newest frame stays, no new ones are coming for now. */
  OFFLINE
}
