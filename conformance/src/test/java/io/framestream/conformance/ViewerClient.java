package io.framestream.conformance;

import java.util.ArrayList;
import java.util.List;

/**
 * A real client viewing one channel over one transport, recording what it receives as {@link ViewerEvent}s
 * in arrival order. Each rule is written once against this.
 */
interface ViewerClient extends AutoCloseable {

  /** Everything received so far, in order. */
  List<ViewerEvent> events();

  /** Stops reading: the client takes no more messages and, once its buffers are full, the socket fills up. */
  void pause();

  /** Reads again after {@link #pause()}. */
  void resume();

  /** Whether the connection has ended. */
  boolean isClosed();

  /** Ends the connection. */
  @Override
  void close();

  /** The frames received so far, in order. */
  default List<ViewerEvent> frames() {
    List<ViewerEvent> out = new ArrayList<>();
    for (ViewerEvent e : events()) {
      if (e.type() == ViewerEvent.Type.FRAME) {
        out.add(e);
      }
    }
    return out;
  }

  /** The test indices of the frames received so far, in order. */
  default List<Integer> frameIndices() {
    List<Integer> out = new ArrayList<>();
    for (ViewerEvent e : frames()) {
      out.add(e.index());
    }
    return out;
  }

  /** The index of the newest frame received, or -1. */
  default int lastIndex() {
    List<ViewerEvent> f = frames();
    return f.isEmpty() ? -1 : f.get(f.size() - 1).index();
  }

  /** The statuses received so far, in order. */
  default List<String> statuses() {
    List<String> out = new ArrayList<>();
    for (ViewerEvent e : events()) {
      if (e.type() == ViewerEvent.Type.STATUS) {
        out.add(e.status());
      }
    }
    return out;
  }
}
