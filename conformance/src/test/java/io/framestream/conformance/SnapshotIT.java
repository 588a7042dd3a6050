package io.framestream.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.FrameKind;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * J5: {@code GET /snapshot/{channel}} on every host (the embedded server's handler, behind its one access
 * gate; {@code SnapshotServlet} on Jetty). Each case is named {@code <rule> [<host>]}.
 */
class SnapshotIT extends ConformanceSuite {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  private static HttpResponse<byte[]> get(Host host, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(host.httpUri().resolve(path)).timeout(BOUND);
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @ParameterizedTest(name = "{displayName} [{0}]")
  @EnumSource(HostKind.class)
  void j5_aSnapshotIsTheNewestImage_behindTheGate(HostKind kind) throws Exception {
    Host host = Hosts.get(kind);
    Channel channel = declare(host, "snap");
    assertEquals(404, get(host, "/snapshot/" + channel.name()).statusCode(), "no picture yet");
    channel.publish(TestFrames.image(1, 3_000));
    channel.publish(TestFrames.image(2, 5_000));
    HttpResponse<byte[]> r = get(host, "/snapshot/" + channel.name());
    assertEquals(200, r.statusCode());
    assertArrayEquals(TestFrames.payload(2, 5_000), r.body(), "the newest image, byte for byte");
    assertEquals("image/jpeg", r.headers().firstValue("content-type").orElse(""));
    String etag = r.headers().firstValue("etag").orElseThrow();
    assertEquals(304, get(host, "/snapshot/" + channel.name(), "If-None-Match", etag).statusCode());

    Channel secret = declare(host, HostConfig.PRIVATE + "snap");
    secret.publish(TestFrames.image(3, 1_000));
    assertEquals(401, get(host, "/snapshot/" + secret.name()).statusCode(), "W6: the gate runs first");
    assertEquals(200, get(host, "/snapshot/" + secret.name(), "Authorization", "Bearer " + HostConfig.TOKEN)
        .statusCode());
    Channel video = declare(host, "snap-video");
    video.publish(TestFrames.video(FrameKind.INIT, 0, 600));
    assertEquals(415, get(host, "/snapshot/" + video.name()).statusCode());
    String undeclared = "undeclared-" + System.nanoTime();
    assertEquals(404, get(host, "/snapshot/" + undeclared).statusCode());
    assertTrue(host.registry().find(undeclared).isEmpty(), "no channel was created");
    assertEquals(0, channel.subscriberCount() + secret.subscriberCount(), "a snapshot subscribes to nothing");
  }
}
