package io.framestream.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What both viewer clients share: the events in arrival order, and reading one message (or chunk) at a time
 * so that {@link #pause()} stops taking any, which is what lets a socket fill up.
 */
abstract class RecordingClient implements ViewerClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<ViewerEvent> events = new ArrayList<>();
  private final Object demand = new Object();
  private boolean paused; // guarded by demand
  private boolean owed; // guarded by demand: one was taken while paused, so one request is due on resume

  /** Asks the connection for one more message or chunk. */
  abstract void requestOne();

  /** Called after each message or chunk: asks for the next one unless paused. */
  final void taken() {
    synchronized (demand) {
      if (paused) {
        owed = true;
        return;
      }
    }
    requestOne();
  }

  final void add(ViewerEvent e) {
    synchronized (events) {
      events.add(e);
    }
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + text, e);
    }
  }

  @Override
  public final List<ViewerEvent> events() {
    synchronized (events) {
      return new ArrayList<>(events);
    }
  }

  @Override
  public final void pause() {
    synchronized (demand) {
      paused = true;
    }
  }

  @Override
  public final void resume() {
    boolean request;
    synchronized (demand) {
      paused = false;
      request = owed;
      owed = false;
    }
    if (request) {
      requestOne();
    }
  }
}
