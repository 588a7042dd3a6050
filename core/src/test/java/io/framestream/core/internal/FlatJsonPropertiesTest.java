package io.framestream.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/**
 * The wire's JSON reader and writer: random and adversarial text is read or refused with {@link
 * FlatJson.MalformedJsonException} only, within its bounds; what the writer writes reads back exactly; the
 * writer's characters are those Jackson wrote before core dropped it (rules L1 and W, "the init message").
 */
class FlatJsonPropertiesTest {

  private static final String[] NAMES = {"type", "contentType", "width", "height", "codec", ""};

  @Provide
  Arbitrary<String> jsonish() {
    Arbitrary<String> token = Arbitraries.oneOf(
        Arbitraries.of("{", "}", "[", "]", ":", ",", " ", "\n", "\"type\"", "\"width\"", "\"codec\"", "\"\"",
            "\"a\\\"b\"", "\"\\u00e9\"", "\"\\u12\"", "\"\\x\"", "\"\u0001\"", "\"", "\\", "true", "fals", "null",
            "0", "-0", "01", "-", "1.", "1.5e", "2e+9", "9223372036854775807", "9223372036854775808",
            "-9223372036854775808", "-9223372036854775809", "1e400", "\u00e9", "\ud800"),
        Arbitraries.strings().ofMaxLength(6),
        Arbitraries.longs().map(String::valueOf));
    Arbitrary<String> tokens = token.list().ofMaxSize(40).map(ts -> String.join("", ts));
    return Arbitraries.oneOf(tokens, tokens.map(t -> "{" + t), tokens.map(t -> "{" + t + "}"),
        Arbitraries.strings().ofMaxLength(100));
  }

  @Property(tries = 3000)
  void anyTextIsReadOrRefusedWithMalformedJsonOnly(@ForAll("jsonish") String text) {
    FlatJson.Value[] values;
    try {
      values = FlatJson.read(text, NAMES);
    } catch (FlatJson.MalformedJsonException refused) {
      assertTrue(refused.offset() >= 0 && refused.offset() <= text.length(), refused.getMessage());
      assertTrue(refused.getMessage().chars().allMatch(c -> c >= 0x20 && c < 0x7f), "printable message");
      return;
    }
    assertEquals(NAMES.length, values.length);
    for (FlatJson.Value v : values) {
      if (v != null && v.kind() == FlatJson.Kind.STRING) {
        assertTrue(v.asString().length() <= text.length(), "a decoded string is never longer than the text");
      }
      if (v != null) {
        assertTrue(v.rawLength() <= text.length());
      }
    }
  }

  /** One valid object mutated at one place: read or refused, never another exception. */
  @Property(tries = 2000)
  void aCorruptedObjectIsReadOrRefused(@ForAll("objects") Map<String, String> members,
      @ForAll @IntRange(min = 0, max = 10_000) int at, @ForAll char replacement, @ForAll boolean insert) {
    String text = write(members, 7);
    int i = at % text.length();
    String corrupt = text.substring(0, i) + replacement + text.substring(insert ? i : i + 1);
    try {
      FlatJson.read(corrupt, NAMES);
    } catch (FlatJson.MalformedJsonException expected) {
      assertTrue(expected.offset() <= corrupt.length());
    }
  }

  @Provide
  Arbitrary<Map<String, String>> objects() {
    Arbitrary<String> anyChars = Arbitraries.strings().all().ofMaxLength(30);
    Arbitrary<String> names = Arbitraries.oneOf(Arbitraries.of(NAMES), anyChars);
    return Arbitraries.maps(names, anyChars).ofMaxSize(8);
  }

  private static String write(Map<String, String> members, long number) {
    FlatJson.Writer w = new FlatJson.Writer();
    members.forEach(w::add);
    return w.add("\u0000number", number).toString();
  }

  @Property(tries = 1000)
  void whatTheWriterWritesReadsBackExactly(@ForAll("objects") Map<String, String> members, @ForAll long number) {
    String text = write(members, number);
    List<String> names = new ArrayList<>(members.keySet());
    names.add("\u0000number");
    FlatJson.Value[] values = FlatJson.read(text, names.toArray(new String[0]));
    for (int i = 0; i < members.size(); i++) {
      assertEquals(FlatJson.Kind.STRING, values[i].kind());
      assertEquals(members.get(names.get(i)), values[i].asString());
    }
    assertEquals(number, values[members.size()].asLong());
  }

  @Property(tries = 1000)
  void everyProperPrefixOfAnObjectIsRefused(@ForAll("objects") Map<String, String> members,
      @ForAll @IntRange(min = 0, max = 10_000) int cut) {
    String text = write(members, -1);
    String prefix = text.substring(0, cut % text.length());
    assertThrows(FlatJson.MalformedJsonException.class, () -> FlatJson.read(prefix, NAMES));
  }

  @Property(tries = 1000)
  void integersAreExactWithinALongAndRefusedBeyond(@ForAll @Size(max = 40) List<@IntRange(max = 9) Integer> digits,
      @ForAll boolean negative) {
    StringBuilder sb = new StringBuilder(negative ? "-" : "");
    digits.forEach(sb::append);
    if (digits.isEmpty() || digits.size() > 1 && digits.get(0) == 0) {
      sb.setLength(negative ? 1 : 0);
      sb.append('7');
      digits.forEach(sb::append);
    }
    String number = sb.toString();
    BigInteger big = new BigInteger(number);
    String text = "{\"width\":" + number + "}";
    if (big.bitLength() < 64) {
      assertEquals(big.longValueExact(), FlatJson.read(text, "width")[0].asLong());
    } else {
      assertThrows(FlatJson.MalformedJsonException.class, () -> FlatJson.read(text, "width"));
    }
  }

  @Property(tries = 200)
  void nestingIsBounded(@ForAll @IntRange(min = 0, max = 40) int depth, @ForAll boolean objects) {
    String open = objects ? "{\"x\":" : "[";
    String close = objects ? "}" : "]";
    String inner = objects || depth == 0 ? "1" : "";
    String text = "{\"a\":" + open.repeat(depth) + inner + close.repeat(depth) + "}";
    if (depth + 1 <= FlatJson.MAX_DEPTH) {
      assertEquals(depth == 0 ? FlatJson.Kind.INTEGER : objects ? FlatJson.Kind.OBJECT : FlatJson.Kind.ARRAY,
          FlatJson.read(text, "a")[0].kind());
    } else {
      assertThrows(FlatJson.MalformedJsonException.class, () -> FlatJson.read(text, "a"));
    }
  }

  @Property(tries = 300)
  void stringsWithAnyCharactersRoundTrip(@ForAll @StringLength(max = 200) String value) {
    String text = new FlatJson.Writer().add("codec", value).toString();
    assertEquals(value, FlatJson.read(text, "codec")[0].asString());
  }

  @Test
  void theWriterWritesWhatJacksonWrote() {
    // Jackson 2.22's ObjectMapper.writeValueAsString of {"s":<every char below 0x80, then é, U+2028, an emoji,
    // a lone surrogate>,"n":Long.MIN_VALUE,"i":65535}, captured before core dropped Jackson.
    String jackson = "{\"s\":\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000B\\f\\r"
        + "\\u000E\\u000F\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001A\\u001B\\u001C"
        + "\\u001D\\u001E\\u001F !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmno"
        + "pqrstuvwxyz{|}~\u007f\u00e9\u2028\ud83d\ude00\ud800x\",\"n\":-9223372036854775808,\"i\":65535}";
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 0x80; c++) {
      all.append(c);
    }
    all.append("\u00e9\u2028\ud83d\ude00\ud800x");
    FlatJson.Writer w = new FlatJson.Writer().add("s", all.toString()).add("n", Long.MIN_VALUE).add("i", 65535);
    assertEquals(jackson, w.toString());
    assertEquals(jackson, w.toString(), "written out once");
    assertThrows(IllegalStateException.class, () -> w.add("late", 1));
    assertEquals(all.toString(), FlatJson.read(jackson, "s")[0].asString());
  }

  @Test
  void theReaderIsStrict() {
    for (String bad : List.of("", " ", "[]", "\"x\"", "1", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}",
        "{\"a\":1} x", "{\"a\":1}{}", "{'a':1}", "{a:1}", "{\"a\":01}", "{\"a\":+1}", "{\"a\":.5}", "{\"a\":1.}",
        "{\"a\":1e}", "{\"a\":NaN}", "{\"a\":tru}", "{\"a\":\"\\u00G0\"}", "{\"a\":\"\\q\"}", "{\"a\":\"x\ny\"}",
        "{\"a\":\"unterminated}", "{\"a\":\"x\\", "\ufeff{}", "{\"type\":1,\"type\":2}",
        "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":{\"b\"}}", "{\"a\":99999999999999999999}")) {
      assertThrows(FlatJson.MalformedJsonException.class, () -> FlatJson.read(bad, "type", "a"), bad);
    }
    FlatJson.Value[] v = FlatJson.read(" {\"x\":{\"type\":1,\"type\":2},\"x\":[true,false,null,-1.5e-3,\"\"],"
        + "\"type\" : \"m\\u0065ta\" ,\"a\":null}\r\n", "type", "a", "missing");
    assertEquals("meta", v[0].asString());
    assertEquals(FlatJson.Kind.NULL, v[1].kind());
    assertNull(v[2]);
    assertEquals("\"m\\u0065", v[0].raw(8));
  }

  @Test
  void hostileSizesEndQuickly() {
    String deep = "{\"a\":" + "[".repeat(200_000);
    FlatJson.MalformedJsonException e =
        assertThrows(FlatJson.MalformedJsonException.class, () -> FlatJson.read(deep, "a"));
    assertTrue(e.getMessage().startsWith("nested deeper than"), e.getMessage());
    String longNumber = "{\"a\":" + "9".repeat(1_000_000) + "}";
    assertThrows(FlatJson.MalformedJsonException.class, () -> FlatJson.read(longNumber, "a"));
    String longString = "{\"a\":\"" + "\\u0041".repeat(200_000) + "\"}";
    assertEquals(200_000, FlatJson.read(longString, "a")[0].asString().length());
  }
}
