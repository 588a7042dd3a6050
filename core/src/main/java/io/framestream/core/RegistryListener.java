package io.framestream.core;

/**
 * Hears about the channels of a {@link ChannelRegistry}: channels opening and closing, and their viewers
 * and publishers coming and going. Relays (such as a cluster bridge) use it to follow the channels without
 * polling. Every method has an empty default, so an implementation overrides what it needs.
 *
 * <p>A callback runs on the thread that caused the change (a transport thread, a delivery thread, the
 * registry's idle sweep), after the change and outside the registry's and the channel's locks. Callbacks
 * for one channel may arrive concurrently and, when changes race, out of order: treat a callback as "look
 * again" and read the current value ({@link Channel#subscriberCount()}, {@link Channel#publisherCount()}),
 * never as a delta. A callback that throws is logged and does not affect the registry or other listeners.
 *
 * <h2>Thread safety</h2>
 *
 * Implementations must be thread-safe and must not block: they run on threads shared with frame delivery.
 *
 * @see ChannelRegistry#addListener(RegistryListener)
 * @since 0.1.0
 */
public interface RegistryListener {

  /**
   * A channel was created (on demand, by a declaration, or for a source).
   *
   * @param channel the new channel
   */
  default void channelOpened(Channel channel) {}

  /**
   * A channel was closed (idle, explicitly, or with the registry). It gets no more callbacks.
   *
   * @param channel the closed channel
   */
  default void channelClosed(Channel channel) {}

  /**
   * The number of viewers of a channel may have changed ({@link Channel#subscriberCount()}; relay
   * subscriptions are not viewers and do not trigger this).
   *
   * @param channel the channel
   */
  default void viewersChanged(Channel channel) {}

  /**
   * The number of publishers of a channel may have changed ({@link Channel#publisherCount()}).
   *
   * @param channel the channel
   */
  default void publishersChanged(Channel channel) {}
}
