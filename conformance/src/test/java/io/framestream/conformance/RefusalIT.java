package io.framestream.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.testkit.Await;
import java.util.List;

/** W4, W6, E: refusals, each with its status (or, on a standard container, close 1008 naming it). */
class RefusalIT extends ConformanceSuite {

  @RuleTest
  void w6_anAuthorizerRefusalIs401Or403WithAJsonBody(Combination c) throws Exception {
    Host host = host(c);
    Channel channel = declare(host, HostConfig.PRIVATE + "auth");
    assertRefused(c, host, c.transport().request(host, channel.name()), 401, true);
    assertRefused(c, host, c.transport().request(host, channel.name(), "Authorization", "Bearer wrong"), 403, true);
    assertEquals(0, channel.subscriberCount(), "nobody refused was subscribed");

    channel.publish(TestFrames.image(7, 1_000));
    ViewerClient allowed = view(c, host, channel.name(), "Authorization", "Bearer " + HostConfig.TOKEN);
    awaitFrames(allowed, channel, List.of(7));
  }

  @RuleTest
  void w4_anInvalidChannelNameIs400(Combination c) throws Exception {
    Host host = host(c);
    assertRefused(c, host, c.transport().request(host, "no!such*name"), 400, !c.transport().isWebSocket());
  }

  @RuleTest
  void w4_anUndeclaredChannelIs404(Combination c) throws Exception {
    Host host = host(c);
    String name = "undeclared-" + System.nanoTime();
    assertRefused(c, host, c.transport().request(host, name), 404, !c.transport().isWebSocket());
    assertTrue(host.registry().find(name).isEmpty(), "no channel was created for the refused request");
  }

  /**
   * W4, H2: a publisher's message over {@code maxFrameBytes} closes that publisher with 1009; the channel's
   * viewers (of every transport) see nothing of it and carry on with the next publisher's frames. On a
   * standard container the container's own message limit (the endpoint sets it to {@code maxFrameBytes})
   * answers, with the container's reason.
   */
  @RuleTest
  void w4_anOversizePublishIsClosedWith1009(Combination c) {
    Host host = host(c);
    Channel channel = declare(host, "oversize");
    ViewerClient viewer = viewSubscribed(c, host, channel);
    WsClient greedy = publisher(host, channel);
    greedy.sendBinary(TestFrames.payload(0, host.config().maxFrameBytes() + 1));
    int code = greedy.closeCode(BOUND);
    System.out.printf("W4 [%s]: a %d-byte message (maxFrameBytes %d) was closed with %d \"%s\"%n", c,
        host.config().maxFrameBytes() + 1, host.config().maxFrameBytes(), code, greedy.closeReason());
    assertEquals(1009, code, () -> "closed as too big: " + greedy.closeReason());
    if (host.kind() == HostKind.EMBEDDED) {
      assertTrue(greedy.closeReason().contains("maxFrameBytes"), () -> "H2: the reason names the limit: "
          + greedy.closeReason());
    }
    Await.until("the greedy publisher's slot is released", () -> channel.publisherCount() == 0, BOUND);
    assertTrue(channel.latestFrame().isEmpty(), "nothing of the oversized message was published");

    WsClient next = publisher(host, channel);
    next.sendBinary(TestFrames.payload(1, host.config().maxFrameBytes()));
    awaitFrames(viewer, channel, List.of(1));
    assertFalse(viewer.isClosed(), "the viewer carries on");
  }
}
