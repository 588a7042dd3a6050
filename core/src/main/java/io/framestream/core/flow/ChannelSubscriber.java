package io.framestream.core.flow;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.Frame;
import io.framestream.core.Publisher;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Flow;

/**
 * A {@link Flow.Subscriber} of frames that publishes every frame it receives into a {@link Channel}, through
 * a {@link Publisher} handle of its own: the channel is {@linkplain io.framestream.core.ChannelState#ONLINE
 * online} from {@code onSubscribe} until {@code onComplete} or {@code onError}, and the handle's rate
 * limits apply (a frame over them is dropped and counted by the channel, as for any publisher).
 *
 * <p>Demand is bounded: the subscriber requests a window of frames ({@code window}, default 1) in {@code
 * onSubscribe} and one more after each frame it has published, so at most {@code window} frames are ever
 * requested and not yet received. Publishing never blocks (the channel only enqueues), so a window of 1
 * costs no throughput.
 *
 * <p>The subscriber follows the Reactive Streams specification 1.0.4: a second {@code onSubscribe} is
 * cancelled (rule 2.5); {@code null} arguments throw {@link NullPointerException} (rule 2.13). When the
 * channel cannot take a publisher (it is closed, or has its {@link
 * io.framestream.core.ChannelConfig#maxPublishers()}), or closes while frames flow, the upstream
 * subscription is cancelled and {@link #failure()} tells why. The channel itself is never closed by this
 * subscriber.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe as the specification requires of a subscriber: its signals come serially (rule 1.3), from any
 * thread; the state it reports ({@link #isDone()}, {@link #failure()}, {@link #publishedFrames()}) may be
 * read from any thread.
 *
 * @since 0.4.0
 */
public final class ChannelSubscriber implements Flow.Subscriber<Frame> {

  private final Channel channel;
  private final String description;
  private final int window;

  private volatile Flow.Subscription upstream;
  private volatile Publisher publisher;
  private volatile boolean done;
  private volatile Throwable failure;
  private volatile long published;

  private ChannelSubscriber(Channel channel, String description, int window) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.description = Objects.requireNonNull(description, "description");
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1, got " + window);
    }
    this.window = window;
  }

  /**
   * Returns a subscriber that publishes into a channel one requested frame at a time.
   *
   * @param channel the channel
   * @return a new subscriber, for one subscription
   * @throws NullPointerException if {@code channel} is {@code null}
   */
  public static ChannelSubscriber of(Channel channel) {
    return new ChannelSubscriber(channel, "flow subscriber", 1);
  }

  /**
   * Returns a subscriber that publishes into a channel with a window of outstanding demand.
   *
   * @param channel the channel
   * @param description who publishes, for logs and messages (see {@link Channel#openPublisher(String)})
   * @param window how many frames may be requested and not yet received, at least 1
   * @return a new subscriber, for one subscription
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException if {@code window < 1}
   */
  public static ChannelSubscriber of(Channel channel, String description, int window) {
    return new ChannelSubscriber(channel, description, window);
  }

  /**
   * Opens the channel's publisher and requests the first window; cancels the subscription if the channel
   * refuses, or if this subscriber already has one (rule 2.5).
   *
   * @param subscription the upstream subscription
   * @throws NullPointerException if {@code subscription} is {@code null}
   */
  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    Objects.requireNonNull(subscription, "subscription");
    if (upstream != null || done) {
      subscription.cancel();
      return;
    }
    upstream = subscription;
    try {
      publisher = channel.openPublisher(description);
    } catch (RuntimeException e) { // closed, or maxPublishers
      end(e);
      subscription.cancel();
      return;
    }
    subscription.request(window);
  }

  /**
   * Publishes the frame and requests one more.
   *
   * @param frame the frame
   * @throws NullPointerException if {@code frame} is {@code null}
   */
  @Override
  public void onNext(Frame frame) {
    Objects.requireNonNull(frame, "frame");
    Publisher p = publisher;
    Flow.Subscription s = upstream;
    if (done || p == null || s == null) {
      return; // after a cancel, stray signals are allowed (rule 2.8)
    }
    try {
      p.publish(frame);
    } catch (ChannelClosedException e) {
      end(e);
      s.cancel();
      return;
    }
    published++; // signals are serial (rule 1.3): one writer
    s.request(1);
  }

  /**
   * Releases the channel's publisher and records the failure.
   *
   * @param throwable why the upstream failed
   * @throws NullPointerException if {@code throwable} is {@code null}
   */
  @Override
  public void onError(Throwable throwable) {
    Objects.requireNonNull(throwable, "throwable");
    end(throwable);
  }

  /** Releases the channel's publisher: the channel goes offline if it was its last publisher. */
  @Override
  public void onComplete() {
    end(null);
  }

  private void end(Throwable why) {
    if (done) {
      return;
    }
    done = true;
    if (why != null) {
      failure = why;
    }
    Publisher p = publisher;
    if (p != null) {
      p.close();
    }
  }

  /**
   * Tells whether the subscriber has finished: completed, failed, or cancelled by a channel that refused or
   * closed.
   *
   * @return {@code true} once finished
   */
  public boolean isDone() {
    return done;
  }

  /**
   * Returns why the subscriber finished, unless it completed normally.
   *
   * @return the upstream's error or the channel's refusal, or empty
   */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /**
   * Returns how many frames were handed to the channel (including any its publisher's rate limits dropped,
   * which the channel counts as {@code publishRejected}).
   *
   * @return the count
   */
  public long publishedFrames() {
    return published;
  }

  @Override
  public String toString() {
    return "ChannelSubscriber[" + channel.name() + ", window=" + window + (done ? ", done" : "") + "]";
  }
}
