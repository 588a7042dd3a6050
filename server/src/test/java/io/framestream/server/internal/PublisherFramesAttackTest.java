package io.framestream.server.internal;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.transport.websocket.spi.PublisherInput;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.memory.MemoryManager;
import org.junit.jupiter.api.Test;

/**
 * Rule H2 for the embedded server's direct ingest: what a hostile publisher can make {@link PublisherFrames}
 * hold or do (memory held for bytes not sent, copying for tiny fragments, data after its close frame), each
 * with the bound it must keep. Found by review; each failed on the first version of the reader.
 */
class PublisherFramesAttackTest {

  private static final int LIMIT = 4 << 20;

  private final List<Object> received = new ArrayList<>();
  private final PublisherInput input = new PublisherInput() {
    @Override
    public void binary(byte[] message) {
      received.add(message);
    }

    @Override
    public void text(String message) {
      received.add(message);
    }
  };

  /** A masked client frame header (key 0) for a payload of the given length. */
  private static byte[] header(boolean fin, int opcode, long length) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | opcode);
    if (length < 126) {
      f.write(0x80 | (int) length);
    } else if (length < 65_536) {
      f.write(0x80 | 126);
      f.write((int) (length >>> 8));
      f.write((int) length);
    } else {
      f.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        f.write((int) (length >>> shift));
      }
    }
    f.writeBytes(new byte[4]); // masking key 0: payload bytes are sent as they are
    return f.toByteArray();
  }

  private FrameGuard guardWith(PublisherFrames frames) {
    FrameGuard guard = new FrameGuard(LIMIT, "text limit", LIMIT, "binary limit");
    guard.readBy(frames);
    return guard;
  }

  private static int held(PublisherFrames frames) throws ReflectiveOperationException {
    Field f = PublisherFrames.class.getDeclaredField("message");
    f.setAccessible(true);
    byte[] message = (byte[]) f.get(frames);
    return message == null ? 0 : message.length;
  }

  /**
   * H2: "a peer's bytes are refused before they are held" and the publisher holds "one message being
   * received ... at most that message plus one socket read". 16 bytes of a message announced at 4 MiB make
   * the reader allocate 1 MiB (FIRST_ALLOCATION): 65 536 times what arrived, per connection.
   */
  @Test
  void h2_aFewBytesOfALargeAnnouncedMessageHoldAboutWhatArrived() throws ReflectiveOperationException {
    PublisherFrames frames = new PublisherFrames(() -> Optional.of(input), LIMIT, LIMIT);
    FrameGuard guard = guardWith(frames);
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    read.writeBytes(header(true, 2, LIMIT));
    read.writeBytes(new byte[16]);
    guard.scan(Buffers.wrap(MemoryManager.DEFAULT_MEMORY_MANAGER, read.toByteArray()));
    int held = held(frames);
    assertTrue(held <= 64 * 1024, "16 payload bytes received, " + held + " bytes held");
  }

  /**
   * H2 / CPU: a message sent as 1-byte continuation frames makes {@code reserve} grow the array to the end of
   * each frame, one {@code Arrays.copyOf} per fragment: quadratic work. 32 KiB in 1-byte fragments (224 KiB
   * on the wire) allocates and copies about 512 MiB; at {@code maxFrameBytes} (8 MiB, 56 MiB on the wire)
   * it is about 32 TiB, a worker thread pinned for hours. Linear growth would allocate a few times 32 KiB.
   */
  @Test
  void h2_aMessageInOneByteFragmentsCostsLinearWork() {
    int size = 32 * 1024;
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.writeBytes(header(false, 2, 1));
    stream.write(1);
    for (int i = 1; i < size; i++) {
      stream.writeBytes(header(i == size - 1, 0, 1));
      stream.write(1);
    }
    byte[] all = stream.toByteArray();
    PublisherFrames frames = new PublisherFrames(() -> Optional.of(input), LIMIT, LIMIT);
    FrameGuard guard = guardWith(frames);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    guard.scan(Buffers.wrap(MemoryManager.DEFAULT_MEMORY_MANAGER, all));
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertTrue(received.size() == 1 && ((byte[]) received.get(0)).length == size, "the message arrived whole");
    assertTrue(allocated < 16L * size, "a " + size + "-byte message in 1-byte fragments allocated " + allocated
        + " bytes (" + (allocated / size) + " per message byte)");
  }

  /**
   * RFC 6455 5.5.1: after a Close frame the endpoint sends no more data, and data after it is not the
   * application's. A close frame and a data frame in one read: the data is published (Tyrus, which gets the
   * close only after the read, would never have delivered it).
   */
  @Test
  void w1_dataAfterTheClientsCloseFrameInTheSameReadIsNotDelivered() {
    PublisherFrames frames = new PublisherFrames(() -> Optional.of(input), LIMIT, LIMIT);
    FrameGuard guard = guardWith(frames);
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    read.writeBytes(header(true, 8, 2));
    read.write(0x03);
    read.write(0xE8); // 1000
    read.writeBytes(header(true, 2, 3));
    read.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF});
    guard.scan(Buffers.wrap(MemoryManager.DEFAULT_MEMORY_MANAGER, read.toByteArray()));
    assertNotNull(frames.takeControlFrames(), "the close frame goes to Tyrus");
    assertTrue(received.isEmpty(), "a message after the client's close frame was delivered: " + received.size());
  }
}
