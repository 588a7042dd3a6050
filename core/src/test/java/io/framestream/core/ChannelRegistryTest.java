package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Registry rules R1–R6 of docs/contract.md. */
class ChannelRegistryTest {

  @Test
  void r1_namesAreValidatedWithAClearError() {
    try (ChannelRegistry registry = ChannelRegistry.builder().build()) {
      assertEquals("cam-1.front_B", registry.channel("cam-1.front_B").name());
      registry.channel("x".repeat(64));
      for (String bad : List.of("", "x".repeat(65), "a b", "a/b", "ä", "../x", "a\nb", "a%20b")) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.channel(bad), bad);
        assertTrue(e.getMessage().startsWith("invalid channel name"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "control characters are escaped in the message");
      }
      assertThrows(NullPointerException.class, () -> registry.channel(null));
      assertTrue(registry.find("a b").isEmpty());
      assertTrue(ChannelNames.isValid("A.b-c_9"));
      assertFalse(ChannelNames.isValid(null));
    }
  }

  @Test
  void r2_onDemandOrDeclaredOnly() {
    try (ChannelRegistry onDemand = ChannelRegistry.builder().build()) {
      Channel a = onDemand.channel("a");
      assertSame(a, onDemand.channel("a"));
      assertEquals(List.of(a), onDemand.channels());
    }
    try (ChannelRegistry declaredOnly = ChannelRegistry.builder().createOnDemand(false).build()) {
      NoSuchChannelException e = assertThrows(NoSuchChannelException.class, () -> declaredOnly.channel("a"));
      assertTrue(e.getMessage().contains("'a'"), e.getMessage());
      Channel declared = declaredOnly.declare("a");
      assertSame(declared, declaredOnly.channel("a"));
      assertTrue(declaredOnly.find("b").isEmpty());
    }
  }

  @Test
  void r3_channelLimitIsEnforcedAndNamed() {
    try (ChannelRegistry registry = ChannelRegistry.builder().maxChannels(2).build()) {
      registry.channel("a");
      registry.channel("b");
      LimitExceededException e = assertThrows(LimitExceededException.class, () -> registry.channel("c"));
      assertTrue(e.getMessage().contains("maxChannels"), e.getMessage());
      registry.channel("a").close();
      registry.channel("c"); // a closed channel frees its slot
    }
  }

  @Test
  void r4_idleOnDemandChannelsAreClosedDeclaredOnesAreNot() {
    try (ChannelRegistry registry = ChannelRegistry.builder().idleTimeout(Duration.ofMillis(100)).build()) {
      Channel idle = registry.channel("idle");
      Channel declared = registry.declare("kept");
      Channel watched = registry.channel("watched");
      watched.subscribe(RecordingSink.immediate());
      Await.until("idle channel closed", idle::isClosed);
      assertTrue(registry.find("idle").isEmpty());
      assertFalse(declared.isClosed());
      assertFalse(watched.isClosed(), "a channel with a subscriber is not idle");
      assertTrue(registry.channel("idle") != idle, "the name can be used again");
    }
  }

  @Test
  void r5_attachedSourceRunsWhileTheChannelHasSubscribers() {
    AtomicInteger opens = new AtomicInteger();
    AtomicInteger closes = new AtomicInteger();
    FrameSource counter = new FrameSource() {
      private int n;

      @Override
      public void open() {
        opens.incrementAndGet();
      }

      @Override
      public Frame nextFrame() {
        return Frame.of("image/jpeg", new byte[] {(byte) n++});
      }

      @Override
      public void close() {
        closes.incrementAndGet();
      }
    };
    try (ChannelRegistry registry = ChannelRegistry.builder().sourceGracePeriod(Duration.ofMillis(300)).build()) {
      Channel ch = registry.attachSource("pattern", counter, 50);
      assertEquals(0, opens.get(), "no subscriber, no source");
      RecordingSink first = RecordingSink.immediate();
      Subscription s1 = ch.subscribe(first);
      Await.until("frames flow", () -> first.count() >= 3);
      assertEquals(1, opens.get());

      s1.close();
      Subscription s2 = ch.subscribe(RecordingSink.immediate()); // back within the grace period
      long quiet = System.nanoTime();
      Await.until("grace period passes", () -> System.nanoTime() - quiet > 600_000_000L);
      assertEquals(1, opens.get(), "a subscriber back within the grace period keeps the source running");
      assertEquals(0, closes.get());

      s2.close();
      Await.until("source stopped after the grace period", () -> closes.get() == 1);
      long stoppedAt = ch.stats().framesIn();
      RecordingSink again = RecordingSink.immediate();
      ch.subscribe(again);
      Await.until("restarted for a new subscriber", () -> opens.get() == 2 && again.lastSequence() > stoppedAt);
    }
    Await.until("closed with the registry", () -> closes.get() == 2);
  }

  @Test
  void r6_closeClosesChannelsAndStopsThreads() {
    ChannelRegistry registry = ChannelRegistry.builder().build();
    Channel ch = registry.channel("a");
    RecordingSink s = RecordingSink.immediate();
    ch.subscribe(s);
    registry.close();
    registry.close();
    assertTrue(ch.isClosed());
    assertTrue(registry.isClosed());
    Await.until("closed signal", s::isClosed);
    assertEquals(CloseReason.Code.CHANNEL_CLOSED, s.closeReason().code());
    assertThrows(ChannelClosedException.class, () -> registry.channel("b"));
  }

  @Test
  void statsSerialiseToJsonWithJackson() throws Exception {
    try (ChannelRegistry registry = ChannelRegistry.builder().build()) {
      Channel ch = registry.channel("json");
      RecordingSink s = RecordingSink.immediate();
      Subscription sub = ch.subscribe(s);
      ch.publish(Frame.of("image/jpeg", new byte[100]));
      Await.until("delivered", () -> ch.stats().framesOut() == 1);
      ObjectMapper mapper = new ObjectMapper();
      JsonNode json = mapper.readTree(mapper.writeValueAsString(ch.stats()));
      assertEquals("json", json.get("channel").asText());
      assertEquals(1, json.get("subscribers").asInt());
      assertEquals(1, json.get("framesIn").asLong());
      assertEquals(100, json.get("bytesOut").asLong());
      assertEquals("image/jpeg", json.get("contentType").asText());
      assertEquals(0, json.get("drops").get("SUPERSEDED").asLong());
      assertEquals(1, json.get("latency").get("count").asLong());
      JsonNode subJson = mapper.readTree(mapper.writeValueAsString(sub.stats()));
      assertEquals(1, subJson.get("framesOut").asLong());
      assertEquals(sub.id(), subJson.get("id").asLong());
    }
  }
}
