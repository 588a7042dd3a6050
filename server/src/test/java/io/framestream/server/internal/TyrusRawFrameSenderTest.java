package io.framestream.server.internal;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.transport.websocket.spi.RawFrameSender;
import org.junit.jupiter.api.Test;

class TyrusRawFrameSenderTest {

  @Test
  void theFastPathIsAvailableWithThisTyrus() {
    // Fails when a Tyrus upgrade moves the internals the sender reads: viewers would silently fall back to
    // the slower sendBinary path (see docs/performance.md).
    assertNotSame(RawFrameSender.PORTABLE, TyrusRawFrameSender.create());
  }

  @Test
  void writesStraightIntoGrizzlysQueueAreAvailableWithThisTyrus() {
    // Fails when a Tyrus upgrade moves the Grizzly container's writer internals: every viewer message would
    // silently go through Tyrus's task queue and the filter chain again (see docs/performance.md).
    assertTrue(GrizzlyWrites.create().enabled());
  }
}
