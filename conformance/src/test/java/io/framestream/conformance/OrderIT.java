package io.framestream.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.Frame;
import io.framestream.core.Publisher;
import io.framestream.testkit.Await;
import java.util.ArrayList;
import java.util.List;

/**
 * W10: messages leave a connection in the order the channel hands them over, with several frames in flight:
 * frames in publishing order, each announced by the description in force (binary), and every status between
 * the frames of the publishers it separates.
 */
class OrderIT extends ConformanceSuite {

  private static final int FRAMES = 300;

  /** One published frame: its content type and how many times the publisher changed before it. */
  private record Sent(String contentType, int epoch) {}

  @RuleTest
  void w10_messagesLeaveInTheOrderTheChannelHandsThemOver(Combination c) {
    Host host = host(c);
    Channel channel = declare(host, "order", ChannelConfig.builder().maxInFlight(4).build());
    ViewerClient viewer = viewSubscribed(c, host, channel);
    List<Sent> sent = new ArrayList<>();
    Publisher handle = channel.openPublisher("order test");
    int epoch = 0;
    for (int i = 0; i < FRAMES; i++) {
      if (i % 30 == 29) { // the publisher leaves and another arrives: offline, online between two frames
        handle.close();
        handle = channel.openPublisher("order test");
        epoch++;
      }
      boolean png = (i / 7) % 2 == 1; // the content type and size change every 7 frames: a new description
      String type = png ? "image/png" : "image/jpeg";
      channel.publish(Frame.builder(TestFrames.payload(i, 8_000 + 40 * (i % 50))).contentType(type)
          .dimensions(png ? 320 : 640, png ? 240 : 480).build());
      sent.add(new Sent(type, epoch));
      Await.pace(1_000_000); // about 1,000 frames a second: faster than a viewer reads, so frames are in flight
    }
    handle.close();
    Await.until(() -> "the last frame arrives; got " + viewer.frames().size() + " frames; " + channel.stats(),
        () -> viewer.lastIndex() == FRAMES - 1, BOUND);

    List<ViewerEvent> events = viewer.events();
    int lastIndex = -1;
    int lastEpoch = 0;
    int statusesSinceFrame = 0;
    int frames = 0;
    for (int i = 0; i < events.size(); i++) {
      ViewerEvent e = events.get(i);
      String where = "message " + i + " (" + e + ")";
      if (e.type() == ViewerEvent.Type.STATUS) {
        statusesSinceFrame++;
        continue;
      }
      if (e.type() != ViewerEvent.Type.FRAME) {
        continue;
      }
      int index = e.index();
      if (index <= lastIndex) {
        fail(where + ": frame " + index + " after frame " + lastIndex);
      }
      Sent s = sent.get(index);
      assertEquals(s.contentType(), e.contentType(), () -> where + ": the frame is " + s.contentType()
          + " but arrived as " + e.contentType() + " (a description overtaken?)");
      if (c.transport().describes() && frames > 0) {
        boolean changed = s.epoch() != lastEpoch;
        int statuses = statusesSinceFrame;
        int at = i;
        assertTrue(changed == (statuses > 0), () -> where + ": publisher " + s.epoch() + " after " + lastEpochOf(sent,
            events, at) + " with " + statuses + " status messages between the frames");
      }
      lastIndex = index;
      lastEpoch = s.epoch();
      statusesSinceFrame = 0;
      frames++;
    }
    if (!c.transport().describes()) {
      assertTrue(viewer.statuses().isEmpty(), "W7: data-URI viewers get frames only");
    }
    System.out.printf("W10 [%s]: %d of %d frames delivered in order, %d status messages%n", c, frames, FRAMES,
        viewer.statuses().size());
  }

  private static String lastEpochOf(List<Sent> sent, List<ViewerEvent> events, int before) {
    for (int i = before - 1; i >= 0; i--) {
      if (events.get(i).type() == ViewerEvent.Type.FRAME) {
        return "publisher " + sent.get(events.get(i).index()).epoch();
      }
    }
    return "nothing";
  }
}
