package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Direct messages: a frame's message in pooled native memory, counted references, retirement by the channel
 * (FrameEncoding's retire hook), and reuse of the memory for later frames.
 */
class DirectMessageTest {

  /** The payload itself, in native memory. */
  private static final FrameEncoding<DirectMessage> PAYLOAD =
      DirectMessage.encoding("test-payload", Frame::size, (frame, out) -> out.put(frame.payload()));

  private ChannelRegistry registry;
  private int inUseBefore;

  @BeforeEach
  void start() {
    registry = ChannelRegistry.builder().deliveryThreads(1).build();
    inUseBefore = DirectMessage.inUse();
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  private static byte[] bytes(int seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] read(ByteBuffer view) {
    byte[] out = new byte[view.remaining()];
    view.get(out);
    return out;
  }

  @Test
  void aRetainedViewIsAReadOnlyDirectCopyOfTheMessage() {
    Frame frame = registry.channel("a").publish(Frame.of("image/jpeg", bytes(1, 50_000)));
    DirectMessage message = frame.encoded(PAYLOAD);
    assertSame(message, frame.encoded(PAYLOAD), "computed once per frame");
    ByteBuffer view = message.retain();
    assertNotNull(view);
    assertTrue(view.isDirect());
    assertTrue(view.isReadOnly());
    assertEquals(50_000, message.size());
    assertArrayEquals(frame.copyPayload(), read(view));
    message.release();
  }

  @Test
  void theNewestFrameKeepsItsMessageAndANewerOneRetiresIt() {
    Channel channel = registry.channel("a");
    Frame first = channel.publish(Frame.of("image/jpeg", bytes(1, 20_000)));
    DirectMessage message = first.encoded(PAYLOAD);
    ByteBuffer inFlight = message.retain();
    assertNotNull(inFlight, "the channel's newest frame serves");

    channel.publish(Frame.of("image/jpeg", bytes(2, 20_000)));
    assertTrue(DirectMessage.inUse() > inUseBefore, "the write still in flight holds the memory");
    ByteBuffer late = message.retain();
    assertNotNull(late, "while a write holds it, a late write of the retired frame may still share it");
    message.release();
    assertArrayEquals(first.copyPayload(), read(inFlight), "a write in flight still reads its bytes");
    message.release(); // the first write reports
    assertNull(message.retain(), "the memory went back to the pool: no new write takes it");
    assertThrows(IllegalStateException.class, message::release, "a release without a retain is refused");
  }

  @Test
  void aMessageComputedAfterRetirementDoesNotServe() {
    Channel channel = registry.channel("a");
    Frame old = channel.publish(Frame.of("image/jpeg", bytes(1, 20_000)));
    channel.publish(Frame.of("image/jpeg", bytes(2, 20_000)));
    DirectMessage late = old.encoded(PAYLOAD); // a viewer's queue still held the old frame
    assertNull(late.retain());
  }

  @Test
  void theLateJoinerCacheKeepsItsFramesServingUntilItDropsThem() {
    Channel channel = registry.channel("v");
    Frame init = channel.publish(Frame.builder(bytes(1, 4_000)).contentType("video/mp4").kind(FrameKind.INIT).build());
    Frame key = channel.publish(Frame.builder(bytes(2, 30_000)).contentType("video/mp4").kind(FrameKind.KEY).build());
    Frame delta = channel.publish(Frame.builder(bytes(3, 5_000)).contentType("video/mp4").kind(FrameKind.DELTA).build());
    DirectMessage initMessage = init.encoded(PAYLOAD);
    DirectMessage keyMessage = key.encoded(PAYLOAD);
    DirectMessage deltaMessage = delta.encoded(PAYLOAD);
    channel.publish(Frame.builder(bytes(4, 5_000)).contentType("video/mp4").kind(FrameKind.DELTA).build());
    for (DirectMessage m : List.of(initMessage, keyMessage, deltaMessage)) {
      ByteBuffer view = m.retain();
      assertNotNull(view, "a frame the late-joiner cache keeps still serves");
      m.release();
    }

    channel.publish(Frame.builder(bytes(5, 30_000)).contentType("video/mp4").kind(FrameKind.KEY).build());
    assertNull(keyMessage.retain(), "a new key frame drops the old one and its group");
    assertNull(deltaMessage.retain());
    assertNotNull(initMessage.retain(), "the init segment stays");
    initMessage.release();

    channel.close();
    assertNull(initMessage.retain(), "closing the channel retires everything it held");
  }

  @Test
  void retiredMemoryServesLaterFramesSoLiveMemoryStaysFlat() {
    Channel channel = registry.channel("a");
    Frame frame = channel.publish(Frame.of("image/jpeg", bytes(0, 100_000)));
    frame.encoded(PAYLOAD);
    long live = DirectMessage.liveBytes();
    for (int i = 1; i <= 200; i++) {
      frame = channel.publish(Frame.of("image/jpeg", bytes(i, 90_000 + i * 100)));
      DirectMessage m = frame.encoded(PAYLOAD);
      ByteBuffer view = m.retain();
      assertNotNull(view);
      assertArrayEquals(frame.copyPayload(), read(view), "frame " + i + " reads its own bytes, not an earlier frame's");
      m.release();
    }
    assertTrue(DirectMessage.liveBytes() <= live + 2 * 131_072,
        "200 frames of about 100 KB reuse the same memory: live " + DirectMessage.liveBytes() + ", was " + live);
    channel.close();
    assertEquals(inUseBefore, DirectMessage.inUse(), "every message went back once its frame was retired");
  }

  @Test
  void smallMessagesAndFailingWritersDoNotServe() {
    Channel channel = registry.channel("a");
    Frame small = channel.publish(Frame.of("image/jpeg", bytes(1, DirectMessage.MIN_SIZE - 1)));
    assertNull(small.encoded(PAYLOAD).retain(), "under the minimum the heap form serves");

    FrameEncoding<DirectMessage> shortWriter =
        DirectMessage.encoding("short", Frame::size, (frame, out) -> out.put(new byte[10]));
    Frame frame = channel.publish(Frame.of("image/jpeg", bytes(2, 10_000)));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> frame.encoded(shortWriter));
    assertTrue(e.getMessage().contains("10 of 10000"), e.getMessage());
    assertEquals(inUseBefore, DirectMessage.inUse(), "the failed writer's memory went back");
  }

  @Test
  void copyOfAHeapEncodingHasTheSameBytes() {
    FrameEncoding<ByteBuffer> heap = FrameEncoding.of("heap", f -> ByteBuffer.wrap(f.copyPayload()).position(3));
    FrameEncoding<DirectMessage> copy = DirectMessage.copyOf(heap);
    Frame frame = registry.channel("a").publish(Frame.of("image/jpeg", bytes(1, 5_000)));
    DirectMessage m = frame.encoded(copy);
    ByteBuffer view = m.retain();
    byte[] expected = new byte[4_997];
    System.arraycopy(frame.copyPayload(), 3, expected, 0, expected.length);
    assertArrayEquals(expected, read(view), "from the heap buffer's position to its limit");
    m.release();
  }

  @Test
  void aThrowingRetireHookHarmsNoOtherValue() {
    FrameEncoding<Object> throwing = FrameEncoding.of("throwing", f -> new Object(), v -> {
      throw new IllegalStateException("hook failed");
    });
    Channel channel = registry.channel("a");
    Frame first = channel.publish(Frame.of("image/jpeg", bytes(1, 20_000)));
    first.encoded(throwing);
    DirectMessage message = first.encoded(PAYLOAD);
    channel.publish(Frame.of("image/jpeg", bytes(2, 20_000))); // retires first: the throw is logged
    assertNull(message.retain(), "the direct message heard it too and went back");
  }

  @Test
  void retiringWhileAnotherThreadEncodesTellsEveryValueExactlyOnce() throws Exception {
    for (int round = 0; round < 200; round++) {
      AtomicInteger heard = new AtomicInteger();
      FrameEncoding<Object> counted = FrameEncoding.of("counted", f -> new Object(), v -> heard.incrementAndGet());
      Channel channel = registry.channel("race");
      Frame frame = channel.publish(Frame.of("image/jpeg", bytes(round, 100)));
      Thread encoder = new Thread(() -> frame.encoded(counted));
      encoder.start();
      channel.publish(Frame.of("image/jpeg", bytes(round + 1, 100)));
      encoder.join(10_000);
      assertEquals(1, heard.get(), "round " + round + ": the value heard of its retirement once");
    }
  }

  @Test
  void theRetireHookHearsEachValueOnce() {
    AtomicInteger retired = new AtomicInteger();
    List<Object> heard = new ArrayList<>();
    FrameEncoding<Object> counted = FrameEncoding.of("counted", f -> new Object(), v -> {
      retired.incrementAndGet();
      heard.add(v);
    });
    Channel channel = registry.channel("a");
    Frame first = channel.publish(Frame.of("image/jpeg", bytes(1, 100)));
    Object value = first.encoded(counted);
    assertEquals(0, retired.get(), "the newest frame is not retired");
    channel.publish(Frame.of("image/jpeg", bytes(2, 100)));
    channel.publish(Frame.of("image/jpeg", bytes(3, 100)));
    channel.close();
    assertEquals(1, retired.get());
    assertSame(value, heard.get(0));
    assertSame(value, first.encoded(counted), "the value stays cached after retirement");
  }
}
