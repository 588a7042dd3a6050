package io.framestream.conformance;

import io.framestream.core.Frame;
import io.framestream.core.FrameEncoding;
import io.framestream.transport.websocket.spi.RawFrameSender;
import jakarta.websocket.SendHandler;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records the pre-framed messages a host's {@link RawFrameSender} writes to viewers (W11), for the channels a
 * test asks about only, so that the other tests' frames are not kept.
 */
final class RawSends {

  /** One message written to one viewer's connection. */
  record Send(String channel, String sessionId, ByteBuffer bytes) {}

  private final Set<String> watched = ConcurrentHashMap.newKeySet();
  private final List<Send> sends = new CopyOnWriteArrayList<>();

  /** Starts recording the sends to viewers of a channel. */
  void watch(String channel) {
    watched.add(channel);
  }

  /** The sends recorded for a channel, in order. */
  List<Send> of(String channel) {
    List<Send> out = new ArrayList<>();
    for (Send s : sends) {
      if (s.channel().equals(channel)) {
        out.add(s);
      }
    }
    return out;
  }

  /** Stops recording a channel and forgets its sends. */
  void forget(String channel) {
    watched.remove(channel);
    sends.removeIf(s -> s.channel().equals(channel));
  }

  /** Wraps a host's sender: records each send to a watched channel's viewer, then hands it on. */
  RawFrameSender recording(RawFrameSender delegate) {
    return new RawFrameSender() {
      @Override
      public boolean send(Session session, ByteBuffer frame, SendHandler handler) {
        record(session, frame);
        return delegate.send(session, frame, handler);
      }

      @Override // the viewers' path: the host's sender gets the frame, as it would unwrapped (its direct form)
      public boolean send(Session session, Frame frame, FrameEncoding<ByteBuffer> message, SendHandler handler) {
        record(session, frame.encoded(message));
        return delegate.send(session, frame, message, handler);
      }
    };
  }

  private void record(Session session, ByteBuffer bytes) {
    String path = session.getRequestURI().getPath();
    String channel = path.substring(path.lastIndexOf('/') + 1);
    if (watched.contains(channel)) {
      sends.add(new Send(channel, session.getId(), bytes.duplicate()));
    }
  }
}
