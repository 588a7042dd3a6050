package io.framestream.core.internal;

import java.util.Objects;

/**
 * A small, strict JSON reader and writer for the flat objects of the wire protocol (the {@code init},
 * {@code meta} and {@code status} messages). Only {@code java.base}; internal, not API.
 *
 * <p>{@link #read(String, String...)} checks a whole text against RFC 8259 and returns the top-level
 * members the caller names; everything else is validated and skipped. It is deliberately stricter than a
 * general parser, because the text comes from peers that are not trusted:
 *
 * <ul>
 *   <li>the text is exactly one object, with nothing but whitespace around it;
 *   <li>objects and arrays nest at most {@link #MAX_DEPTH} deep (the outer object counts as 1);
 *   <li>an integer (a number without fraction or exponent) must fit in a {@code long};
 *   <li>a named member may appear only once;
 *   <li>strings end, escapes are complete, control characters are escaped.
 * </ul>
 *
 * <p>Memory: the reader keeps one small record per named member that is present and otherwise only
 * positions into the text; a member's string is decoded when asked for, and is never longer than the text.
 * Nothing else grows with the input, and the recursion is bounded by {@link #MAX_DEPTH}.
 *
 * <p>{@link Writer} produces the same characters as Jackson's default {@code ObjectMapper} did for these
 * messages: {@code "} and {@code \} escaped, {@code \b \t \n \f \r} short, other characters below U+0020 as
 * {@code \}{@code u00XX} with upper-case hex digits, everything else as is.
 *
 * <h2>Thread safety</h2>
 *
 * {@link #read(String, String...)} is thread-safe and its {@link Value}s are immutable; a {@link Writer} is
 * not thread-safe.
 */
public final class FlatJson {

  /** The deepest nesting of objects and arrays accepted; the outer object is depth 1. */
  public static final int MAX_DEPTH = 4;

  /** The characters with a short escape, and the letter of each after the backslash. */
  private static final String ESCAPED = "\"\\/\b\f\n\r\t";
  private static final String ESCAPES = "\"\\/bfnrt";

  private FlatJson() {}

  /**
   * The JSON type of a member's value.
   *
   * <h2>Thread safety</h2>
   *
   * An enum: immutable.
   */
  public enum Kind {
    /** A string. */
    STRING,
    /** A number without fraction or exponent, within {@code long}. */
    INTEGER,
    /** A number with a fraction or an exponent (its value is not computed). */
    NUMBER,
    /** {@code true} or {@code false}. */
    BOOLEAN,
    /** {@code null}. */
    NULL,
    /** An array (its content is validated, not kept). */
    ARRAY,
    /** An object (its content is validated, not kept). */
    OBJECT
  }

  /**
   * Thrown when a text is not a JSON object this reader accepts; the message says what and where.
   *
   * <h2>Thread safety</h2>
   *
   * Effectively immutable once thrown.
   */
  public static final class MalformedJsonException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final int offset;

    MalformedJsonException(String what, int offset) {
      super(what + " at column " + (offset + 1));
      this.offset = offset;
    }

    /**
     * Returns where the problem was found.
     *
     * @return the zero-based index into the text
     */
    public int offset() {
      return offset;
    }
  }

  /**
   * One top-level member's value: its kind, its place in the text, and for an integer its value.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable and thread-safe.
   */
  public static final class Value {
    private final String text;
    private final int start;
    private final int end;
    private final Kind kind;
    private final long integer;

    Value(String text, int start, int end, Kind kind, long integer) {
      this.text = text;
      this.start = start;
      this.end = end;
      this.kind = kind;
      this.integer = integer;
    }

    /**
     * Returns the value's JSON type.
     *
     * @return the kind
     */
    public Kind kind() {
      return kind;
    }

    /**
     * Returns an integer's value.
     *
     * @return the value
     * @throws IllegalStateException if the value is not an {@link Kind#INTEGER}
     */
    public long asLong() {
      if (kind != Kind.INTEGER) {
        throw new IllegalStateException("not an integer: " + kind);
      }
      return integer;
    }

    /**
     * Decodes a string's value (its escapes resolved).
     *
     * @return the string
     * @throws IllegalStateException if the value is not a {@link Kind#STRING}
     */
    public String asString() {
      if (kind != Kind.STRING) {
        throw new IllegalStateException("not a string: " + kind);
      }
      return decodeString(text, start + 1, end - 1);
    }

    /**
     * Returns how many characters the value takes in the text (a string's quotes included).
     *
     * @return the length of the value's JSON text
     */
    public int rawLength() {
      return end - start;
    }

    /**
     * Returns the value's JSON text as it was written, at most {@code max} characters of it.
     *
     * @param max the most characters to return, at least 0
     * @return the start of the value's text
     */
    public String raw(int max) {
      return text.substring(start, start + Math.min(max, end - start));
    }

    @Override
    public String toString() {
      return kind + " " + raw(60);
    }
  }

  /**
   * Reads a JSON object and returns the top-level members named in {@code names}.
   *
   * @param text the JSON text
   * @param names the member names to return
   * @return one entry per name, in the same order: its value, or {@code null} where the member is absent
   * @throws NullPointerException if an argument is {@code null}
   * @throws MalformedJsonException if the text is not one JSON object within this reader's rules
   */
  public static Value[] read(String text, String... names) {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(names, "names");
    Parser p = new Parser(text, names);
    p.skipWhitespace();
    if (p.pos >= text.length() || text.charAt(p.pos) != '{') {
      throw new MalformedJsonException("expected a JSON object", p.pos);
    }
    p.object(1);
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw new MalformedJsonException("unexpected text after the object", p.pos);
    }
    return p.found;
  }

  /** One pass over a text; the state is a position, the named members found, and a scratch key buffer. */
  private static final class Parser {
    final String text;
    final String[] names;
    final Value[] found;
    final StringBuilder key = new StringBuilder();
    int pos;

    Parser(String text, String[] names) {
      this.text = text;
      this.names = names;
      this.found = new Value[names.length];
    }

    MalformedJsonException error(String what) {
      return new MalformedJsonException(what, pos);
    }

    void skipWhitespace() {
      while (pos < text.length()) {
        char c = text.charAt(pos);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        pos++;
      }
    }

    char peek(String expected) {
      if (pos >= text.length()) {
        throw error("unexpected end of text, expected " + expected);
      }
      return text.charAt(pos);
    }

    void expect(char c) {
      if (peek("'" + c + "'") != c) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    /**
     * At a '{' or '[' of the given depth: moves past it and tells whether the container is empty (then it
     * moves past its end too).
     */
    boolean enter(int depth, char end) {
      if (depth > MAX_DEPTH) {
        throw error("nested deeper than " + MAX_DEPTH);
      }
      pos++;
      skipWhitespace();
      if (peek("'" + end + "' or more") == end) {
        pos++;
        return true;
      }
      return false;
    }

    /** After an entry of a container: moves past ',' (returns true) or its end (returns false). */
    boolean next(char end) {
      skipWhitespace();
      char c = peek("',' or '" + end + "'");
      if (c != ',' && c != end) {
        throw error("expected ',' or '" + end + "'");
      }
      pos++;
      return c == ',';
    }

    /** At a '{': reads the object; keeps the named members when it is the outer one. */
    void object(int depth) {
      if (enter(depth, '}')) {
        return;
      }
      do {
        skipWhitespace();
        if (peek("a member name") != '"') {
          throw error("expected a member name");
        }
        int keyAt = pos;
        int keyEnd = string();
        int wanted = depth == 1 ? named(keyAt + 1, keyEnd - 1) : -1;
        skipWhitespace();
        expect(':');
        skipWhitespace();
        Value v = value(depth);
        if (wanted >= 0) {
          if (found[wanted] != null) {
            throw new MalformedJsonException("member \"" + names[wanted] + "\" appears twice", keyAt);
          }
          found[wanted] = v;
        }
      } while (next('}'));
    }

    /** The index of the name between from and to (a string's inside), or -1. */
    int named(int from, int to) {
      key.setLength(0);
      decodeInto(text, from, to, key);
      for (int i = 0; i < names.length; i++) {
        if (names[i].contentEquals(key)) {
          return i;
        }
      }
      return -1;
    }

    /** At a '[': reads the array. */
    void array(int depth) {
      if (enter(depth, ']')) {
        return;
      }
      do {
        skipWhitespace();
        value(depth);
      } while (next(']'));
    }

    /** Reads any value; its depth is that of its container. */
    Value value(int depth) {
      int start = pos;
      char c = peek("a value");
      Kind kind;
      long integer = 0;
      switch (c) {
        case '"':
          string();
          kind = Kind.STRING;
          break;
        case '{':
          object(depth + 1);
          kind = Kind.OBJECT;
          break;
        case '[':
          array(depth + 1);
          kind = Kind.ARRAY;
          break;
        case 't':
          literal("true");
          kind = Kind.BOOLEAN;
          break;
        case 'f':
          literal("false");
          kind = Kind.BOOLEAN;
          break;
        case 'n':
          literal("null");
          kind = Kind.NULL;
          break;
        default:
          if (c != '-' && (c < '0' || c > '9')) {
            throw error("unexpected character '" + printable(c) + "'");
          }
          kind = number();
          integer = kind == Kind.INTEGER ? lastInteger : 0;
          break;
      }
      return new Value(text, start, pos, kind, integer);
    }

    void literal(String word) {
      if (!text.startsWith(word, pos)) {
        throw error("unexpected character '" + printable(text.charAt(pos)) + "'");
      }
      pos += word.length();
    }

    /** The value of the integer {@link #number()} read last. */
    long lastInteger;

    /** Reads a number: an {@link Kind#INTEGER} (its value in {@link #lastInteger}) or a {@link Kind#NUMBER}. */
    Kind number() {
      int start = pos;
      boolean negative = text.charAt(pos) == '-';
      if (negative) {
        pos++;
      }
      char first = peek("a digit");
      if (first < '0' || first > '9') {
        throw error("expected a digit");
      }
      // Accumulate negatively, so that Long.MIN_VALUE fits.
      long limit = negative ? Long.MIN_VALUE : -Long.MAX_VALUE;
      long multiplyMin = limit / 10;
      long result = 0;
      boolean overflow = false;
      if (first == '0') {
        pos++;
      } else {
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
          int d = text.charAt(pos) - '0';
          if (result < multiplyMin || result * 10 < limit + d) {
            overflow = true;
          } else {
            result = result * 10 - d;
          }
          pos++;
        }
      }
      boolean fraction = pos < text.length() && text.charAt(pos) == '.';
      if (fraction) {
        pos++;
        digits();
      }
      boolean exponent = pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E');
      if (exponent) {
        pos++;
        if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
          pos++;
        }
        digits();
      }
      if (fraction || exponent) {
        return Kind.NUMBER;
      }
      if (overflow) {
        throw new MalformedJsonException("integer beyond the range of a long", start);
      }
      lastInteger = negative ? result : -result;
      return Kind.INTEGER;
    }

    void digits() {
      char c = peek("a digit");
      if (c < '0' || c > '9') {
        throw error("expected a digit");
      }
      while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
        pos++;
      }
    }

    /** At a '"': checks the string and moves past its closing quote, whose index + 1 it returns. */
    int string() {
      int start = pos;
      pos++;
      while (true) {
        if (pos >= text.length()) {
          throw new MalformedJsonException("unterminated string", start);
        }
        char c = text.charAt(pos++);
        if (c == '"') {
          return pos;
        }
        if (c < 0x20) {
          pos--;
          throw error("unescaped control character in a string");
        }
        if (c == '\\') {
          if (pos >= text.length()) {
            throw new MalformedJsonException("unterminated string", start);
          }
          char e = text.charAt(pos++);
          if (e == 'u') {
            for (int i = 0; i < 4; i++) {
              if (pos >= text.length() || hex(text.charAt(pos)) < 0) {
                throw error("incomplete \\u escape");
              }
              pos++;
            }
          } else if (ESCAPES.indexOf(e) < 0) {
            pos--;
            throw error("invalid escape '\\" + printable(e) + "'");
          }
        }
      }
    }
  }

  private static String printable(char c) {
    return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /** Decodes a checked string's inside (between its quotes). */
  private static String decodeString(String text, int from, int to) {
    if (text.indexOf('\\', from) < 0 || text.indexOf('\\', from) >= to) {
      return text.substring(from, to);
    }
    StringBuilder sb = new StringBuilder(to - from);
    decodeInto(text, from, to, sb);
    return sb.toString();
  }

  private static void decodeInto(String text, int from, int to, StringBuilder out) {
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char e = text.charAt(++i);
      if (e == 'u') {
        out.append((char) (hex(text.charAt(i + 1)) << 12 | hex(text.charAt(i + 2)) << 8
            | hex(text.charAt(i + 3)) << 4 | hex(text.charAt(i + 4))));
        i += 4;
      } else {
        out.append(ESCAPED.charAt(ESCAPES.indexOf(e)));
      }
    }
  }

  /**
   * Writes one flat JSON object, member by member, in the order of the calls.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   */
  public static final class Writer {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final StringBuilder out;
    private boolean first = true;
    private String done;

    /** Starts an empty object. */
    public Writer() {
      this(64);
    }

    /**
     * Starts an empty object.
     *
     * @param capacity the expected length of the text
     */
    public Writer(int capacity) {
      out = new StringBuilder(Math.max(16, capacity)).append('{');
    }

    private void name(String name) {
      checkOpen();
      if (!first) {
        out.append(',');
      }
      first = false;
      string(name);
      out.append(':');
    }

    /**
     * Adds a string member.
     *
     * @param name the member name
     * @param value the value
     * @return this writer
     * @throws NullPointerException if an argument is {@code null}
     */
    public Writer add(String name, String value) {
      Objects.requireNonNull(value, "value");
      name(name);
      string(value);
      return this;
    }

    /**
     * Adds a number member.
     *
     * @param name the member name
     * @param value the value
     * @return this writer
     * @throws NullPointerException if {@code name} is {@code null}
     */
    public Writer add(String name, long value) {
      name(name);
      out.append(value);
      return this;
    }

    /**
     * Adds every member of an object written by another {@link Writer}.
     *
     * @param object the other object's text, such as <code>{"a":1}</code>
     * @return this writer
     * @throws IllegalArgumentException if the text does not start with '{' and end with '}'
     */
    public Writer addAll(String object) {
      if (object.length() < 2 || object.charAt(0) != '{' || object.charAt(object.length() - 1) != '}') {
        throw new IllegalArgumentException("not a JSON object");
      }
      checkOpen();
      if (object.length() > 2) {
        if (!first) {
          out.append(',');
        }
        first = false;
        out.append(object, 1, object.length() - 1);
      }
      return this;
    }

    private void string(String s) {
      Objects.requireNonNull(s, "name");
      out.append('"');
      int done = 0;
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c >= 0x20 && c != '"' && c != '\\') {
          continue;
        }
        out.append(s, done, i);
        done = i + 1;
        out.append('\\');
        int shortEscape = ESCAPED.indexOf(c); // '/' never gets here: it is written as is
        if (shortEscape >= 0) {
          out.append(ESCAPES.charAt(shortEscape));
        } else {
          out.append("u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
        }
      }
      out.append(s, done, s.length()).append('"');
    }

    private void checkOpen() {
      if (done != null) {
        throw new IllegalStateException("the object was already written out");
      }
    }

    /**
     * Closes the object and returns its text; no member can be added afterwards.
     *
     * @return the JSON text
     */
    @Override
    public String toString() {
      if (done == null) {
        done = out.append('}').toString();
      }
      return done;
    }
  }
}
