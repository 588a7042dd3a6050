package io.framestream.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.framestream.core.Channel;
import io.framestream.testkit.Await;
import java.util.ArrayList;
import java.util.List;

/**
 * W7, E: a publisher arriving and leaving reaches viewers as {@code online} (followed by a fresh description)
 * and {@code offline}, in order with the frames; data-URI viewers get frames only.
 */
class StatusIT extends ConformanceSuite {

  @RuleTest
  void w7_publishersComingAndGoingReachViewersAsStatus(Combination c) {
    Host host = host(c);
    Channel channel = declare(host, "status");
    ViewerClient viewer = viewSubscribed(c, host, channel);

    WsClient first = publisher(host, channel);
    first.sendBinary(TestFrames.payload(0, 1_000));
    awaitFrames(viewer, channel, List.of(0));
    first.close();
    Await.until("the first publisher has left", () -> channel.publisherCount() == 0, BOUND);
    if (c.transport().describes()) {
      // A viewer still sending when the channel goes offline and online again gets only the newest status (the
      // notices collapse, docs/contract.md W7): let 'offline' arrive before the next publisher does.
      Await.until("'offline' reaches the viewer", () -> viewer.events().stream()
          .anyMatch(e -> e.type() == ViewerEvent.Type.STATUS && "offline".equals(e.status())), BOUND);
    }

    WsClient second = publisher(host, channel);
    second.sendBinary(TestFrames.payload(1, 1_000));
    awaitFrames(viewer, channel, List.of(0, 1));

    List<String> seen = new ArrayList<>();
    List<ViewerEvent> events = viewer.events();
    for (int i = 0; i < events.size(); i++) {
      ViewerEvent e = events.get(i);
      if (e.type() == ViewerEvent.Type.STATUS) {
        seen.add(e.status());
        if (e.status().equals("online")) {
          boolean described = i + 1 < events.size() && events.get(i + 1).type() == ViewerEvent.Type.DESCRIPTION;
          assertEquals(true, described, () -> "W7: 'online' is followed by a fresh description: " + events);
        }
      } else if (e.type() == ViewerEvent.Type.FRAME) {
        seen.add("frame " + e.index());
      }
    }
    List<String> expected = c.transport().describes()
        ? List.of("online", "frame 0", "offline", "online", "frame 1")
        : List.of("frame 0", "frame 1"); // W7: data-URI viewers get frames only
    assertEquals(expected, seen, () -> "statuses in order with the frames: " + events);
  }
}
