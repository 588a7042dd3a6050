package io.framestream.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.core.Channel;
import io.framestream.core.DropReason;
import io.framestream.testkit.Await;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * G1-G5: many channels over one WebSocket ({@code /ws/multi}), on every host. Each case is named {@code <rule>
 * [<host>]}.
 */
class MultiChannelIT extends ConformanceSuite {

  private MultiClient connect(Host host, String... headers) {
    return keep(MultiClient.connect(host.webSocketUri().resolve("/ws/multi"), headers));
  }

  private static void awaitAnswers(MultiClient client, String type, int count) {
    Await.until(() -> count + " '" + type + "' answers; got " + client.messages(),
        () -> client.answers(type).size() >= count, BOUND);
  }

  @ParameterizedTest(name = "{displayName} [{0}]")
  @EnumSource(HostKind.class)
  void g1_eachFrameIsTaggedWithItsChannel_andALateJoinerGetsAPictureAtOnce(HostKind kind) {
    Host host = Hosts.get(kind);
    List<Channel> channels = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      channels.add(declare(host, "multi"));
    }
    channels.get(0).publish(TestFrames.image(100, 2_000)); // already there before the viewer comes
    MultiClient client = connect(host);
    for (Channel c : channels) {
      client.add(c.name());
    }
    awaitAnswers(client, "added", 3);
    Await.until("the late picture of " + channels.get(0).name(),
        () -> client.indices(channels.get(0).name()).equals(List.of(100)), BOUND);
    for (Channel c : channels) {
      Await.until("subscribed to " + c.name(), () -> c.subscriberCount() == 1, BOUND);
    }
    for (int f = 0; f < 3; f++) { // one frame per channel at a time: images are newest-wins (C2)
      for (int c = 0; c < channels.size(); c++) {
        channels.get(c).publish(TestFrames.image(c * 10 + f, 1_000 + f));
      }
      for (int c = 0; c < channels.size(); c++) {
        int index = c * 10 + f;
        String name = channels.get(c).name();
        Await.until(() -> "frame " + index + " of " + name + "; got " + client.messages(),
            () -> client.indices(name).contains(index), BOUND);
      }
    }
    assertEquals(List.of(100, 0, 1, 2), client.indices(channels.get(0).name()), "in order, each tagged");
    assertEquals(List.of(10, 11, 12), client.indices(channels.get(1).name()));
    assertEquals(List.of(20, 21, 22), client.indices(channels.get(2).name()));
    for (MultiClient.Message m : client.messages()) {
      if (m.json() == null) {
        assertEquals("image/jpeg", m.contentType(), () -> "the content type travels with the frame: " + m);
        assertEquals(0, m.kind(), () -> "a KEY frame: " + m);
      }
    }
    // G1: the answer to an add comes before any frame of its channel
    List<MultiClient.Message> all = client.messages();
    for (Channel c : channels) {
      int added = -1;
      int first = -1;
      for (int i = 0; i < all.size(); i++) {
        MultiClient.Message m = all.get(i);
        if (added < 0 && m.json() != null && c.name().equals(m.json().path("channel").asText())) {
          added = i;
        }
        if (first < 0 && c.name().equals(m.channel())) {
          first = i;
        }
      }
      assertTrue(added >= 0 && added < first, () -> "'added' before the frames of " + c.name() + ": " + all);
    }
  }

  @ParameterizedTest(name = "{displayName} [{0}]")
  @EnumSource(HostKind.class)
  void g2_aRefusedControlMessageHarmsNothing(HostKind kind) {
    Host host = Hosts.get(kind);
    Channel ok = declare(host, "multi-ok");
    Channel secret = declare(host, HostConfig.PRIVATE + "multi");
    MultiClient client = connect(host);
    client.add(ok.name());
    awaitAnswers(client, "added", 1);
    client.add("undeclared-" + System.nanoTime());
    client.add("bad*name");
    client.add(secret.name());
    client.add(ok.name());
    client.remove("never-added");
    client.send("{not json");
    client.send("{\"type\":\"subscribe\",\"channel\":\"x\"}");
    awaitAnswers(client, "error", 7);
    List<Integer> statuses = new ArrayList<>();
    for (JsonNode e : client.answers("error")) {
      statuses.add(e.path("status").asInt());
      assertFalse(e.path("error").asText().isEmpty(), () -> "a precise message: " + e);
    }
    assertEquals(List.of(404, 400, 401, 409, 404, 400, 400), statuses, () -> "answers: " + client.messages());
    assertEquals(0, secret.subscriberCount(), "nothing was subscribed for a refused channel");
    ok.publish(TestFrames.image(5, 1_000));
    Await.until("the added channel still streams", () -> client.indices(ok.name()).equals(List.of(5)), BOUND);

    MultiClient allowed = connect(host, "Authorization", "Bearer " + HostConfig.TOKEN);
    allowed.add(secret.name());
    awaitAnswers(allowed, "added", 1);
  }

  @ParameterizedTest(name = "{displayName} [{0}]")
  @EnumSource(HostKind.class)
  void g3_aConnectionViewsAtMost32Channels(HostKind kind) {
    Host host = Hosts.get(kind);
    MultiClient client = connect(host);
    List<Channel> channels = new ArrayList<>();
    for (int i = 0; i < 33; i++) {
      channels.add(declare(host, "many"));
      client.add(channels.get(i).name());
    }
    awaitAnswers(client, "added", 32);
    awaitAnswers(client, "error", 1);
    JsonNode refused = client.answers("error").get(0);
    assertEquals(429, refused.path("status").asInt(), refused::toString);
    assertEquals(channels.get(32).name(), refused.path("channel").asText());
    assertTrue(refused.path("error").asText().contains("32"), refused::toString);
    client.remove(channels.get(0).name());
    awaitAnswers(client, "removed", 1);
    client.add(channels.get(32).name());
    awaitAnswers(client, "added", 33);
  }

  /**
   * G4: a channel flooded with large frames and a quiet channel on one connection: each of the quiet one's
   * frames arrives while the flood goes on, because each channel has its own mailbox (the flooded one drops its
   * older frames instead of queueing them ahead of the quiet one's, and cannot supersede them).
   */
  @ParameterizedTest(name = "{displayName} [{0}]")
  @EnumSource(HostKind.class)
  void g4_aBusyChannelNeverDelaysAnother(HostKind kind) throws InterruptedException {
    Host host = Hosts.get(kind);
    Channel busy = declare(host, "busy");
    Channel quiet = declare(host, "quiet");
    MultiClient client = connect(host);
    client.add(busy.name());
    client.add(quiet.name());
    awaitAnswers(client, "added", 2);
    Await.until("both subscribed", () -> busy.subscriberCount() == 1 && quiet.subscriberCount() == 1, BOUND);
    // The busy camera publishes 256 KB frames as fast as it can, the quiet one a small frame every 100 ms.
    AtomicInteger busyFrames = new AtomicInteger();
    AtomicBoolean quietDone = new AtomicBoolean();
    Thread flood = new Thread(() -> {
      while (!quietDone.get()) {
        busy.publish(TestFrames.image(busyFrames.getAndIncrement(), 256 * 1024));
      }
    }, "busy-camera");
    flood.start();
    List<Integer> quietSent = new ArrayList<>();
    try {
      for (int i = 0; i < 10; i++) { // each quiet frame gets through while the flood goes on
        quiet.publish(TestFrames.image(1000 + i, 500));
        quietSent.add(1000 + i);
        int index = 1000 + i;
        Await.until(() -> "quiet frame " + index + " while the busy channel floods; got "
            + client.indices(quiet.name()), () -> client.indices(quiet.name()).contains(index), BOUND);
        assertFalse(quietDone.get());
      }
    } finally {
      quietDone.set(true);
    }
    assertEquals(quietSent, client.indices(quiet.name()), "every quiet frame, in order");
    long superseded = busy.stats().drops().getOrDefault(DropReason.SUPERSEDED, 0L);
    System.out.printf("G4 [%s]: the busy channel published %d frames and delivered %d (%d superseded); the quiet"
        + " one all %d%n", kind, busyFrames.get(), client.indices(busy.name()).size(), superseded, quietSent.size());
    flood.join(BOUND.toMillis());
    assertTrue(superseded > 0, () -> "the busy channel dropped older frames for newer ones: " + busy.stats());
  }

  @ParameterizedTest(name = "{displayName} [{0}]")
  @EnumSource(HostKind.class)
  void g5_afterRemovedNoFrameOfTheChannelFollows(HostKind kind) {
    Host host = Hosts.get(kind);
    Channel a = declare(host, "gone");
    Channel b = declare(host, "stays");
    MultiClient client = connect(host);
    client.add(a.name());
    client.add(b.name());
    awaitAnswers(client, "added", 2);
    a.publish(TestFrames.image(1, 500));
    Await.until("frame 1", () -> client.indices(a.name()).equals(List.of(1)), BOUND);
    client.remove(a.name());
    awaitAnswers(client, "removed", 1);
    Await.until("unsubscribed", () -> a.subscriberCount() == 0, BOUND);
    a.publish(TestFrames.image(2, 500));
    b.publish(TestFrames.image(3, 500));
    Await.until("b's frame", () -> client.indices(b.name()).equals(List.of(3)), BOUND);
    assertEquals(List.of(1), client.indices(a.name()), "nothing after 'removed'");
  }
}
