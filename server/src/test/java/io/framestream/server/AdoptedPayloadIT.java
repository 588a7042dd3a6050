package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.FrameSink;
import io.framestream.testkit.Await;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ingest without the frame's own copy (issue 14): a frame adopts the array an entry point made for it alone
 * (the join of an HTTP body's reads, Tyrus's copy of a WebSocket message) and copies anything else. Were it
 * ever to adopt a buffer that is reused (a Grizzly read buffer, a container's pooled buffer), frames already
 * published would change under their viewers when the next message arrives: these tests keep every frame
 * and compare all of them with what was sent once the last message is in (rule W1: the frame is the message).
 */
class AdoptedPayloadIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final int FRAMES = 24;

  private ChannelRegistry registry;
  private FrameStreamServer server;

  @BeforeEach
  void start() {
    registry = ChannelRegistry.builder().build();
    server = FrameStreamServer.builder().port(0).registry(registry).maxFrameBytes(256 * 1024).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
    registry.close();
  }

  /** Frames of a channel as published, kept (not copied) so that a later change to their bytes shows. */
  private List<Frame> keep(String channel) {
    List<Frame> kept = new CopyOnWriteArrayList<>();
    registry.channel(channel).subscribe(FrameSink.of(kept::add));
    return kept;
  }

  /** Sizes from one read up to several: small bodies come in one read (a view, copied), large in several. */
  private static int size(int i) {
    return i % 3 == 0 ? 2_000 + i : 150_000 + 1_000 * i;
  }

  private static void assertKeptIntact(List<Frame> kept) {
    assertEquals(FRAMES, kept.size());
    for (int i = 0; i < FRAMES; i++) {
      assertArrayEquals(WebSocketServerIT.jpeg(i, size(i)), kept.get(i).copyPayload(), "frame " + i);
    }
  }

  @Test
  void w1_httpBodiesOnOneConnectionKeepTheirBytesAfterLaterPosts() throws Exception {
    List<Frame> kept = keep("posts");
    for (int i = 0; i < FRAMES; i++) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/api/channels/posts/frames"))
          .header("Content-Type", "image/jpeg")
          .POST(HttpRequest.BodyPublishers.ofByteArray(WebSocketServerIT.jpeg(i, size(i)))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(204, r.statusCode(), r.body());
      int sent = i + 1;
      Await.until("post " + i + " delivered", () -> kept.size() == sent); // none superseded in the mailbox
    }
    assertKeptIntact(kept);
  }

  @Test
  void w1_webSocketMessagesWholeAndFragmentedKeepTheirBytesAfterLaterMessages() throws Exception {
    List<Frame> kept = keep("messages");
    JdkWsClient publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/messages"));
    try {
      for (int i = 0; i < FRAMES; i++) {
        byte[] frame = WebSocketServerIT.jpeg(i, size(i));
        if (i % 2 == 1) { // in two fragments: Tyrus joins them into a new buffer
          publisher.sendPartialBinary(Arrays.copyOf(frame, frame.length / 2));
          publisher.sendBinary(Arrays.copyOfRange(frame, frame.length / 2, frame.length));
        } else {
          publisher.sendBinary(frame);
        }
        int sent = i + 1;
        // One message at a time, so that no frame is superseded in the mailbox (newest wins in a burst).
        Await.until("message " + i + " published", () -> kept.size() == sent);
      }
      assertKeptIntact(kept);
    } finally {
      publisher.abort();
    }
  }
}
