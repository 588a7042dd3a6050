package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FrameTest {

  @Test
  void payloadIsCopiedInAndNeverExposedMutable() {
    byte[] bytes = {1, 2, 3};
    Frame frame = Frame.of("image/jpeg", bytes);
    bytes[0] = 9;
    assertEquals(1, frame.payload().get(0), "builder must copy the caller's array");

    ByteBuffer view = frame.payload();
    assertTrue(view.isReadOnly());
    assertThrows(ReadOnlyBufferException.class, () -> view.put(0, (byte) 7));

    byte[] copy = frame.copyPayload();
    copy[1] = 9;
    assertEquals(2, frame.payload().get(1), "copyPayload must return a fresh array");
    assertEquals(3, frame.size());
  }

  @Test
  void adoptPayloadKeepsTheHandedOverArrayWithoutACopy() {
    byte[] handed = {1, 2, 3};
    Frame frame = Frame.builder(new byte[0]).adoptPayload(handed).contentType("image/jpeg").build();
    assertSame(handed, frame.payloadArrayUnsafe(), "the frame adopts the array itself");
    assertSame(handed, frame.toBuilder().kind(FrameKind.DELTA).build().payloadArrayUnsafe(),
        "frames derived from it share it too");
    assertSame(handed, frame.published(7, 1).payloadArrayUnsafe());
    // Which is why the caller gives it up: a write afterwards would show through to every viewer.
    handed[0] = 9;
    assertEquals(9, frame.payload().get(0));
    assertTrue(frame.payload().isReadOnly(), "viewers still get read-only views only");

    byte[] again = {4, 5};
    Frame copied = Frame.builder(new byte[0]).adoptPayload(again).payload(again).build();
    assertFalse(again == copied.payloadArrayUnsafe(), "a later payload(byte[]) copies again");
    assertThrows(NullPointerException.class, () -> Frame.builder(new byte[0]).adoptPayload(null));
  }

  @Test
  void builderSetsEveryFieldAndToBuilderKeepsThem() {
    Instant t = Instant.parse("2026-01-02T03:04:05Z");
    Frame f = Frame.builder(new byte[] {5})
        .contentType("Video/MP4")
        .kind(FrameKind.INIT)
        .captureTime(t)
        .dimensions(640, 480)
        .codec("avc1.42E01E")
        .build();
    assertEquals("video/mp4", f.contentType(), "type and subtype are lower-cased");
    assertEquals(FrameKind.INIT, f.kind());
    assertEquals(t, f.captureTime());
    assertEquals(OptionalInt.of(640), f.width());
    assertEquals(OptionalInt.of(480), f.height());
    assertEquals("avc1.42E01E", f.codec().orElseThrow());
    assertEquals(0, f.sequence());
    assertEquals(f, f.toBuilder().build());

    Frame plain = Frame.of("image/png", new byte[0]);
    assertTrue(plain.width().isEmpty());
    assertTrue(plain.codec().isEmpty());
    assertEquals(FrameKind.KEY, plain.kind());
  }

  @Test
  void invalidMetadataIsRejectedWithAClearMessage() {
    Frame.Builder b = Frame.builder(new byte[0]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.contentType("jpeg"));
    assertTrue(e.getMessage().contains("type/subtype"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.contentType("image/jpeg\r\nX: y"));
    assertThrows(IllegalArgumentException.class, () -> b.dimensions(0, 10));
    assertThrows(IllegalArgumentException.class, () -> b.codec("avc1 bad"));
    assertThrows(NullPointerException.class, () -> Frame.builder((byte[]) null));
  }

  @Test
  void toStringShowsSizeNotBytes() {
    Frame f = Frame.of("image/jpeg", "secret-bytes".getBytes(StandardCharsets.US_ASCII));
    assertTrue(f.toString().contains("12 bytes"), f.toString());
    assertFalse(f.toString().contains("secret"), f.toString());
  }

  @Test
  void base64AndDataUriAreCorrectAndCached() {
    byte[] bytes = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0, 1, 2, 3};
    Frame f = Frame.of("image/jpeg", bytes);
    assertFalse(f.isEncoded(FrameEncoding.DATA_URI));
    String uri = f.dataUri();
    assertEquals("data:image/jpeg;base64," + Base64.getEncoder().encodeToString(bytes), uri);
    assertSame(uri, f.dataUri(), "the data URI is computed once and reused");
    assertSame(f.base64(), f.base64());
    assertTrue(f.isEncoded(FrameEncoding.BASE64), "the data URI reuses the cached base64");
  }

  @Test
  void base64WithinFramesTheBase64OfEveryPayloadLengthWithoutBuildingTheText() {
    byte[] before = "id: 7\ndata: ".getBytes(StandardCharsets.US_ASCII);
    byte[] after = {'\n', '\n'};
    java.util.Random random = new java.util.Random(14);
    for (int size : new int[] {0, 1, 2, 3, 4, 5, 50_000, 50_001, 50_002}) {
      byte[] payload = new byte[size];
      random.nextBytes(payload);
      Frame f = Frame.of("image/jpeg", payload);
      String expected = "id: 7\ndata: " + Base64.getEncoder().encodeToString(payload) + "\n\n";
      assertEquals(expected, new String(f.base64Within(before, after), StandardCharsets.US_ASCII), "size " + size);
      assertFalse(f.isEncoded(FrameEncoding.BASE64), "the base64 text is not built for it");
      f.base64(); // now cached: the same bytes come from the text
      assertEquals(expected, new String(f.base64Within(before, after), StandardCharsets.US_ASCII), "size " + size);
    }
    Frame f = Frame.of("image/jpeg", new byte[] {1, 2, 3});
    assertEquals("AQID", new String(f.base64Within(new byte[0], new byte[0]), StandardCharsets.US_ASCII));
    assertThrows(NullPointerException.class, () -> f.base64Within(null, after));
    assertThrows(NullPointerException.class, () -> f.base64Within(before, null));
  }

  @Test
  void anEncodingRunsOncePerFrameUnderConcurrency() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch inEncoder = new CountDownLatch(1);
    FrameEncoding<String> slow = FrameEncoding.of("slow", frame -> {
      runs.incrementAndGet();
      inEncoder.countDown();
      return "encoded-" + frame.size();
    });
    Frame f = Frame.of("image/jpeg", new byte[1000]);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        results.add(pool.submit(() -> {
          start.await();
          return f.encoded(slow);
        }));
      }
      start.countDown();
      String first = results.get(0).get(10, TimeUnit.SECONDS);
      for (Future<String> r : results) {
        assertSame(first, r.get(10, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, runs.get(), "32 concurrent askers, one encoder run");
  }

  @Test
  void contentTypesAreSniffedFromMagicBytes() {
    assertEquals("image/jpeg", ContentTypes.sniff(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0}).orElseThrow());
    assertEquals("image/png", ContentTypes.sniff(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10}).orElseThrow());
    assertEquals("image/gif", ContentTypes.sniff("GIF89a...".getBytes(StandardCharsets.US_ASCII)).orElseThrow());
    assertEquals("image/webp", ContentTypes.sniff("RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.US_ASCII)).orElseThrow());
    assertEquals("video/mp4", ContentTypes.sniff("\0\0\0\u0018ftypiso5".getBytes(StandardCharsets.US_ASCII)).orElseThrow());
    assertEquals("video/mp4", ContentTypes.sniff("\0\0\0\u0018moof....".getBytes(StandardCharsets.US_ASCII)).orElseThrow());
    assertTrue(ContentTypes.sniff(new byte[] {1, 2, 3}).isEmpty());
    assertTrue(ContentTypes.sniff(new byte[0]).isEmpty());
    assertTrue(ContentTypes.isMp4InitSegment(ByteBuffer.wrap("\0\0\0\u0018ftypiso5".getBytes(StandardCharsets.US_ASCII))));
    assertFalse(ContentTypes.isMp4InitSegment(ByteBuffer.wrap("\0\0\0\u0018moof....".getBytes(StandardCharsets.US_ASCII))));
  }

  @Test
  void publishedCopySharesPayloadAndCarriesSequence() {
    Frame f = Frame.of("image/jpeg", new byte[] {1, 2});
    Frame p = f.published(7, 123);
    assertEquals(7, p.sequence());
    assertEquals(123, p.publishNanoTime());
    assertSame(f.payloadArrayUnsafe(), p.payloadArrayUnsafe(), "publishing never copies the payload");
    assertArrayEquals(f.copyPayload(), p.copyPayload());
  }
}
