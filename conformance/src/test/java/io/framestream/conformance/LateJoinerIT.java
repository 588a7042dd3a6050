package io.framestream.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.FrameKind;
import java.util.ArrayList;
import java.util.List;

/** C4, W2, W3, E: a viewer that joins late sees a picture at once, and a video viewer starts at INIT then KEY. */
class LateJoinerIT extends ConformanceSuite {

  private static final int LATE_JOINERS = 6;

  @RuleTest
  void c4_aLateJoinerSeesTheNewestPictureAtOnce(Combination c) {
    Host host = host(c);
    Channel channel = declare(host, "late");
    for (int i = 0; i < 3; i++) {
      channel.publish(TestFrames.image(i, 2_000));
    }
    ViewerClient viewer = view(c, host, channel.name());
    awaitFrames(viewer, channel, List.of(2));
    ViewerEvent first = viewer.events().get(0);
    if (c.transport().describes()) {
      assertEquals(ViewerEvent.Type.DESCRIPTION, first.type(), () -> "W2/E: a description first: " + viewer.events());
      assertEquals("image/jpeg", first.json().path("contentType").asText(), () -> "the description: " + first);
      assertEquals(3, first.json().path("lastSequence").asLong(), () -> "the description: " + first);
    } else {
      assertEquals(ViewerEvent.Type.FRAME, first.type(), () -> "W3: frames and nothing else: " + viewer.events());
    }
    channel.publish(TestFrames.image(3, 2_000));
    awaitFrames(viewer, channel, List.of(2, 3));
    assertEquals("image/jpeg", viewer.frames().get(1).contentType(), () -> "the live frame: " + viewer.events());
  }

  /** Several viewers join one after another, each while the channel is idle: each starts at INIT, then KEY. */
  @RuleTest
  void c4_aVideoLateJoinerStartsWithInitThenKey(Combination c) {
    Host host = host(c);
    c.transport().requireVideo();
    Channel channel = declare(host, "video");
    channel.publish(TestFrames.video(FrameKind.INIT, 0, 600));
    channel.publish(TestFrames.video(FrameKind.KEY, 1, 20_000));
    channel.publish(TestFrames.video(FrameKind.DELTA, 2, 4_000));
    channel.publish(TestFrames.video(FrameKind.KEY, 3, 20_000));
    channel.publish(TestFrames.video(FrameKind.DELTA, 4, 4_000));
    channel.publish(TestFrames.video(FrameKind.DELTA, 5, 4_000));
    List<ViewerClient> viewers = new ArrayList<>();
    for (int joiner = 0; joiner < LATE_JOINERS; joiner++) {
      ViewerClient viewer = view(c, host, channel.name());
      viewers.add(viewer);
      awaitFrames(viewer, channel, List.of(0, 3, 4, 5));
      for (ViewerEvent f : viewer.frames()) {
        assertEquals("video/mp4", f.contentType(), () -> "every frame is video: " + viewer.events());
      }
      if (c.transport().describes()) {
        ViewerEvent first = viewer.events().get(0);
        assertEquals(ViewerEvent.Type.DESCRIPTION, first.type(), () -> "a description first: " + viewer.events());
        assertEquals(TestFrames.VIDEO_CODEC, first.json().path("codec").asText(), () -> "the codec: " + first);
        assertEquals(640, first.json().path("width").asInt(), () -> "the width: " + first);
      } else {
        assertTrue(viewer.events().stream().allMatch(e -> e.type() == ViewerEvent.Type.FRAME),
            () -> "W3: frames and nothing else: " + viewer.events());
      }
    }
    channel.publish(TestFrames.video(FrameKind.DELTA, 6, 4_000)); // live, after the late-joiner frames
    for (ViewerClient viewer : viewers) {
      awaitFrames(viewer, channel, List.of(0, 3, 4, 5, 6));
    }
  }
}
