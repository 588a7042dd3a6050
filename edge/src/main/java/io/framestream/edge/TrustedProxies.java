package io.framestream.edge;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The reverse proxies whose forwarding headers a server believes, and the rule that finds a client's address
 * behind them.
 *
 * <p>Behind a reverse proxy every connection comes from the proxy's address. A proxy says whom it forwards for
 * in {@code Forwarded} (RFC 7239, its {@code for=} parameters) or {@code X-Forwarded-For}; a client can write
 * those headers too, so they are believed only when the TCP peer is a trusted proxy. The client's address is
 * then the rightmost address of the chain that is not itself a trusted proxy: each trusted proxy appends the
 * address it saw, so everything left of the first untrusted entry (reading from the right) was written by
 * someone nobody vouches for.
 *
 * <ul>
 *   <li>Exactly one header is read, the one the proxies write: {@code X-Forwarded-For} by default (nginx's
 *       {@code $proxy_add_x_forwarded_for}, HAProxy's {@code option forwardfor}), or {@code Forwarded} with
 *       {@link #readingHeader(Header)}. The other one is ignored, because a proxy passes a header it does not
 *       write through untouched, and a client could write anything into it. Several lines of the header
 *       form one list, in order.
 *   <li>Entries are read from the right, and only as far as the deciding one: whatever a client wrote to
 *       the left of it (garbage included) changes nothing.
 *   <li>When every address of the chain is a trusted proxy, the leftmost one is the client.
 *   <li>A deciding entry that is not an address ({@code unknown}, an obfuscated identifier such as {@code
 *       _hidden}, garbage), or a {@code Forwarded} header that cannot be parsed, gives the peer's own
 *       address: the proxy is charged.
 *   <li>Addresses and ranges are IP literals only (IPv4, IPv6, and CIDR ranges of either); nothing is ever
 *       looked up in DNS. Ports ({@code 192.0.2.1:4711}, {@code "[2001:db8::1]:4711"}) are dropped.
 * </ul>
 *
 * <p>Addresses are returned in the JDK's textual form ({@link InetAddress#getHostAddress()}), so that one
 * client is one key however a proxy spelled it.
 *
 * <pre>{@code
 * TrustedProxies proxies = TrustedProxies.of("127.0.0.1", "10.0.0.0/8", "fd00::/8");
 * String client = proxies.clientAddress(peer, forwardedValues, xForwardedForValues); // reads X-Forwarded-For
 * TrustedProxies rfc7239 = proxies.readingHeader(TrustedProxies.Header.FORWARDED);
 * }</pre>
 *
 * <h2>Thread safety</h2>
 *
 * Immutable; thread-safe.
 *
 * @since 0.2.0
 */
public final class TrustedProxies {

  /**
   * Name of the request attribute under which the embedded server leaves the client's address it resolved
   * (a {@code String}) for the handlers behind it. A request attribute cannot be set by a client.
   */
  public static final String CLIENT_ADDRESS_ATTRIBUTE = "io.framestream.clientAddress";

  /**
   * The forwarding header a server reads.
   *
   * <h2>Thread safety</h2>
   *
   * An enum: immutable.
   *
   * @since 0.2.0
   */
  public enum Header {
    /** {@code X-Forwarded-For: client, proxy1, proxy2} (the default). */
    X_FORWARDED_FOR,
    /** {@code Forwarded: for=client, for=proxy1} (RFC 7239). */
    FORWARDED
  }

  private static final TrustedProxies NONE = new TrustedProxies(List.of(), List.of(), Header.X_FORWARDED_FOR);

  private final List<Range> ranges;
  private final List<String> specs;
  private final Header header;

  private TrustedProxies(List<Range> ranges, List<String> specs, Header header) {
    this.ranges = ranges;
    this.specs = specs;
    this.header = header;
  }

  /**
   * Returns the empty set: forwarding headers are never believed.
   *
   * @return the empty set
   */
  public static TrustedProxies none() {
    return NONE;
  }

  /**
   * Parses addresses and CIDR ranges, such as {@code "127.0.0.1"}, {@code "10.0.0.0/8"}, {@code "::1"} or
   * {@code "fd00::/8"}.
   *
   * @param addressesOrCidrs IP literals or CIDR ranges
   * @return the set
   * @throws NullPointerException if an entry is {@code null}
   * @throws IllegalArgumentException if an entry is not an IP literal or a valid CIDR range
   */
  public static TrustedProxies of(String... addressesOrCidrs) {
    return of(List.of(addressesOrCidrs));
  }

  /**
   * Parses addresses and CIDR ranges; see {@link #of(String...)}.
   *
   * @param addressesOrCidrs IP literals or CIDR ranges
   * @return the set
   * @throws NullPointerException if an entry is {@code null}
   * @throws IllegalArgumentException if an entry is not an IP literal or a valid CIDR range
   */
  public static TrustedProxies of(Collection<String> addressesOrCidrs) {
    List<Range> ranges = new ArrayList<>();
    List<String> specs = new ArrayList<>();
    for (String spec : addressesOrCidrs) {
      String s = Objects.requireNonNull(spec, "trusted proxy").trim();
      ranges.add(Range.parse(s));
      specs.add(s);
    }
    return ranges.isEmpty() ? NONE : new TrustedProxies(List.copyOf(ranges), List.copyOf(specs), Header.X_FORWARDED_FOR);
  }

  /**
   * Returns the same proxies reading another forwarding header (default {@link Header#X_FORWARDED_FOR}).
   * Choose the header your proxies overwrite or append to; the other one is ignored.
   *
   * @param forwardingHeader the header to read
   * @return a set reading that header
   * @throws NullPointerException if {@code forwardingHeader} is {@code null}
   */
  public TrustedProxies readingHeader(Header forwardingHeader) {
    Objects.requireNonNull(forwardingHeader, "header");
    return forwardingHeader == header || ranges.isEmpty() ? this : new TrustedProxies(ranges, specs, forwardingHeader);
  }

  /**
   * Returns the forwarding header read.
   *
   * @return the header
   */
  public Header header() {
    return header;
  }

  /**
   * Tells whether no proxy is trusted.
   *
   * @return true when empty
   */
  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  /**
   * Tells whether an address is a trusted proxy.
   *
   * @param address an IP literal; anything else (a host name, garbage, {@code null}) is not trusted
   * @return true when the address is in one of the ranges
   */
  public boolean contains(String address) {
    byte[] a = address == null ? null : parseAddress(address.trim());
    return a != null && contains(a);
  }

  private boolean contains(byte[] address) {
    for (Range r : ranges) {
      if (r.matches(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Finds the client's address of a request.
   *
   * @param peer the TCP peer's address
   * @param forwarded the values of the {@code Forwarded} header lines, in order (empty when absent); read
   *     only when this set reads {@link Header#FORWARDED}
   * @param xForwardedFor the values of the {@code X-Forwarded-For} header lines, in order (empty when absent);
   *     read only when this set reads {@link Header#X_FORWARDED_FOR}
   * @return the client's address; {@code peer} itself when the peer is not a trusted proxy, when the header
   *     read is absent or (for {@code Forwarded}) malformed, or when the deciding entry is not an address
   * @throws NullPointerException if an argument is {@code null}
   */
  public String clientAddress(String peer, List<String> forwarded, List<String> xForwardedFor) {
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(forwarded, "forwarded");
    Objects.requireNonNull(xForwardedFor, "xForwardedFor");
    if (ranges.isEmpty() || !contains(peer)) {
      return peer;
    }
    Optional<List<String>> chain = header == Header.FORWARDED ? forwardedFor(forwarded) : xForwardedFor(xForwardedFor);
    if (chain.isEmpty() || chain.get().isEmpty()) {
      return peer;
    }
    List<String> nodes = chain.get();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      byte[] address = parseAddress(stripPort(nodes.get(i)));
      if (address == null) {
        return peer; // unknown, obfuscated or garbage: nobody can say who the client is
      }
      if (i == 0 || !contains(address)) {
        return format(address);
      }
    }
    return peer;
  }

  /**
   * Parses {@code Forwarded} header values (RFC 7239) into their {@code for=} nodes, leftmost first.
   *
   * @param values the header lines
   * @return the nodes, unquoted, ports and brackets left on; empty when a value is malformed
   */
  static Optional<List<String>> forwardedFor(List<String> values) {
    List<String> nodes = new ArrayList<>();
    for (String value : values) {
      if (!new ForwardedParser(value, nodes).parse()) {
        return Optional.empty();
      }
    }
    return Optional.of(nodes);
  }

  /**
   * Splits {@code X-Forwarded-For} header values into their entries, leftmost first. Entries are not
   * checked here: only the ones read from the right up to the deciding one matter, and an entry that is not
   * an address there (an empty one included) gives the peer.
   *
   * @param values the header lines
   * @return the entries, trimmed
   */
  static Optional<List<String>> xForwardedFor(List<String> values) {
    List<String> nodes = new ArrayList<>();
    for (String value : values) {
      for (String part : value.split(",", -1)) {
        nodes.add(part.trim());
      }
    }
    return Optional.of(nodes);
  }

  /** {@code 192.0.2.1:80} to {@code 192.0.2.1}, {@code [2001:db8::1]:80} to {@code 2001:db8::1}. */
  private static String stripPort(String node) {
    if (node.startsWith("[")) {
      int end = node.indexOf(']');
      if (end < 0 || (end + 1 < node.length() && node.charAt(end + 1) != ':')) {
        return "";
      }
      return node.substring(1, end);
    }
    int colon = node.indexOf(':');
    if (colon >= 0 && colon == node.lastIndexOf(':')) {
      return node.substring(0, colon); // one colon: IPv4 with a port; two or more: bare IPv6
    }
    return node;
  }

  /** The bytes of an IPv4 or IPv6 literal, or null; never a DNS lookup. */
  static byte[] parseAddress(String s) {
    if (s.isEmpty() || s.length() > 45) {
      return null;
    }
    if (s.indexOf(':') >= 0) {
      if (s.charAt(0) != ':' && Character.digit(s.charAt(0), 16) < 0) {
        return null; // the JDK parses a literal only when it starts like one
      }
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
          return null; // no zone ids, no brackets, nothing a resolver would look at
        }
      }
      try {
        // A string with a colon is only ever parsed as an IPv6 literal (an invalid one throws), not resolved.
        return InetAddress.getByName(s).getAddress();
      } catch (UnknownHostException | RuntimeException e) {
        return null;
      }
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] a = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
        return null;
      }
      int v = 0;
      for (int j = 0; j < p.length(); j++) {
        char c = p.charAt(j);
        if (c < '0' || c > '9') {
          return null;
        }
        v = v * 10 + (c - '0');
      }
      if (v > 255) {
        return null;
      }
      a[i] = (byte) v;
    }
    return a;
  }

  private static String format(byte[] address) {
    try {
      return InetAddress.getByAddress(address).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // only for a wrong length, which parseAddress never returns
    }
  }

  /** Lists the configured entries. */
  @Override
  public String toString() {
    return "TrustedProxies" + specs + (header == Header.FORWARDED ? " reading Forwarded" : "");
  }

  /** One address or CIDR range. */
  private static final class Range {
    private final byte[] network;
    private final int prefix;

    private Range(byte[] network, int prefix) {
      this.network = network;
      this.prefix = prefix;
    }

    static Range parse(String spec) {
      int slash = spec.indexOf('/');
      String host = slash < 0 ? spec : spec.substring(0, slash);
      byte[] address = parseAddress(host);
      if (address == null) {
        throw new IllegalArgumentException("not an IP address or CIDR range: \"" + spec + "\"");
      }
      int bits = address.length * 8;
      int prefix = bits;
      if (slash >= 0) {
        String p = spec.substring(slash + 1);
        if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
          throw new IllegalArgumentException("bad prefix length in \"" + spec + "\"");
        }
        prefix = Integer.parseInt(p);
        if (prefix > bits) {
          throw new IllegalArgumentException("prefix length above " + bits + " in \"" + spec + "\"");
        }
      }
      return new Range(address, prefix);
    }

    boolean matches(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (address[full] & mask) == (network[full] & mask);
    }
  }

  /**
   * Reads one {@code Forwarded} value: elements separated by commas, pairs by semicolons, each value a token
   * or a quoted string (RFC 7230). Collects the {@code for} values.
   */
  private static final class ForwardedParser {
    private final String s;
    private final List<String> nodes;
    private int i;

    ForwardedParser(String s, List<String> nodes) {
      this.s = s;
      this.nodes = nodes;
    }

    boolean parse() {
      while (true) {
        skipSpaces();
        if (i >= s.length()) {
          return true;
        }
        if (!pair()) {
          return false;
        }
        skipSpaces();
        if (i >= s.length()) {
          return true;
        }
        char c = s.charAt(i++);
        if (c != ';' && c != ',') {
          return false;
        }
      }
    }

    private boolean pair() {
      String name = token();
      if (name.isEmpty() || i >= s.length() || s.charAt(i) != '=') {
        return false;
      }
      i++;
      String value;
      if (i < s.length() && s.charAt(i) == '"') {
        value = quoted();
        if (value == null) {
          return false;
        }
      } else {
        value = token();
        if (value.isEmpty()) {
          return false;
        }
      }
      if (name.equalsIgnoreCase("for")) {
        nodes.add(value);
      }
      return true;
    }

    private String token() {
      int start = i;
      while (i < s.length() && isTokenChar(s.charAt(i))) {
        i++;
      }
      return s.substring(start, i);
    }

    private String quoted() {
      StringBuilder b = new StringBuilder();
      i++; // opening quote
      while (i < s.length()) {
        char c = s.charAt(i++);
        if (c == '"') {
          return b.toString();
        }
        if (c == '\\') {
          if (i >= s.length()) {
            return null;
          }
          c = s.charAt(i++);
        }
        b.append(c);
      }
      return null; // unterminated
    }

    private void skipSpaces() {
      while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
        i++;
      }
    }

    private static boolean isTokenChar(char c) {
      return c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
    }
  }
}
