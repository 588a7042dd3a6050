package io.framestream.core;

/**
 * Something that produces frames: a camera, a file, a test pattern, an MJPEG byte stream, a remote
 * channel, a simulation.
 *
 * <p>Writing one is the easy part on purpose: implement {@link #nextFrame()} ("produce the next frame"),
 * and optionally {@link #open()} and {@link #close()}. A {@link SourceRunner} does the rest: it runs the
 * source on its own thread at a target rate, publishes each frame into a {@link FrameSink} (usually a
 * {@link Channel}), restarts the source with backoff after a failure, and stops it cleanly.
 *
 * <pre>{@code
 * FrameSource clock = () -> Frame.of("image/png", renderClockPng());
 * try (SourceRunner runner = SourceRunner.builder(clock, channel).fps(10).build()) {
 *   runner.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>The rules (numbered in {@code docs/contract.md}, section "FrameSource"):
 *
 * <ol>
 *   <li>The runner calls {@code open()} once before the first {@code nextFrame()} and again before the
 *       first {@code nextFrame()} after each restart.
 *   <li>{@code nextFrame()} may block (it runs on the runner's own thread) until a frame is ready. It
 *       returns the frame, throws {@link java.io.EOFException} when the stream has ended, or throws any
 *       other exception when it failed.
 *   <li>After a failure the runner calls {@code close()}, waits the delay of its {@link RetryPolicy} (by
 *       default one that grows exponentially up to a maximum, with jitter, reset by the next success), and
 *       calls {@code open()} again.
 *   <li>For every {@code open()} that returned normally, {@code close()} is called exactly once. When the
 *       runner is stopped while {@code nextFrame()} is blocked, {@code close()} is called from the stopping
 *       thread, concurrently with that blocked call, so that closing the underlying stream or socket can
 *       unblock it; the runner thread is interrupted as well. That {@code close()} may also land just
 *       before the last {@code nextFrame()} call, which must then fail (or return) promptly.
 *   <li>Methods are never called concurrently with each other except as rule 4 says.
 * </ol>
 *
 * <h2>Thread safety</h2>
 *
 * A source is driven by one runner thread at a time and need not be thread-safe, except that {@code
 * close()} may run concurrently with a blocked {@code nextFrame()} (rule 4).
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface FrameSource extends AutoCloseable {

  /**
   * Acquires what the source needs (opens a file, starts a process, connects). Called before the first
   * frame and after each restart. The default does nothing.
   *
   * @throws Exception if the source cannot start; the runner retries with backoff
   */
  default void open() throws Exception {}

  /**
   * Produces the next frame, blocking until it is ready if needed. The sequence number of the returned
   * frame is ignored: the channel assigns it.
   *
   * @return the next frame, never {@code null}
   * @throws java.io.EOFException when the stream has ended normally
   * @throws Exception when producing failed; the runner restarts the source with backoff
   */
  Frame nextFrame() throws Exception;

  /**
   * Releases what {@link #open()} acquired. Must not throw; may be called from another thread to unblock a
   * blocked {@link #nextFrame()} (rule 4). The default does nothing.
   */
  @Override
  default void close() {}
}
