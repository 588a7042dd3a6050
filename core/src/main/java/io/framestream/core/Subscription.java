package io.framestream.core;

import java.util.Optional;

/**
 * The handle of one subscriber of a {@link Channel}: its statistics and the means to end it.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #close()} may be called from any thread, including the sink's own callbacks; the
 * sink's {@link FrameSink#closed(CloseReason)} then follows on a delivery thread.
 *
 * @since 0.1.0
 */
public interface Subscription extends AutoCloseable {

  /**
   * Returns an id unique within the JVM.
   *
   * @return the id
   */
  long id();

  /**
   * Returns the name of the channel subscribed to.
   *
   * @return the channel name
   */
  String channelName();

  /**
   * Returns a snapshot of this subscriber's statistics.
   *
   * @return the statistics
   */
  SubscriberStats stats();

  /**
   * Tells whether the subscription has ended, for any reason.
   *
   * @return {@code true} once ended
   */
  boolean isClosed();

  /**
   * Returns why the subscription ended.
   *
   * @return the reason, or empty while open
   */
  Optional<CloseReason> closeReason();

  /** Ends the subscription with {@link CloseReason#NORMAL}. Idempotent. */
  @Override
  void close();
}
