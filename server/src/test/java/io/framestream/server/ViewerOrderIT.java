package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.Publisher;
import io.framestream.testkit.Await;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * W10: messages leave a viewer's connection in the order the channel hands them over, even with several
 * frames in flight: an {@code init} or status text is never overtaken by a later frame, nor overtakes an
 * earlier one.
 */
class ViewerOrderIT {

  private static final int MAGIC = 0x57313021;
  private static final int ROUNDS = 400;

  /** What an init message announces, and what each test frame carries. */
  record Desc(String contentType, int width, int height, String codec) {
    static Desc of(JsonNode init) {
      return new Desc(init.path("contentType").asText(null), init.path("width").asInt(0),
          init.path("height").asInt(0), init.has("codec") ? init.get("codec").asText() : null);
    }
  }

  /**
   * One published frame: its index (written into the payload), description, kind, channel sequence, and
   * how many times the channel went offline before it (its publisher epoch).
   */
  record Sent(int index, Desc desc, FrameKind kind, long sequence, int epoch) {}

  private ChannelRegistry registry;
  private FrameStreamServer server;
  private final List<WsOrderRecorder> viewers = new ArrayList<>();

  @AfterEach
  void stop() {
    viewers.forEach(WsOrderRecorder::abort);
    if (server != null) {
      server.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void w10_framesLeaveInOrderWithMaxInFlightAbove1() {
    registry = ChannelRegistry.builder()
        .channelDefaults(ChannelConfig.builder().maxInFlight(4).build()).build();
    server = FrameStreamServer.builder().port(0).registry(registry).build().start();
    Channel video = registry.channel("video");
    Channel images = registry.channel("images");
    WsOrderRecorder videoViewer = connect("/ws/live/video");
    WsOrderRecorder imageViewer = connect("/ws/live/images");
    Await.until("both viewers subscribed", () -> video.subscriberCount() == 1 && images.subscriberCount() == 1);

    Random random = new Random(10);
    List<Sent> videoSent = new ArrayList<>();
    List<Sent> imageSent = new ArrayList<>();
    String[] codecs = {"avc1.42E01E", "avc1.4D401F", "avc1.640028"};
    Desc videoDesc = null;
    Desc imageDesc = null;
    // The image channel's publisher leaves and comes back every 25 frames: status texts between the frames.
    Publisher handle = images.openPublisher("test");
    int epoch = 0;
    for (int i = 0; i < ROUNDS; i++) {
      // Video: a new stream (INIT with other dimensions or codec) every 6 frames, then a KEY and deltas.
      int inGroup = i % 6;
      if (inGroup == 0) {
        int g = i / 6;
        videoDesc = new Desc("video/mp4", 320 + 16 * (g % 4), 240 + 8 * (g % 3), codecs[g % codecs.length]);
        videoSent.add(publish(video, videoDesc, FrameKind.INIT, videoSent.size(), 600, random, 0));
      }
      FrameKind kind = inGroup == 0 || i == ROUNDS - 1 ? FrameKind.KEY : FrameKind.DELTA;
      videoSent.add(publish(video, videoDesc, kind, videoSent.size(), kind == FrameKind.KEY ? 120_000 : 30_000, random,
          0));
      // Images: the content type or the size changes every 3 frames.
      if (i % 3 == 0) {
        int c = i / 3;
        imageDesc = new Desc(c % 2 == 0 ? "image/jpeg" : "image/png", 640 + 32 * (c % 5), 480, null);
      }
      if (i % 25 == 24) {
        handle.close();
        handle = images.openPublisher("test");
        epoch++;
      }
      imageSent.add(publish(images, imageDesc, FrameKind.KEY, imageSent.size(), 60_000 + random.nextInt(60_000), random,
          epoch));
      Await.pace(1_000_000); // about 1,000 frames a second per channel: faster than the viewers read
    }

    handle.close();
    int lastVideo = videoSent.get(videoSent.size() - 1).index();
    int lastImage = imageSent.get(imageSent.size() - 1).index();
    Await.until("the last video frame arrives", () -> lastIndex(videoViewer) == lastVideo);
    Await.until("the last image arrives", () -> lastIndex(imageViewer) == lastImage);
    int videoBinaries = checkOrder("video", videoViewer.events(), videoSent);
    int imageBinaries = checkOrder("images", imageViewer.events(), imageSent);
    System.out.printf("W10: video %d of %d frames delivered, images %d of %d%n", videoBinaries, videoSent.size(),
        imageBinaries, imageSent.size());
  }

  private WsOrderRecorder connect(String path) {
    WsOrderRecorder r = WsOrderRecorder.connect(server.webSocketUri().resolve(path), Duration.ofMillis(2));
    viewers.add(r);
    return r;
  }

  private static Sent publish(Channel channel, Desc desc, FrameKind kind, int index, int size, Random random,
      int epoch) {
    byte[] payload = new byte[size];
    random.nextBytes(payload);
    ByteBuffer.wrap(payload).putInt(MAGIC).putInt(index);
    Frame.Builder b = Frame.builder(payload).contentType(desc.contentType()).kind(kind)
        .dimensions(desc.width(), desc.height());
    if (desc.codec() != null) {
      b.codec(desc.codec());
    }
    Frame published = channel.publish(b.build());
    return new Sent(index, desc, kind, published.sequence(), epoch);
  }

  private static int lastIndex(WsOrderRecorder viewer) {
    List<WsOrderRecorder.Event> events = viewer.events();
    for (int i = events.size() - 1; i >= 0; i--) {
      if (!events.get(i).isText()) {
        return indexOf(events.get(i));
      }
    }
    return -1;
  }

  private static int indexOf(WsOrderRecorder.Event binary) {
    ByteBuffer b = ByteBuffer.wrap(binary.prefix());
    assertEquals(MAGIC, b.getInt(), "a test frame");
    return b.getInt();
  }

  /**
   * Checks what one viewer saw: frames in publishing order; each described by the init text in force when
   * it arrived; a frame-triggered init followed by the very frame it describes; every video INIT frame
   * preceded by its own init text; a status text exactly between frames of different publisher epochs.
   *
   * @return the number of frames received
   */
  private static int checkOrder(String name, List<WsOrderRecorder.Event> events, List<Sent> sent) {
    Desc announced = null;
    long expectNextSequence = -1; // the frame an init text announced
    boolean initSinceLastFrame = false;
    boolean statusSinceLastFrame = false;
    boolean afterStatus = false; // the init that follows an "online" status describes the channel, not a frame
    int lastEpoch = -1;
    int lastIndex = -1;
    int frames = 0;
    for (int i = 0; i < events.size(); i++) {
      WsOrderRecorder.Event e = events.get(i);
      String where = name + " message " + i;
      if (e.isText()) {
        JsonNode json = e.json();
        if ("status".equals(json.path("type").asText())) {
          statusSinceLastFrame = true;
          afterStatus = true;
          continue;
        }
        announced = Desc.of(json);
        if (i > 0 && !afterStatus) {
          expectNextSequence = json.path("lastSequence").asLong();
        }
        afterStatus = false;
        initSinceLastFrame = true;
        continue;
      }
      int index = indexOf(e);
      Sent s = sent.get(index);
      if (index <= lastIndex) {
        fail(where + ": frame " + index + " arrived after frame " + lastIndex + " (out of order)");
      }
      if (expectNextSequence >= 0 && s.sequence() != expectNextSequence) {
        fail(where + ": an init announced the frame of sequence " + expectNextSequence + " but the next frame was "
            + s.sequence() + " (overtaken)");
      }
      if (!s.desc().equals(announced)) {
        fail(where + ": frame " + index + " is " + s.desc() + " but the last init announced " + announced);
      }
      if (lastEpoch >= 0 && statusSinceLastFrame != (s.epoch() != lastEpoch)) {
        fail(where + ": frame " + index + " of publisher epoch " + s.epoch() + " after a frame of epoch " + lastEpoch
            + (statusSinceLastFrame ? " with a status text between them (overtaken)" : " without a status text"));
      }
      if (s.kind() == FrameKind.INIT && frames > 0) {
        assertTrue(initSinceLastFrame, where + ": video INIT frame " + index + " without its init text before it");
      }
      expectNextSequence = -1;
      initSinceLastFrame = false;
      statusSinceLastFrame = false;
      afterStatus = false;
      lastEpoch = s.epoch();
      lastIndex = index;
      frames++;
    }
    assertTrue(frames > 0, name + ": no frames received");
    return frames;
  }
}
