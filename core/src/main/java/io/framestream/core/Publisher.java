package io.framestream.core;

/**
 * One publisher's handle on a {@link Channel}, from {@link Channel#openPublisher(String)}: it counts
 * against the channel's {@link ChannelConfig#maxPublishers()}, makes the channel {@link ChannelState#ONLINE}
 * while open, and enforces the per-publisher rate limits ({@link ChannelConfig#maxPublishFps()}, {@link
 * ChannelConfig#maxPublishBytesPerSecond()}): a frame over the limit is dropped and counted in {@link
 * ChannelStats#publishRejected()}.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe, but a publisher is meant to be used by one producer; frames published concurrently through
 * one handle are ordered by the channel, not by the caller. {@link #close()} may be called from any thread.
 *
 * @since 0.1.0
 */
public interface Publisher extends AutoCloseable {

  /**
   * Publishes a frame unless it exceeds this publisher's rate limits.
   *
   * @param frame the frame
   * @return {@code true} if published, {@code false} if dropped by a rate limit
   * @throws NullPointerException if {@code frame} is {@code null}
   * @throws ChannelClosedException if the channel or this publisher is closed
   */
  boolean publish(Frame frame);

  /**
   * Returns how many frames this publisher had dropped by its rate limits.
   *
   * @return the count
   */
  long rejectedFrames();

  /**
   * Tells whether this handle is closed.
   *
   * @return {@code true} once closed
   */
  boolean isClosed();

  /** Releases the handle; when it was the channel's last publisher, the channel goes offline. Idempotent. */
  @Override
  void close();
}
