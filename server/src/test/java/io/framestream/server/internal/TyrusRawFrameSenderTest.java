package io.framestream.server.internal;

import static org.junit.jupiter.api.Assertions.assertNotSame;

import io.framestream.transport.websocket.spi.RawFrameSender;
import org.junit.jupiter.api.Test;

class TyrusRawFrameSenderTest {

  @Test
  void theFastPathIsAvailableWithThisTyrus() {
    // Fails when a Tyrus upgrade moves the internals the sender reads: viewers would silently fall back to
    // the slower sendBinary path (see docs/performance.md).
    assertNotSame(RawFrameSender.PORTABLE, TyrusRawFrameSender.create());
  }
}
