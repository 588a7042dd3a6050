package io.framestream.core;

/**
 * Why a frame was not delivered to a subscriber. Counted per subscriber and per channel.
 *
 * <h2>Thread safety</h2>
 *
 * An enum: immutable.
 *
 * @since 0.1.0
 */
public enum DropReason {
  /** A waiting frame was replaced by a newer key frame or {@code INIT} (newest wins). */
  SUPERSEDED,
  /** A delta frame was skipped because the subscriber fell behind; it resumes at the next key frame. */
  SKIPPED_TO_KEY,
  /** A waiting frame was replaced while the subscriber was held back by its maximum frame rate. */
  RATE_LIMITED,
  /** The frame was older than the subscriber's maximum frame age when its turn came. */
  TOO_OLD
}
