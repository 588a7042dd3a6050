package io.framestream.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The one ingest path (rules W1, W9, L1): type from the declaration or the bytes, fMP4 kinds against the
 * stream's (or the fallback) init segment, the size checked before the payload is held, and one exception
 * with a precise reason for every refusal.
 */
class FrameIngestTest {

  private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 1, 2, 3, 4};
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0};

  private static List<Fmp4Parser.Segment> video() {
    return Fmp4ParserTest.parseAllUnchecked(Fmp4Samples.read(Fmp4Samples.AVC_EVERY_FRAME));
  }

  private static IngestException.Reason reason(Executable call) {
    return assertThrows(IngestException.class, call).reason();
  }

  private static String dataUri(String type, byte[] payload) {
    return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(payload);
  }

  @Test
  void w1_theDeclaredTypeWinsElseTheBytesAreRecognised() {
    FrameIngest ingest = new FrameIngest(1024);
    Frame sniffed = ingest.binary(ByteBuffer.wrap(JPEG), null).build();
    assertEquals(ContentTypes.JPEG, sniffed.contentType());
    assertEquals(FrameKind.KEY, sniffed.kind());
    assertArrayEquals(JPEG, sniffed.copyPayload());
    assertEquals(ContentTypes.PNG, ingest.binary(PNG, null).build().contentType());
    assertEquals("image/x-custom", ingest.binary(new byte[] {1, 2, 3}, "image/x-custom").build().contentType());
    assertEquals(ContentTypes.OCTET_STREAM, ingest.binary(JPEG, ContentTypes.OCTET_STREAM).build().contentType(),
        "a declared type is taken as it is");
    ByteBuffer message = ByteBuffer.wrap(JPEG, 2, 4);
    assertEquals(4, ingest.binary(message, "image/jpeg").build().size());
    assertEquals(2, message.position(), "the message is read, not consumed");
  }

  @Test
  void w1_aHandedOverMessageIsRecognisedAndClassifiedLikeACopiedOne() {
    FrameIngest ingest = new FrameIngest(1 << 20);
    byte[] jpeg = JPEG.clone();
    Frame adopted = ingest.adoptBinary(jpeg, null).build();
    assertEquals(ContentTypes.JPEG, adopted.contentType());
    assertEquals(FrameKind.KEY, adopted.kind());
    assertArrayEquals(JPEG, adopted.copyPayload());
    jpeg[7] = 42; // never done by a real caller: shows the frame holds the very array, not a copy
    assertEquals(42, adopted.payload().get(7));
    assertEquals("image/x-custom", ingest.adoptBinary(new byte[] {1}, "image/x-custom").build().contentType());

    List<Fmp4Parser.Segment> segments = video();
    assertEquals(FrameKind.INIT, ingest.adoptBinary(segments.get(0).bytes().clone(), null).build().kind());
    for (Fmp4Parser.Segment s : segments.subList(1, segments.size())) {
      assertEquals(s.kind(), ingest.adoptBinary(s.bytes().clone(), ContentTypes.MP4).build().kind());
    }
  }

  @Test
  void h2_aHandedOverMessageIsCheckedLikeAnyOther() {
    FrameIngest ingest = new FrameIngest(8);
    assertEquals(8, ingest.adoptBinary(JPEG.clone(), null).build().size(), "exactly the limit passes");
    assertEquals(IngestException.Reason.TOO_LARGE, reason(() -> ingest.adoptBinary(new byte[9], "a/b")));
    assertEquals(IngestException.Reason.UNKNOWN_TYPE, reason(() -> ingest.adoptBinary(new byte[] {1, 2}, null)));
    assertEquals(IngestException.Reason.INVALID_TYPE, reason(() -> ingest.adoptBinary(JPEG.clone(), "bad")));
  }

  @Test
  void w1_anUnknownFormatAndAnInvalidDeclaredTypeAreRefusedWithTheirReasons() {
    FrameIngest ingest = new FrameIngest(1024);
    assertEquals(IngestException.Reason.UNKNOWN_TYPE, reason(() -> ingest.binary(new byte[] {1, 2, 3}, null)));
    assertEquals(IngestException.Reason.UNKNOWN_TYPE, reason(() -> ingest.binary(ByteBuffer.allocate(0), null)));
    assertEquals(IngestException.Reason.INVALID_TYPE, reason(() -> ingest.binary(JPEG, "not a type")));
    assertEquals(IngestException.Reason.INVALID_TYPE, reason(() -> ingest.binary(JPEG, "image/jpeg\r\nX: 1")));
    assertEquals(IngestException.Reason.INVALID_TYPE, reason(() -> ingest.base64("AAAA", "bad type")));
  }

  @Test
  void h2_aPayloadOverMaxFrameBytesIsRefusedBeforeItIsHeld() {
    FrameIngest ingest = new FrameIngest(8);
    assertEquals(8, ingest.binary(JPEG, null).build().size(), "exactly the limit passes");
    IngestException binary = assertThrows(IngestException.class, () -> ingest.binary(ByteBuffer.allocate(9), "a/b"));
    assertEquals(IngestException.Reason.TOO_LARGE, binary.reason());
    assertTrue(binary.getMessage().contains("maxFrameBytes 8"), binary.getMessage());
    assertEquals(IngestException.Reason.TOO_LARGE, reason(() -> ingest.binary(new byte[9], null)));
    assertEquals(IngestException.Reason.TOO_LARGE, reason(() -> ingest.dataUri(dataUri("image/jpeg", new byte[9]))));
    assertEquals(IngestException.Reason.TOO_LARGE, reason(() -> ingest.base64(
        Base64.getEncoder().encodeToString(new byte[9]), "a/b")));
    assertEquals(IngestException.Reason.TOO_LARGE, reason(() -> ingest.initSegment(
        Base64.getEncoder().encodeToString(new byte[9]), "a/b")));
    // Decided from the text's length alone: this would not even be valid base64 once decoded.
    assertEquals(IngestException.Reason.TOO_LARGE, reason(() -> ingest.base64("!".repeat(1 << 20), "a/b")));
    assertEquals(IngestException.Reason.TOO_LARGE,
        reason(() -> ingest.dataUri("data:image/png;base64," + "!".repeat(1 << 20))));
  }

  @Test
  void w1_dataUrisBringTheirOwnTypeAndMalformedOnesAreRefused() {
    FrameIngest ingest = new FrameIngest(1024);
    Frame f = ingest.dataUri(dataUri("image/png", PNG)).build();
    assertEquals(ContentTypes.PNG, f.contentType());
    assertArrayEquals(PNG, f.copyPayload());
    for (String bad : List.of("data:image/png,plain", "data:image/png;base64", "data:;base64,AAAA",
        "data:image/png;base64,***", "nodata:image/png;base64,AAAA")) {
      assertEquals(IngestException.Reason.MALFORMED_DATA_URI, reason(() -> ingest.dataUri(bad)), bad);
    }
  }

  @Test
  void l1_bareBase64TakesTheDeclaredTypeAndBadBase64IsRefused() {
    FrameIngest ingest = new FrameIngest(1024);
    Frame f = ingest.base64(Base64.getEncoder().encodeToString(JPEG), ContentTypes.OCTET_STREAM).build();
    assertEquals(ContentTypes.OCTET_STREAM, f.contentType());
    assertArrayEquals(JPEG, f.copyPayload());
    assertEquals(ContentTypes.JPEG, ingest.base64(Base64.getEncoder().encodeToString(JPEG), null).build()
        .contentType());
    assertEquals(IngestException.Reason.MALFORMED_BASE64, reason(() -> ingest.base64("not base64!", "a/b")));
    assertEquals(IngestException.Reason.MALFORMED_BASE64, reason(() -> ingest.initSegment("%%%%", "video/mp4")));
  }

  @Test
  void w1_anMp4StreamIsClassifiedAgainstItsOwnInitSegment() {
    List<Fmp4Parser.Segment> segments = video();
    FrameIngest ingest = new FrameIngest(1 << 20);
    Frame init = ingest.binary(segments.get(0).bytes(), null).build();
    assertEquals(ContentTypes.MP4, init.contentType());
    assertEquals(FrameKind.INIT, init.kind());
    List<FrameKind> kinds = new ArrayList<>();
    List<FrameKind> expected = new ArrayList<>();
    for (Fmp4Parser.Segment s : segments.subList(1, segments.size())) {
      kinds.add(ingest.binary(ByteBuffer.wrap(s.bytes()), ContentTypes.MP4).build().kind());
      expected.add(s.kind());
    }
    assertEquals(expected, kinds);
    assertTrue(kinds.contains(FrameKind.DELTA) && kinds.contains(FrameKind.KEY), kinds.toString());
  }

  @Test
  void w9_beforeItsOwnInitSegmentAStreamReadsFragmentsAgainstTheFallbackAskedOnlyForFragments() {
    List<Fmp4Parser.Segment> segments = video();
    AtomicInteger asked = new AtomicInteger();
    FrameIngest ingest = new FrameIngest(1 << 20, () -> {
      asked.incrementAndGet();
      return segments.get(0).bytes();
    });
    ingest.binary(JPEG, null);
    assertEquals(0, asked.get(), "not asked for a JPEG");
    Fmp4Parser.Segment delta = segments.stream().skip(1).filter(s -> s.kind() == FrameKind.DELTA).findFirst()
        .orElseThrow();
    assertEquals(FrameKind.DELTA, ingest.binary(delta.bytes(), null).build().kind(), "HTTP marks DELTA too");
    assertEquals(1, asked.get());
    FrameIngest noFallback = new FrameIngest(1 << 20);
    assertEquals(FrameKind.KEY, noFallback.binary(delta.bytes(), null).build().kind(),
        "KEY when the kind cannot be read");
  }

  @Test
  void l1_anInitSegmentFromTheSideIsRememberedAndADataUriFragmentIsClassified() {
    List<Fmp4Parser.Segment> segments = video();
    FrameIngest ingest = new FrameIngest(1 << 20);
    Frame init = ingest.initSegment(Base64.getEncoder().encodeToString(segments.get(0).bytes()), ContentTypes.MP4)
        .build();
    assertEquals(FrameKind.INIT, init.kind());
    Fmp4Parser.Segment delta = segments.stream().skip(1).filter(s -> s.kind() == FrameKind.DELTA).findFirst()
        .orElseThrow();
    Frame f = ingest.dataUri(dataUri(ContentTypes.MP4, delta.bytes())).build();
    assertEquals(FrameKind.DELTA, f.kind());
    assertArrayEquals(delta.bytes(), f.copyPayload());
    assertEquals(FrameKind.DELTA, ingest.base64(Base64.getEncoder().encodeToString(delta.bytes()), ContentTypes.MP4)
        .build().kind());
  }

  @Test
  void theConfiguredLimitIsChecked() {
    assertEquals(1, FrameIngest.checkMaxFrameBytes(1));
    assertEquals(FrameIngest.MAX_FRAME_BYTES_LIMIT, FrameIngest.checkMaxFrameBytes(FrameIngest.MAX_FRAME_BYTES_LIMIT));
    assertThrows(IllegalArgumentException.class, () -> FrameIngest.checkMaxFrameBytes(0));
    assertThrows(IllegalArgumentException.class, () -> FrameIngest.checkMaxFrameBytes(FrameIngest.MAX_FRAME_BYTES_LIMIT + 1));
    assertThrows(IllegalArgumentException.class, () -> new FrameIngest(0));
  }
}
