package io.framestream.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.framestream.core.Channel;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.wire.Fmp4Chunks;
import io.framestream.core.wire.Fmp4Parser;
import io.framestream.testkit.Await;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * W12, the chunk stream ({@code ?format=chunks}) on every host: a late joiner of a video channel gets the
 * decoder configuration and then, at once, the samples from the newest key frame on; each message is built
 * once per frame for every viewer (W11); image channels get each image in a chunk with its capture time. The
 * stall and newest-wins rules run over it in {@link SlowViewersIT}. The video is ffmpeg's H.264 with one
 * frame per fragment, keys at fragments 0, 10 and 20 (core's {@code avc-frag-every-frame.mp4}).
 */
class ChunkStreamIT extends ConformanceSuite {

  private static final List<Fmp4Parser.Segment> VIDEO = segments("/fmp4/avc-frag-every-frame.mp4");
  private static final int VIEWERS = 3;

  private static List<Fmp4Parser.Segment> segments(String resource) {
    try (InputStream in = ChunkStreamIT.class.getResourceAsStream(resource)) {
      Fmp4Parser p = new Fmp4Parser(new ByteArrayInputStream(in.readAllBytes()), 1 << 20, 1 << 20);
      List<Fmp4Parser.Segment> out = new ArrayList<>();
      while (true) {
        try {
          out.add(p.next());
        } catch (EOFException end) {
          return out;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Frame video(int segment) {
    Fmp4Parser.Segment s = VIDEO.get(segment);
    return Frame.builder(s.bytes()).contentType("video/mp4").kind(s.kind()).codec(s.track().codec())
        .dimensions(s.track().width(), s.track().height()).build();
  }

  /** The chunk messages a viewer received, parsed. */
  private static List<Chunks.Message> chunks(ViewerClient viewer) {
    List<Chunks.Message> out = new ArrayList<>();
    for (ViewerEvent e : viewer.frames()) {
      out.add(Chunks.parse(e.payload()));
    }
    return out;
  }

  private static long lastSequence(ViewerClient viewer) {
    List<Chunks.Message> got = chunks(viewer);
    return got.isEmpty() ? -1 : got.get(got.size() - 1).sequence();
  }

  @ChunkRuleTest
  void w12_aLateJoinerGetsTheConfigThenTheNewestKeyFrameAtOnce(Combination c) {
    Host host = host(c);
    Channel channel = declare(host, "chunks-late");
    Map<Long, Integer> segmentOf = new HashMap<>();
    Map<Long, Frame> published = new HashMap<>();
    for (int i = 0; i <= 14; i++) { // INIT, fragments 0..13: the newest key is fragment 10 (segment 11)
      Frame f = channel.publish(video(i));
      segmentOf.put(f.sequence(), i);
      published.put(f.sequence(), f);
    }
    ViewerClient viewer = view(c, host, channel.name());
    Await.until(() -> "segments 11..14 arrive; got " + viewer.events(), () -> lastSequence(viewer) == 15, BOUND);
    ViewerEvent first = viewer.events().get(0);
    assertEquals(ViewerEvent.Type.DESCRIPTION, first.type(), () -> "W12: the config first: " + viewer.events());
    Fmp4Chunks.DecoderConfig expected = Fmp4Chunks.decoderConfig(VIDEO.get(0).bytes());
    assertEquals("config", first.json().path("type").asText());
    assertEquals("avc1.640028", first.json().path("codec").asText());
    assertEquals(160, first.json().path("codedWidth").asInt());
    assertEquals(90, first.json().path("codedHeight").asInt());
    assertArrayEquals(expected.description(), Base64.getDecoder().decode(first.json().path("description").asText()),
        "W12: the avcC body as the decoder's description");
    List<Chunks.Message> got = chunks(viewer);
    List<Integer> segments = new ArrayList<>();
    for (Chunks.Message m : got) {
      segments.add(segmentOf.get(m.sequence()));
    }
    assertEquals(List.of(11, 12, 13, 14), segments, "C4/W12: from the newest key frame on, nothing before it");
    assertTrue(got.get(0).key() && got.get(0).samples().get(0).key(), "the first chunk is a key frame");
    for (int i = 0; i < got.size(); i++) {
      Chunks.Message m = got.get(i);
      byte[] fragment = VIDEO.get(segments.get(i)).bytes();
      Fmp4Chunks.Sample s = Fmp4Chunks.samples(expected, ByteBuffer.wrap(fragment)).get(0);
      assertEquals(1, m.samples().size());
      assertArrayEquals(java.util.Arrays.copyOfRange(fragment, s.offset(), s.offset() + s.length()),
          m.samples().get(0).data(), "the sample's data is the mdat's, length-prefixed NALs as they are");
      assertEquals(s.timestampMicros(), m.samples().get(0).timestampMicros());
      assertEquals(66_666, m.samples().get(0).durationMicros(), 1);
      Instant t = published.get(m.sequence()).captureTime();
      assertEquals(t.getEpochSecond() * 1_000_000L + t.getNano() / 1000, m.publishMicros(),
          "W12: the frame's capture time in the header");
    }
    segmentOf.put(channel.publish(video(15)).sequence(), 15);
    Await.until("the live fragment arrives", () -> lastSequence(viewer) == 16, BOUND);
  }

  @ChunkRuleTest
  void w12_w11_eachChunkMessageIsBuiltOncePerFrame(Combination c) throws Exception {
    Host host = host(c);
    String why = host.sharedFramesUnavailable();
    assumeTrue(why == null, why);
    Channel channel = declare(host, "chunks-once");
    host.config().rawSends().watch(channel.name());
    try {
      channel.publish(video(0));
      channel.publish(video(1));
      List<ViewerClient> viewers = new ArrayList<>();
      for (int i = 0; i < VIEWERS; i++) {
        viewers.add(viewSubscribed(c, host, channel));
      }
      for (int i = 2; i <= 12; i++) {
        long sequence = channel.publish(video(i)).sequence();
        Await.until("fragment " + i + " reaches every viewer",
            () -> viewers.stream().allMatch(v -> lastSequence(v) == sequence), BOUND);
      }
      // Group what was written by content: each distinct message went to every viewer, as views of one array.
      Map<ByteBuffer, List<RawSends.Send>> byContent = new HashMap<>();
      for (RawSends.Send send : host.config().rawSends().of(channel.name())) {
        byContent.computeIfAbsent(send.bytes(), k -> new ArrayList<>()).add(send);
      }
      assertEquals(13, byContent.size(), "the config text and 12 chunk messages");
      for (List<RawSends.Send> sends : byContent.values()) {
        Set<String> sessions = new HashSet<>();
        for (RawSends.Send send : sends) {
          assertTrue(send.bytes().isReadOnly(), "the shared message is read-only");
          assertTrue(sessions.add(send.sessionId()), "one message per viewer");
          assertSame(SharedEncodingIT.backingArray(sends.get(0).bytes()), SharedEncodingIT.backingArray(send.bytes()),
              "W11: every viewer gets a view of the same bytes, built once");
        }
        assertEquals(VIEWERS, sessions.size(), "every viewer was handed the shared message");
      }
    } finally {
      host.config().rawSends().forget(channel.name());
    }
  }

  @ChunkRuleTest
  void w12_imagesArriveAsOneKeySampleWithTheirCaptureTime(Combination c) {
    Host host = host(c);
    Channel channel = declare(host, "chunks-image");
    ViewerClient viewer = viewSubscribed(c, host, channel);
    Instant captured = Instant.parse("2026-12-02T12:00:00.123456Z");
    Frame image = TestFrames.image(7, 3_000).toBuilder().captureTime(captured).dimensions(320, 240).build();
    channel.publish(image);
    awaitFrames(viewer, channel, List.of(7)); // the client records the image inside the chunk (WsClient)
    ViewerEvent first = viewer.events().get(0);
    assertEquals("config", first.json().path("type").asText(), () -> "W12: a config first: " + viewer.events());
    assertEquals("image/jpeg", first.json().path("contentType").asText());
    assertEquals(320, first.json().path("width").asInt());
    assertArrayEquals(image.copyPayload(), viewer.frames().get(0).payload(), "the image as published");
    channel.publish(TestFrames.image(8, 3_000).toBuilder().dimensions(320, 240).build());
    awaitFrames(viewer, channel, List.of(7, 8));
    assertEquals(1, viewer.events().stream().filter(e -> e.type() == ViewerEvent.Type.DESCRIPTION).count(),
        () -> "no second config while type and size stay: " + viewer.events());
  }
}
