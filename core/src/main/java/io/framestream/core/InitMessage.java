package io.framestream.core;

import io.framestream.core.internal.FlatJson;
import io.framestream.core.wire.StreamDescription;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code init} message every transport sends a viewer first: what the channel carries, so that a page
 * can set up its decoder before the first frame. One JSON shape for WebSocket and SSE, images and video:
 *
 * <pre>{@code
 * {"type":"init","channel":"cam1","contentType":"video/mp4","width":640,"height":360,
 *  "codec":"avc1.42E01E","lastSequence":812,"skipped":0,"initSegment":"<base64>"}
 * }</pre>
 *
 * <p>Fields that are not known are left out ({@code contentType}, {@code width}, {@code height}, {@code
 * codec}, {@code initSegment}); {@code skipped} appears when a viewer resumed from an earlier frame id and
 * counts the frames it missed. {@code initSegment} carries an {@link FrameKind#INIT} frame's payload as
 * base64 for transports that embed it (SSE); WebSocket sends the init segment as its own binary message.
 * The description members are written by {@link StreamDescription}, which is also what clients read them
 * back with.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class InitMessage {

  private final String channel;
  private final Optional<Frame> describes;
  private final long lastSequence;
  private final long skipped;
  private final Optional<Frame> initSegment;

  private InitMessage(String channel, Optional<Frame> describes, long lastSequence, long skipped,
      Optional<Frame> initSegment) {
    this.channel = channel;
    this.describes = describes;
    this.lastSequence = lastSequence;
    this.skipped = skipped;
    this.initSegment = initSegment;
  }

  /**
   * Describes a channel as it is now: content type, dimensions and codec taken from its init frame and
   * newest key frame.
   *
   * @param channel the channel
   * @return the message, without skip count or init segment
   * @throws NullPointerException if {@code channel} is {@code null}
   */
  public static InitMessage of(Channel channel) {
    Objects.requireNonNull(channel, "channel");
    Optional<Frame> key = channel.latestKeyFrame();
    Optional<Frame> init = channel.initFrame();
    Optional<Frame> describes = key.isPresent() ? key : init.isPresent() ? init : channel.latestFrame();
    long last = channel.latestFrame().map(Frame::sequence).orElse(0L);
    return new InitMessage(channel.name(), describes, last, -1, Optional.empty());
  }

  /**
   * Describes a stream by one of its frames (an init segment or a key frame).
   *
   * @param channelName the channel name
   * @param frame the frame whose type, dimensions and codec to announce
   * @return the message
   * @throws NullPointerException if an argument is {@code null}
   */
  public static InitMessage of(String channelName, Frame frame) {
    Objects.requireNonNull(channelName, "channelName");
    Objects.requireNonNull(frame, "frame");
    return new InitMessage(channelName, Optional.of(frame), frame.sequence(), -1, Optional.empty());
  }

  /**
   * Returns a copy that reports how many frames a resuming viewer missed.
   *
   * @param frames zero or more
   * @return the new message
   * @throws IllegalArgumentException if negative
   */
  public InitMessage withSkipped(long frames) {
    if (frames < 0) {
      throw new IllegalArgumentException("skipped must be >= 0, got " + frames);
    }
    return new InitMessage(channel, describes, lastSequence, frames, initSegment);
  }

  /**
   * Returns a copy that embeds an init segment's payload as base64 (the frame's cached {@link
   * Frame#base64()}).
   *
   * @param init an {@link FrameKind#INIT} frame
   * @return the new message
   * @throws NullPointerException if {@code init} is {@code null}
   * @throws IllegalArgumentException if the frame is not an init frame
   */
  public InitMessage withInitSegment(Frame init) {
    Objects.requireNonNull(init, "init");
    if (init.kind() != FrameKind.INIT) {
      throw new IllegalArgumentException("not an INIT frame: " + init);
    }
    Optional<Frame> describes2 = describes.isPresent() ? describes : Optional.of(init);
    return new InitMessage(channel, describes2, lastSequence, skipped, Optional.of(init));
  }

  /**
   * Renders the JSON text.
   *
   * @return the JSON object as a string
   */
  public String toJson() {
    String segment = initSegment.map(Frame::base64).orElse("");
    FlatJson.Writer w = new FlatJson.Writer(160 + channel.length() + segment.length());
    w.add("type", "init").add("channel", channel);
    describes.ifPresent(f -> w.addAll(StreamDescription.of(f).toJson()));
    w.add("lastSequence", lastSequence);
    if (skipped >= 0) {
      w.add("skipped", skipped);
    }
    if (initSegment.isPresent()) {
      w.add("initSegment", segment);
    }
    return w.toString();
  }

  /**
   * Renders the {@code status} message transports send when a channel goes online or offline: <code>
   * {"type":"status","channel":"cam1","status":"offline"}</code>.
   *
   * @param channelName the channel
   * @param state its new state
   * @return the JSON text
   * @throws NullPointerException if an argument is {@code null}
   */
  public static String statusJson(String channelName, ChannelState state) {
    Objects.requireNonNull(channelName, "channelName");
    return new FlatJson.Writer().add("type", "status").add("channel", channelName)
        .add("status", state.name().toLowerCase(Locale.ROOT)).toString();
  }

  @Override
  public String toString() {
    return toJson();
  }
}
