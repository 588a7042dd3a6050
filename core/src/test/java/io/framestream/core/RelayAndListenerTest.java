package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import io.framestream.testkit.RecordingSink;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The hooks a relay (such as the NATS bridge) builds on: frame origin, relay subscriptions, listeners. */
class RelayAndListenerTest {

  private static final byte[] BYTES = {1, 2, 3};

  @Test
  void originIsKeptThroughPublishingAndToBuilder() {
    Frame f = Frame.builder(BYTES).origin("nats:node-a").build();
    assertEquals(Optional.of("nats:node-a"), f.origin());
    assertEquals(Optional.empty(), Frame.of("image/jpeg", BYTES).origin());
    Channel ch = Channel.create("o");
    Frame published = ch.publish(f);
    assertEquals(Optional.of("nats:node-a"), published.origin());
    assertEquals(Optional.of("nats:node-a"), published.toBuilder().build().origin());
    assertFalse(f.equals(Frame.builder(BYTES).captureTime(f.captureTime()).build()), "origin is compared");
    ch.close();
  }

  @Test
  void originIsValidated() {
    Frame.Builder b = Frame.builder(BYTES);
    assertThrows(IllegalArgumentException.class, () -> b.origin(""));
    assertThrows(IllegalArgumentException.class, () -> b.origin("with space"));
    assertThrows(IllegalArgumentException.class, () -> b.origin("x".repeat(Frame.MAX_ORIGIN_LENGTH + 1)));
    assertThrows(NullPointerException.class, () -> b.origin(null));
  }

  @Test
  void relaySubscriptionGetsFramesButIsNotAViewer() {
    Channel ch = Channel.create("r", ChannelConfig.builder().maxSubscribers(1).build());
    RecordingSink relay = RecordingSink.immediate();
    Subscription rs = ch.subscribe(relay, SubscriberOptions.RELAY);
    assertEquals(0, ch.subscriberCount());
    RecordingSink viewer = RecordingSink.immediate();
    ch.subscribe(viewer); // the one viewer allowed: the relay did not take the slot
    assertEquals(1, ch.subscriberCount());
    assertEquals(1, ch.stats().subscribers());
    ch.publish(Frame.of("image/jpeg", BYTES));
    Await.until("both get the frame", () -> relay.count() == 1 && viewer.count() == 1);
    rs.close();
    assertEquals(1, ch.subscriberCount());
    assertTrue(SubscriberOptions.DEFAULTS.withRelay(true).relay());
    ch.close();
  }

  @Test
  void listenerHearsOpenViewersPublishersAndClose() {
    List<String> events = new CopyOnWriteArrayList<>();
    RegistryListener listener = new RegistryListener() {
      @Override
      public void channelOpened(Channel c) {
        events.add("opened " + c.name());
      }

      @Override
      public void channelClosed(Channel c) {
        events.add("closed " + c.name());
      }

      @Override
      public void viewersChanged(Channel c) {
        events.add("viewers " + c.subscriberCount());
      }

      @Override
      public void publishersChanged(Channel c) {
        events.add("publishers " + c.publisherCount());
      }
    };
    try (ChannelRegistry registry = ChannelRegistry.builder().idleTimeout(Duration.ZERO).build()) {
      registry.addListener(listener);
      registry.addListener(listener); // no effect
      Channel ch = registry.channel("l");
      registry.channel("l"); // exists: no second "opened"
      Subscription viewer = ch.subscribe(RecordingSink.immediate());
      Subscription relay = ch.subscribe(RecordingSink.immediate(), SubscriberOptions.RELAY);
      Publisher p = ch.openPublisher("test");
      p.close();
      relay.close();
      viewer.close();
      ch.close();
      assertEquals(List.of("opened l", "viewers 1", "publishers 1", "publishers 0", "viewers 0", "closed l"),
          events);
      registry.removeListener(listener);
      registry.channel("m");
      assertEquals(6, events.size(), "a removed listener hears nothing");
    }
  }

  @Test
  void aThrowingListenerHarmsNoOne() {
    try (ChannelRegistry registry = ChannelRegistry.builder().build()) {
      registry.addListener(new RegistryListener() {
        @Override
        public void channelOpened(Channel c) {
          throw new IllegalStateException("listener bug");
        }
      });
      Channel ch = registry.channel("t");
      RecordingSink s = RecordingSink.immediate();
      ch.subscribe(s);
      ch.publish(Frame.of("image/jpeg", BYTES));
      Await.until("delivered", () -> s.count() == 1);
    }
  }
}
