package io.framestream.core;

import java.util.Objects;

/**
 * The rule for channel names: 1 to 64 characters, each an ASCII letter, digit, {@code .}, {@code _} or
 * {@code -}. Names are case-sensitive. The rule keeps names safe in URL paths, NATS subjects, file names
 * and logs without escaping.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 *
 * @since 0.1.0
 */
public final class ChannelNames {

  /** The longest valid name. */
  public static final int MAX_LENGTH = 64;

  private ChannelNames() {}

  /**
   * Tells whether a string is a valid channel name.
   *
   * @param name the candidate, may be {@code null} (then invalid)
   * @return {@code true} if valid
   */
  public static boolean isValid(String name) {
    return name != null && problem(name) == null;
  }

  /**
   * Returns the name if it is valid.
   *
   * @param name the candidate
   * @return {@code name}
   * @throws NullPointerException if {@code name} is {@code null}
   * @throws IllegalArgumentException if it is invalid; the message says why, quoting at most the first 64
   *     characters with non-printable ones escaped
   */
  public static String requireValid(String name) {
    Objects.requireNonNull(name, "channel name");
    String problem = problem(name);
    if (problem != null) {
      throw new IllegalArgumentException("invalid channel name " + quote(name) + ": " + problem);
    }
    return name;
  }

  private static String problem(String name) {
    if (name.isEmpty()) {
      return "must not be empty";
    }
    if (name.length() > MAX_LENGTH) {
      return "longer than " + MAX_LENGTH + " characters (" + name.length() + ")";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == '-';
      if (!ok) {
        return "character " + (i + 1) + " is not one of A-Z a-z 0-9 . _ -";
      }
    }
    return null;
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("'");
    int n = Math.min(s.length(), MAX_LENGTH);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7f) {
        sb.append(c);
      } else {
        sb.append(String.format("\\u%04x", (int) c));
      }
    }
    if (s.length() > n) {
      sb.append("...");
    }
    return sb.append('\'').toString();
  }
}
