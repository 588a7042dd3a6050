package io.framestream.core;

/**
 * Something that accepts frames: a viewer connection, a recorder, a remote publisher, a test probe, or a
 * {@link Channel} itself.
 *
 * <p>The rules (numbered in {@code docs/contract.md}, section "FrameSink"):
 *
 * <ol>
 *   <li>{@link #send(Frame, SendCallback)} never blocks its caller: it starts the work and returns.
 *   <li>It reports the outcome of every send exactly once through the callback, from any thread, possibly
 *       before it returns.
 *   <li>A sink subscribed to a channel receives calls serially: never two calls at once, never a call after
 *       {@link #closed(CloseReason)}. It may still have frames in flight when {@code closed} arrives.
 *   <li>{@code closed} is called at most once, and exactly once for a subscribed sink, when its
 *       subscription ends for any reason.
 *   <li>An exception thrown from {@code send} fails only this sink's subscription; the channel and other
 *       subscribers are not affected.
 * </ol>
 *
 * <p>The simplest sink handles the frame synchronously: {@code (frame, done) -> { store(frame);
 * done.completed(); }}; {@link #of(java.util.function.Consumer)} wraps a consumer that way.
 *
 * <h2>Thread safety</h2>
 *
 * A channel calls a subscribed sink from its shared delivery pool, or, if {@link #inline()} says so, from the
 * publishing thread, one call at a time (rule 3), so an implementation needs no locking against itself; but
 * the thread may differ from call to call. Methods must return quickly and must not block: a blocking sink
 * holds a delivery thread that other subscribers share.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface FrameSink {

  /**
   * Starts handing on a frame. Must not block.
   *
   * @param frame the frame; immutable, may be shared with other sinks
   * @param callback to be told, exactly once, when the sink is done with the frame
   */
  void send(Frame frame, SendCallback callback);

  /**
   * Called once when the subscription that feeds this sink ends, after which no further {@code send}
   * comes. A transport closes its connection here (for {@link CloseReason.Code#STALLED}, without waiting
   * for queued data to drain). The default does nothing. Must not block.
   *
   * @param reason why the subscription ended
   */
  default void closed(CloseReason reason) {}

  /**
   * Called when the channel goes {@link ChannelState#ONLINE online} or {@link ChannelState#OFFLINE offline},
   * serially with {@code send} and in order with the frames around it; a late joiner of an offline channel
   * gets {@code OFFLINE} after its first frames. Only the newest state is delivered if several changes
   * happen while the sink is busy. The default does nothing. Must not block.
   *
   * @param state the channel's new state
   */
  default void status(ChannelState state) {}

  /**
   * Whether the channel may call this sink on the thread that publishes, right after the publish, instead
   * of handing the call to its delivery pool (rule C1 explains the exception). That saves every frame a thread
   * wake-up, which is most of a small fan-out's latency and a part of its CPU, but the publisher's thread (for
   * a WebSocket publisher, a selector thread that serves other connections too) then waits for the call.
   *
   * <p>Return {@code true} only when every call ({@code send}, {@code status}, {@code closed}) does a bounded
   * amount of work without waiting: it hands bytes to a non-blocking socket's write queue or fails, and the
   * locks it takes are only ever held for such non-blocking work. The built-in viewers on the embedded server
   * qualify. One publish runs at most 1,024 such calls, for at most about 5 ms, on its thread; later ones go
   * to the pool, as do half of a fan-out to 64 or more such sinks (written meanwhile on another core) and the
   * next frame of a sink whose previous one is still in flight. The answer is read once, when the sink
   * subscribes (not under the channel's lock); an exception counts as {@code false}. The default is {@code
   * false}: the sink runs on the delivery pool.
   *
   * @return {@code true} to be called on the publishing thread
   * @since 0.4.0
   */
  default boolean inline() {
    return false;
  }

  /**
   * Wraps a consumer as a sink that handles each frame synchronously and completes at once; an exception
   * from the consumer fails the subscription (rule 5).
   *
   * @param consumer receives each frame
   * @return a sink
   * @throws NullPointerException if {@code consumer} is {@code null}
   */
  static FrameSink of(java.util.function.Consumer<? super Frame> consumer) {
    java.util.Objects.requireNonNull(consumer, "consumer");
    return (frame, callback) -> {
      consumer.accept(frame);
      callback.completed();
    };
  }
}
