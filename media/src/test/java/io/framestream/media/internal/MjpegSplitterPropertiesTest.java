package io.framestream.media.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Random and adversarial MJPEG input: only I/O errors, a bounded buffer, always an end. */
class MjpegSplitterPropertiesTest {

  @Provide
  Arbitrary<byte[]> mjpegLike() {
    Arbitrary<byte[]> chunk = Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMaxSize(300),
        Arbitraries.of(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}, new byte[] {(byte) 0xFF, (byte) 0xD9},
            new byte[] {(byte) 0xFF, (byte) 0xDA, 0, 2}, new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) 0xFF, (byte) 0xFF},
            new byte[] {(byte) 0xFF, (byte) 0xC0, 0, 11, 8, 0, 16, 0, 16, 1, 1, 0x11, 0},
            "\r\n--boundary\r\nContent-Type: image/jpeg\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    return chunk.list().ofMaxSize(40).map(parts -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      parts.forEach(out::writeBytes);
      return out.toByteArray();
    });
  }

  @Property(tries = 500)
  void theMjpegSplitterFailsOnlyWithIoErrorsStaysBoundedAndEnds(@ForAll("mjpegLike") byte[] stream) {
    MjpegSplitter splitter = new MjpegSplitter(new ByteArrayInputStream(stream), 2048);
    int images = 0;
    try {
      for (; images <= stream.length; images++) {
        byte[] image = splitter.next();
        assertTrue(image.length <= 2048, "an emitted image is within the limit");
      }
      throw new AssertionError("more images than input bytes: the splitter does not end");
    } catch (EOFException end) {
      // the documented end
    } catch (IOException other) {
      // documented as well (the stream failed)
    }
    assertTrue(splitter.peakBufferBytes() <= 2048 + MjpegSplitter.READ_CHUNK_BYTES,
        "buffer stays bounded: " + splitter.peakBufferBytes());
  }
}
