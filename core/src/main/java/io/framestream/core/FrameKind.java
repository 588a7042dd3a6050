package io.framestream.core;

/**
 * What a frame is to a decoder, which decides how a {@link Channel} may drop it.
 *
 * <ul>
 *   <li>{@link #INIT}: stream set-up (for fragmented MP4 the {@code ftyp}+{@code moov} init segment).
 *       Never dropped; a late joiner receives the current one first.
 *   <li>{@link #KEY}: decodable on its own (every JPEG/PNG/WebP image, a video fragment that starts with
 *       a sync sample). A viewer may join or resume at any key frame.
 *   <li>{@link #DELTA}: needs the frames before it back to the previous {@link #KEY}. After a delta is
 *       dropped for a viewer, that viewer skips to the next key frame.
 * </ul>
 *
 * <h2>Thread safety</h2>
 *
 * An enum: immutable and safe to share between threads.
 *
 * @since 0.1.0
 */
public enum FrameKind {
  /** Stream set-up data, such as a fragmented-MP4 init segment. */
  INIT,
  /** A frame decodable on its own; every still image is one. */
  KEY,
  /** A frame that depends on the frames since the previous key frame. */
  DELTA
}
