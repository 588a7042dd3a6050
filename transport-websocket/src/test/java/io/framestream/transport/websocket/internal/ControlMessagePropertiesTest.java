package io.framestream.transport.websocket.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.websocket.CloseReason;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Publishers' JSON control messages: any text gives a message or a refusal with 1003, 1007 or 1009. */
class ControlMessagePropertiesTest {

  private static final Set<Integer> CODES = Set.of(1003, 1007, 1009);

  @Provide
  Arbitrary<String> jsonish() {
    Arbitrary<String> key = Arbitraries.of("\"type\"", "\"contentType\"", "\"width\"", "\"height\"", "\"codec\"", "\"x\"");
    Arbitrary<String> value = Arbitraries.oneOf(
        Arbitraries.of("\"meta\"", "\"image/jpeg\"", "\"avc1.42E01E\"", "null", "true", "[]", "{}", "-1", "0", "65536",
            "1e309", "\"a b\"", "\"\\u0000\"", "640"),
        Arbitraries.strings().ofMaxLength(20).map(s -> "\"" + s.replace("\\", "").replace("\"", "") + "\""),
        Arbitraries.integers().map(String::valueOf));
    Arbitrary<String> pair = Combinators.combine(key, value).as((k, v) -> k + ":" + v);
    Arbitrary<String> object = pair.list().ofMaxSize(6).map(ps -> "{" + String.join(",", ps) + "}");
    Arbitrary<String> noise = Arbitraries.strings().ofMaxLength(200);
    return Arbitraries.oneOf(object, noise, noise.map(n -> "{" + n), object.map(o -> o.substring(0, o.length() / 2)));
  }

  @Property(tries = 2000)
  void anyTextIsAMessageOrARefusalWithADocumentedCode(@ForAll("jsonish") String text) {
    try {
      ControlMessage m = ControlMessage.parse(text);
      m.width().ifPresent(w -> assertTrue(w >= 1 && w <= 65_535));
    } catch (ControlMessage.Refused r) {
      assertTrue(CODES.contains(r.code().getCode()), "code " + r.code().getCode());
      assertTrue(CloseCodes.reason(r.code(), r.getMessage()).getReasonPhrase().length() <= 123);
    }
  }

  @Test
  void theDocumentedCases() {
    ControlMessage m = ControlMessage.parse("{\"type\":\"meta\",\"contentType\":\"video/mp4\",\"width\":640,"
        + "\"height\":360,\"codec\":\"avc1.42E01E\"}");
    assertEquals("video/mp4", m.contentType().orElseThrow());
    assertEquals(640, m.width().getAsInt());
    assertEquals(CloseReason.CloseCodes.CANNOT_ACCEPT, refusal("hello"));
    assertEquals(CloseReason.CloseCodes.CANNOT_ACCEPT, refusal("{\"type\":\"other\"}"));
    assertEquals(CloseReason.CloseCodes.NOT_CONSISTENT, refusal("{\"type\":\"meta\","));
    assertEquals(CloseReason.CloseCodes.NOT_CONSISTENT, refusal("{\"type\":\"meta\",\"width\":0,\"height\":5}"));
    assertEquals(CloseReason.CloseCodes.TOO_BIG, refusal("{" + " ".repeat(ControlMessage.MAX_LENGTH)));
  }

  /** The checks are StreamDescription's, the codec the clients use too (rule L1): one rule set for both sides. */
  @Test
  void theValuesAreCheckedByTheSharedDescriptionCodec() {
    for (String invalid : List.of("{\"type\":\"meta\",\"width\":\"640\",\"height\":360}",
        "{\"type\":\"meta\",\"width\":640.0,\"height\":360}", "{\"type\":\"meta\",\"width\":640}",
        "{\"type\":\"meta\",\"contentType\":\"image/jpeg\\r\\nX: 1\"}", "{\"type\":\"meta\",\"codec\":\"a b\"}",
        "{\"type\":\"meta\",\"width\":99999999999999999999,\"height\":1}",
        "{\"type\":\"meta\",\"type\":\"meta\"}", "{\"type\":\"meta\",\"x\":[[[[[]]]]]}")) {
      assertEquals(CloseReason.CloseCodes.NOT_CONSISTENT, refusal(invalid), invalid);
    }
    ControlMessage m = ControlMessage.parse("{\"type\":\"meta\",\"contentType\":\"IMAGE/png\",\"width\":null,"
        + "\"height\":null,\"codec\":null,\"extra\":{\"a\":[1e400]}}");
    assertEquals(Optional.of("image/png"), m.contentType());
    assertTrue(m.width().isEmpty() && m.height().isEmpty() && m.codec().isEmpty());
    assertEquals(new ControlMessage(Optional.empty(), OptionalInt.empty(), OptionalInt.empty(), Optional.empty()),
        ControlMessage.parse("{\"type\":\"meta\"}"));
  }

  private static CloseReason.CloseCode refusal(String text) {
    try {
      ControlMessage.parse(text);
      throw new AssertionError("accepted: " + text);
    } catch (ControlMessage.Refused r) {
      return r.code();
    }
  }
}
