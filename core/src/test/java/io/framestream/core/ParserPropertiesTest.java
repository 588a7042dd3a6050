package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.wire.Fmp4Parser;
import io.framestream.core.wire.Fmp4Samples;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/**
 * Random and adversarial input to every parser of outside data in core: only the documented exception,
 * never more memory than the configured bound, always an end.
 */
class ParserPropertiesTest {

  private static final int MAX = 4096;

  @Provide
  Arbitrary<String> dataUriLike() {
    Arbitrary<String> prefix = Arbitraries.of("data:", "DATA:", "data:image/jpeg;base64,", "data:image/png;base64,",
        "data:;base64,", "data:image/jpeg,", "data:x/y;charset=a;base64,", "");
    Arbitrary<String> body = Arbitraries.strings().withChars("ABCDEFabcdef0123456789+/=-_,;:% \n\u0000\u00e9")
        .ofMaxLength(8000);
    return Combinators.combine(prefix, body).as(String::concat);
  }

  @Property(tries = 500)
  void dataUrisThrowOnlyTheDocumentedErrorsAndStayWithinTheLimit(@ForAll("dataUriLike") String uri) {
    try {
      Frame f = DataUris.decode(uri, MAX).build();
      assertTrue(f.size() <= MAX);
    } catch (FrameCodecException | LimitExceededException expected) {
      assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
    }
  }

  @Property(tries = 300)
  void dataUrisRoundTrip(@ForAll @Size(max = 3000) byte[] payload) {
    String uri = "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(payload);
    assertEquals(ByteBuffer.wrap(payload), DataUris.decode(uri, MAX).build().payload());
  }

  @Property(tries = 500)
  void contentTypesAreValidatedWithIllegalArgumentExceptionOnly(@ForAll @StringLength(max = 300) String type) {
    try {
      String normal = ContentTypes.requireValid(type);
      assertTrue(normal.indexOf('/') > 0);
    } catch (IllegalArgumentException expected) {
      // documented
    }
  }

  @Property(tries = 500)
  void sniffingNeverThrows(@ForAll @Size(max = 64) byte[] bytes) {
    ContentTypes.sniff(bytes);
    ContentTypes.isMp4InitSegment(ByteBuffer.wrap(bytes));
  }

  @Property(tries = 1000)
  void channelNamesAreValidExactlyWhenAccepted(@ForAll @StringLength(max = 80) String name) {
    boolean valid = ChannelNames.isValid(name);
    try {
      ChannelNames.requireValid(name);
      assertTrue(valid);
    } catch (IllegalArgumentException e) {
      assertTrue(!valid);
      assertTrue(e.getMessage().chars().allMatch(c -> c >= 0x20 && c < 0x7f), "message is printable ASCII");
    }
  }

  @Provide
  Arbitrary<Integer> positions() {
    return Arbitraries.integers().between(0, 10_000);
  }

  private static final byte[] FMP4 = Fmp4Samples.read(Fmp4Samples.AVC_EVERY_FRAME);
  private static final int FMP4_LIMIT = Fmp4Parser.MIN_FRAGMENT_BYTES_LIMIT;

  @Provide
  Arbitrary<byte[]> fmp4Like() {
    // Pieces of a real stream (whole boxes, cut boxes), box headers with adversarial sizes, random bytes.
    Arbitrary<byte[]> realPiece = Combinators.combine(Arbitraries.integers().between(0, FMP4.length),
        Arbitraries.integers().between(0, 4000)).as((from, n) ->
            java.util.Arrays.copyOfRange(FMP4, from, Math.min(FMP4.length, from + n)));
    Arbitrary<byte[]> header = Combinators.combine(
        Arbitraries.of(0L, 1L, 7L, 8L, 9L, 16L, 100L, 65_536L, 0x7FFF_FFFFL, 0xFFFF_FFFFL),
        Arbitraries.of("ftyp", "moov", "moof", "mdat", "styp", "sidx", "free", "trak", "traf", "trun", "tfhd",
            "mvex", "trex", "mdia", "stsd", "avc1", "avcC", "\u0000\u0001ab"))
        .as((size, type) -> Fmp4Samples.concat(Fmp4Samples.u32(size),
            type.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
    Arbitrary<byte[]> chunk = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, realPiece),
        net.jqwik.api.Tuple.of(3, header),
        net.jqwik.api.Tuple.of(2, Arbitraries.bytes().array(byte[].class).ofMaxSize(64)));
    Arbitrary<byte[]> start = Arbitraries.of(new byte[0],
        java.util.Arrays.copyOf(FMP4, Fmp4Samples.initLength(FMP4))); // the real init segment, so fragments get parsed too
    return Combinators.combine(start, chunk.list().ofMaxSize(12)).as((head, parts) -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(head);
      parts.forEach(out::writeBytes);
      return out.toByteArray();
    });
  }

  @Property(tries = 1000)
  void theFmp4ParserFailsOnlyWithTheDocumentedErrorsStaysBoundedAndEnds(@ForAll("fmp4Like") byte[] stream) {
    Fmp4Parser parser = new Fmp4Parser(new ByteArrayInputStream(stream), Fmp4Parser.MIN_INIT_BYTES_LIMIT,
        FMP4_LIMIT);
    try {
      for (int segments = 0; segments <= stream.length / 8; segments++) {
        Fmp4Parser.Segment s = parser.next();
        assertTrue(s.bytes().length <= FMP4_LIMIT, "a segment is within the limit");
      }
      throw new AssertionError("more segments than boxes could fit in the input: the parser does not end");
    } catch (FrameCodecException | EOFException expected) {
      assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
    } catch (IOException other) {
      throw new AssertionError("only FrameCodecException and EOFException are documented", other);
    }
    assertTrue(parser.peakAllocationBytes() <= FMP4_LIMIT, "allocation bounded: " + parser.peakAllocationBytes());
  }

  @Property(tries = 300)
  void theFmp4ParserSurvivesAnySingleByteCorruptionOfARealStream(
      @ForAll("positions") int position, @ForAll byte value) {
    byte[] stream = FMP4.clone();
    stream[position % stream.length] = value;
    Fmp4Parser parser = new Fmp4Parser(new ByteArrayInputStream(stream), Fmp4Parser.MIN_INIT_BYTES_LIMIT,
        FMP4_LIMIT);
    try {
      for (int segments = 0; segments <= stream.length / 8; segments++) {
        parser.next();
      }
      throw new AssertionError("the parser does not end");
    } catch (FrameCodecException | EOFException expected) {
      assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
    } catch (IOException other) {
      throw new AssertionError("only FrameCodecException and EOFException are documented", other);
    }
  }

  @Property(tries = 100)
  void theFmp4SplitDoesNotDependOnHowTheInputIsChunked(@ForAll("positions") int seed) throws IOException {
    java.util.Random random = new java.util.Random(seed);
    java.io.InputStream trickle = new java.io.FilterInputStream(new ByteArrayInputStream(FMP4)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 1 + random.nextInt(700)));
      }
    };
    assertEquals(split(new ByteArrayInputStream(FMP4)), split(trickle));
  }

  private static List<String> split(java.io.InputStream in) throws IOException {
    Fmp4Parser parser = new Fmp4Parser(in, Fmp4Parser.MIN_INIT_BYTES_LIMIT, FMP4_LIMIT);
    List<String> out = new java.util.ArrayList<>();
    try {
      while (true) {
        Fmp4Parser.Segment s = parser.next();
        out.add(s.kind() + ":" + java.util.Arrays.hashCode(s.bytes()) + ":" + s.bytes().length);
      }
    } catch (EOFException end) {
      return out;
    }
  }
}
