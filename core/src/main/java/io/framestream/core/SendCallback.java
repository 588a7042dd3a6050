package io.framestream.core;

/**
 * How a {@link FrameSink} reports, asynchronously, that it is done with a frame handed to {@link
 * FrameSink#send(Frame, SendCallback)}.
 *
 * <p>Exactly one of the two methods must be called, exactly once, from any thread, at any later time (or
 * before {@code send} returns). Until then the frame counts as in flight: a {@link Channel} sends a
 * subscriber no more than its in-flight limit and evicts a subscriber whose frame stays in flight longer
 * than the stall timeout. Calls after the first are ignored.
 *
 * <h2>Thread safety</h2>
 *
 * Implementations provided by framestream are thread-safe and never block; both methods may be called
 * from any thread, including from inside {@code send}.
 *
 * @since 0.1.0
 */
public interface SendCallback {

  /** The frame was handed on (written to the socket, stored, processed). */
  void completed();

  /**
   * The frame could not be handed on and the sink is broken: its subscription will be closed with {@link
   * CloseReason.Code#SINK_FAILED}.
   *
   * @param cause what went wrong
   */
  void failed(Throwable cause);
}
