package io.framestream.core.wire;

import io.framestream.core.ContentTypes;
import io.framestream.core.FrameKind;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Tells the kind of fMP4 messages that arrive one by one (a publisher's, or a client's): an init segment is
 * {@link FrameKind#INIT} and remembered; a fragment is {@link FrameKind#KEY} or {@link FrameKind#DELTA} from
 * its sample flags read against the newest init segment. Internal; not API.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: one instance per stream, fed serially.
 */
public final class Fmp4Kinds {

  private byte[] init;

  /** Creates a classifier for one stream, which has seen no init segment yet. */
  public Fmp4Kinds() {}

  /**
   * Remembers an init segment that arrived by other means (for example inside an SSE {@code init} event).
   *
   * @param initSegment the init segment's bytes
   */
  public void initSegment(byte[] initSegment) {
    this.init = initSegment;
  }

  /**
   * Classifies one MP4 message.
   *
   * @param mp4 the message's bytes (position unchanged)
   * @param fallbackInit an init segment to use when none arrived yet (such as the channel's), or null
   * @return the kind, or empty when it cannot be told (then callers keep their default)
   */
  public Optional<FrameKind> kindOf(ByteBuffer mp4, Supplier<byte[]> fallbackInit) {
    if (ContentTypes.isMp4InitSegment(mp4)) {
      byte[] copy = new byte[mp4.remaining()];
      mp4.duplicate().get(copy);
      init = copy;
      return Optional.of(FrameKind.INIT);
    }
    byte[] reference = init != null ? init : fallbackInit == null ? null : fallbackInit.get();
    return reference == null ? Optional.empty() : Fmp4Parser.fragmentKind(reference, mp4);
  }
}
