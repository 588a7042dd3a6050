package io.framestream.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.framestream.core.ImageFrames.image;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelCounters;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.LimitExceededException;
import io.framestream.core.Publisher;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRefusals;
import io.framestream.edge.AccessRequest;
import io.framestream.testkit.Await;
import io.framestream.testkit.ManualClock;
import io.framestream.testkit.RecordingSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule O4: the Prometheus text of a real {@code PrometheusMeterRegistry} has exactly the values the test
 * caused on real channels with real subscribers; the channel tag is capped and a closed channel's meters go.
 */
class FrameStreamMetricsTest {

  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*\\})?) (\\S+)$");

  private final ManualClock clock = new ManualClock();
  private final ChannelRegistry registry = ChannelRegistry.builder().deliveryThreads(2).ticker(clock).build();
  private final PrometheusScrape prometheus = PrometheusScrape.create();

  @AfterEach
  void tearDown() {
    prometheus.close();
    registry.close();
  }

  /** A sink whose sends complete one at a time, when the test says so. */
  private static final class OneAtATime implements io.framestream.core.FrameSink {
    private final java.util.concurrent.BlockingQueue<io.framestream.core.SendCallback> pending =
        new java.util.concurrent.LinkedBlockingQueue<>();
    private final java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public void send(Frame frame, io.framestream.core.SendCallback callback) {
      pending.add(callback);
      count.incrementAndGet();
    }

    int count() {
      return count.get();
    }

    void completeOne() {
      io.framestream.core.SendCallback cb = pending.poll();
      if (cb == null) {
        throw new AssertionError("nothing in flight");
      }
      cb.completed();
    }
  }

  /** The scrape as sample name (with labels, in Prometheus' order) to value. */
  static Map<String, Double> samples(String text) {
    Map<String, Double> out = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (m.matches()) {
        out.put(m.group(1), Double.parseDouble(m.group(2)));
      }
    }
    return out;
  }

  private Map<String, Double> scrape() {
    return samples(prometheus.scrape());
  }

  private static double value(Map<String, Double> samples, String key) {
    Double v = samples.get(key);
    if (v == null) {
      throw new AssertionError("no sample " + key + " in " + samples.keySet());
    }
    return v;
  }

  @Test
  void o4_scrapeHasExactlyWhatTheChannelDid() {
    AccessGate gate = AccessGate.builder().authorizer(r -> r.channel().equals("cam1")
        ? io.framestream.edge.AccessDecision.ALLOW : io.framestream.edge.AccessDecision.unauthorized("no")).build();
    prometheus.bind(FrameStreamMetrics.builder(registry).accessGate(gate).build());
    Channel cam = registry.declare("cam1", ChannelConfig.builder().maxSubscribers(2).build());
    RecordingSink fast = RecordingSink.immediate();
    OneAtATime slow = new OneAtATime();
    cam.subscribe(fast);
    cam.subscribe(slow);
    int n = 6;
    try (Publisher p = cam.openPublisher("test")) {
      for (int i = 1; i <= n; i++) {
        assertTrue(p.publish(image(i, 1_000)));
        int sent = i;
        Await.until("fast viewer has frame " + i, () -> fast.count() == sent);
        if (i == 1) {
          Await.until("slow viewer holds frame 1", () -> slow.count() == 1);
        }
      }
      // The slow viewer held frame 1 in flight: frames 2..5 were replaced by newer ones, 6 waits.
      clock.advanceMillis(40);
      slow.completeOne();
      Await.until("slow viewer gets frame 6", () -> slow.count() == 2);
      clock.advanceMillis(10);
      slow.completeOne();
      Await.until("all deliveries counted", () -> ChannelCounters.of(cam).framesOut() == n + 2);
      assertThrows(LimitExceededException.class, () -> cam.subscribe(RecordingSink.immediate()));
      gate.admit(AccessRequest.Action.VIEW, "cam2", "192.0.2.1", Map.of(), Map.of());
      gate.refusals().record(AccessRefusals.Cause.ADDRESS_LIMIT);

      Map<String, Double> s = scrape();
      String ch = "{channel=\"cam1\"}";
      assertEquals(1.0, value(s, "framestream_channels"));
      assertEquals(2.0, value(s, "framestream_channel_viewers" + ch));
      assertEquals(1.0, value(s, "framestream_channel_publishers" + ch));
      assertEquals(1.0, value(s, "framestream_channel_online" + ch));
      assertEquals(n, value(s, "framestream_frames_in_total" + ch));
      assertEquals(n * 1_000.0, value(s, "framestream_in_bytes_total" + ch));
      assertEquals(n + 2.0, value(s, "framestream_frames_out_total" + ch));
      assertEquals((n + 2) * 1_000.0, value(s, "framestream_out_bytes_total" + ch));
      assertEquals(4.0, value(s, "framestream_drops_total{channel=\"cam1\",reason=\"superseded\"}"));
      assertEquals(0.0, value(s, "framestream_drops_total{channel=\"cam1\",reason=\"skipped_to_key\"}"));
      assertEquals(0.0, value(s, "framestream_drops_total{channel=\"cam1\",reason=\"publish_rejected\"}"));
      assertEquals(0.0, value(s, "framestream_evictions_total" + ch));
      assertEquals(1.0, value(s, "framestream_channel_refusals_total{cause=\"viewer_limit\",channel=\"cam1\"}"));
      assertEquals(0.0, value(s, "framestream_channel_refusals_total{cause=\"publisher_limit\",channel=\"cam1\"}"));
      assertEquals(1.0, value(s, "framestream_refusals_total{cause=\"unauthorized\"}"));
      assertEquals(1.0, value(s, "framestream_refusals_total{cause=\"address_limit\"}"));
      assertEquals(0.0, value(s, "framestream_refusals_total{cause=\"origin\"}"));
      // Latency on the manual clock: the fast viewer's 6 deliveries took 0 (below the first bucket), the slow
      // viewer's frame 1 waited 40 ms and frame 6 (published at the same instant) 50 ms.
      assertEquals(n + 2.0, value(s, "framestream_delivery_latency_seconds_count" + ch));
      assertEquals(0.090, value(s, "framestream_delivery_latency_seconds_sum" + ch), 1e-12);
      assertEquals(0.050, value(s, "framestream_delivery_latency_max_seconds" + ch), 1e-12);
      assertEquals(0.050, value(s, "framestream_delivery_latency_percentile_seconds{channel=\"cam1\",percentile=\"0.99\"}"),
          1e-12);
    }
    Map<String, Double> after = scrape();
    assertEquals(0.0, value(after, "framestream_channel_online{channel=\"cam1\"}"));
    assertEquals(0.0, value(after, "framestream_channel_publishers{channel=\"cam1\"}"));
  }

  @Test
  void o4_channelTagIsCappedAndClosedChannelsLeave() {
    FrameStreamMetrics metrics = FrameStreamMetrics.builder(registry).maxTaggedChannels(2).build();
    Channel a = registry.declare("a");
    prometheus.bind(metrics); // a exists before binding, b and c come after
    Channel b = registry.declare("b");
    Channel c = registry.declare("c");
    Channel d = registry.declare("d");
    c.publish(image(1, 10));
    d.publish(image(2, 20));
    d.publish(image(3, 30));
    a.publish(image(4, 5));
    Map<String, Double> s = scrape();
    assertEquals(1.0, value(s, "framestream_frames_in_total{channel=\"a\"}"));
    assertEquals(0.0, value(s, "framestream_frames_in_total{channel=\"b\"}"));
    assertEquals(3.0, value(s, "framestream_frames_in_total{channel=\"_other\"}"));
    assertEquals(60.0, value(s, "framestream_in_bytes_total{channel=\"_other\"}"));
    assertFalse(s.containsKey("framestream_frames_in_total{channel=\"c\"}"));
    assertEquals(4.0, value(s, "framestream_channels"));

    a.close();
    d.close();
    s = scrape();
    assertFalse(s.keySet().stream().anyMatch(k -> k.contains("channel=\"a\"")), "a's meters removed");
    assertEquals(3.0, value(s, "framestream_frames_in_total{channel=\"_other\"}"), "never goes backwards");
    assertEquals(60.0, value(s, "framestream_in_bytes_total{channel=\"_other\"}"));
    Channel e = registry.declare("e");
    e.publish(image(5, 4));
    s = scrape();
    assertEquals(1.0, value(s, "framestream_frames_in_total{channel=\"e\"}"), "a's place goes to the next channel");
    assertEquals(3.0, value(s, "framestream_channels"), "b, c and e");

    metrics.close();
    assertTrue(prometheus.registry().getMeters().isEmpty(), "close removes every meter");
    assertThrows(IllegalStateException.class, () -> metrics.bindTo(new SimpleMeterRegistry()));
  }

  @Test
  void o4_stalledViewerIsCountedAsAnEviction() {
    prometheus.bind(FrameStreamMetrics.of(registry));
    Channel cam = registry.declare("cam", ChannelConfig.builder().stallTimeout(Duration.ofSeconds(1)).build());
    RecordingSink stuck = new RecordingSink(RecordingSink.Mode.NEVER);
    cam.subscribe(stuck);
    cam.publish(image(1, 10));
    Await.until("in flight", () -> stuck.count() == 1);
    clock.advanceMillis(1_500);
    Await.until("evicted", stuck::isClosed);
    Map<String, Double> s = scrape();
    assertEquals(1.0, value(s, "framestream_evictions_total{channel=\"cam\"}"));
    assertEquals(0.0, value(s, "framestream_channel_viewers{channel=\"cam\"}"));
  }
}
