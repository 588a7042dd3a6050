package io.framestream.examples;

import io.framestream.core.ChannelNames;
import io.framestream.edge.TrustedProxies;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The example server's settings, from the command line and the environment (see {@link Setting}).
 *
 * @param host the bind address
 * @param port the port, 0 for a free one
 * @param help whether {@code --help} was asked
 * @param publishToken the publishers' token, or null
 * @param ticketKey the viewer-ticket key, or null
 * @param allowedOrigins origins allowed to open WebSockets; empty allows any
 * @param nats NATS URLs, comma-separated, or null
 * @param nodeId the cluster node id, or null for a random one
 * @param limits the limits
 * @param trustedProxies reverse proxies in front of the server
 * @param sources the channels fed by sources given on the command line
 * @param demo whether the demo channels are attached
 */
record Options(String host, int port, boolean help, String publishToken, String ticketKey,
    List<String> allowedOrigins, String nats, String nodeId, Limits limits, List<String> trustedProxies,
    List<SourceSpec> sources, boolean demo) {

  /** The defaults with a host and port. */
  static Options of(String host, int port, String publishToken) {
    return new Options(host, port, false, publishToken, null, List.of(), null, null, Limits.DEFAULTS, List.of(),
        List.of(), true);
  }

  /** The limits set on the command line, or their defaults. */
  record Limits(int maxConnectionsPerAddress, int maxViewers, int maxFrameBytes, int maxChannels) {
    static final Limits DEFAULTS = new Limits(Integer.parseInt(Setting.MAX_CONNECTIONS.defaultText),
        Integer.parseInt(Setting.MAX_VIEWERS.defaultText), ExampleServer.DEFAULT_MAX_FRAME_BYTES,
        Integer.parseInt(Setting.MAX_CHANNELS.defaultText));
  }

  /** What feeds a channel given with {@code --mjpeg}, {@code --mjpeg-command}, {@code --fmp4} or {@code --fmp4-command}. */
  enum SourceKind { MJPEG_URL, MJPEG_COMMAND, FMP4_FILE, FMP4_COMMAND }

  /**
   * A channel and its source.
   *
   * @param kind what the target is
   * @param channel the channel name
   * @param target the URL, command or file
   */
  record SourceSpec(SourceKind kind, String channel, String target) {}

  /**
   * Reads the command line only (tests).
   *
   * @param args the command line
   * @return the options
   * @throws IllegalArgumentException with a message for the user
   */
  static Options parse(String... args) {
    return read(args, Map.of());
  }

  /**
   * Reads the environment, then the command line over it.
   *
   * @param args the command line
   * @param env the environment
   * @return the options
   * @throws IllegalArgumentException with a message for the user, naming the flag or variable
   */
  static Options read(String[] args, Map<String, String> env) {
    Map<Setting, List<String>> given = Setting.read(args, env);
    Values v = new Values(given, env, args);
    String host = v.one(Setting.HOST, Setting.HOST.defaultText);
    if (host.isBlank()) {
      throw v.error(Setting.HOST, "needs an address, such as 0.0.0.0");
    }
    int port = v.number(Setting.PORT, 0, 65_535);
    String publishToken = v.one(Setting.PUBLISH_TOKEN, null);
    if (publishToken != null && publishToken.length() < 16) {
      throw v.error(Setting.PUBLISH_TOKEN, "needs at least 16 characters");
    }
    String ticketKey = v.one(Setting.TICKET_KEY, null);
    if (ticketKey != null && ticketKey.length() < 32) {
      throw v.error(Setting.TICKET_KEY, "needs at least 32 characters");
    }
    String nats = v.one(Setting.NATS, null);
    if (nats != null) {
      for (String url : nats.split(",")) {
        if (!url.trim().startsWith("nats://") && !url.trim().startsWith("tls://")) {
          throw v.error(Setting.NATS, "needs URLs such as nats://127.0.0.1:4222, got '" + nats + "'");
        }
      }
    }
    String nodeId = v.one(Setting.NODE_ID, null);
    if (nodeId != null && !nodeId.matches("[A-Za-z0-9_-]{1,32}")) {
      throw v.error(Setting.NODE_ID, "needs 1 to 32 of A-Z a-z 0-9 _ -");
    }
    Limits limits = new Limits(v.number(Setting.MAX_CONNECTIONS, 1, Integer.MAX_VALUE),
        v.number(Setting.MAX_VIEWERS, 1, Integer.MAX_VALUE),
        given.containsKey(Setting.MAX_FRAME_BYTES) ? v.number(Setting.MAX_FRAME_BYTES, 1, ExampleServer.MAX_FRAME_BYTES)
            : ExampleServer.DEFAULT_MAX_FRAME_BYTES,
        v.number(Setting.MAX_CHANNELS, 1, Integer.MAX_VALUE));
    List<String> proxies = new ArrayList<>();
    for (String text : v.all(Setting.TRUSTED_PROXY)) {
      for (String part : text.split(",")) {
        if (!part.isBlank()) {
          proxies.add(part.trim());
        }
      }
    }
    if (v.given(Setting.TRUSTED_PROXY)) {
      try {
        if (TrustedProxies.of(proxies).isEmpty()) {
          throw new IllegalArgumentException("no address given");
        }
      } catch (IllegalArgumentException e) {
        throw v.error(Setting.TRUSTED_PROXY, "needs IP addresses or CIDR ranges such as 10.0.0.0/8: " + e.getMessage());
      }
    }
    boolean demo = v.bool(Setting.DEMO);
    List<SourceSpec> sources = new ArrayList<>();
    Set<String> names = new HashSet<>(demo ? List.of(ExampleServer.DEMO_CHANNEL, ExampleServer.LIFE_CHANNEL,
        ExampleServer.VIDEO_CHANNEL) : List.of());
    sources(v, Setting.MJPEG, SourceKind.MJPEG_URL, names, sources);
    sources(v, Setting.MJPEG_COMMAND, SourceKind.MJPEG_COMMAND, names, sources);
    sources(v, Setting.FMP4, SourceKind.FMP4_FILE, names, sources);
    sources(v, Setting.FMP4_COMMAND, SourceKind.FMP4_COMMAND, names, sources);
    return new Options(host, port, v.given(Setting.HELP), publishToken, ticketKey, List.copyOf(v.all(Setting.ALLOW_ORIGIN)),
        nats, nodeId, limits, List.copyOf(proxies), List.copyOf(sources), demo);
  }

  private static void sources(Values v, Setting setting, SourceKind kind, Set<String> names, List<SourceSpec> out) {
    for (String entry : v.all(setting)) {
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1) {
        throw v.error(setting, "needs NAME=" + setting.metavar.substring(setting.metavar.indexOf('=') + 1)
            + ", such as cam1=" + example(kind) + ", got '" + entry + "'");
      }
      String name = entry.substring(0, eq).trim();
      String target = entry.substring(eq + 1).trim();
      if (!ChannelNames.isValid(name)) {
        throw v.error(setting, "has an invalid channel name '" + name + "' (letters, digits, '-', '_', '.')");
      }
      if (!names.add(name)) {
        throw v.error(setting, "gives channel '" + name + "' a second source; each channel has one"
            + (name.equals(ExampleServer.DEMO_CHANNEL) || name.equals(ExampleServer.LIFE_CHANNEL)
                || name.equals(ExampleServer.VIDEO_CHANNEL) ? " (the demo channels are taken: --demo false frees them)" : ""));
      }
      if (kind == SourceKind.MJPEG_URL) {
        URI uri;
        try {
          uri = URI.create(target);
        } catch (IllegalArgumentException e) {
          throw v.error(setting, "needs an http:// or https:// URL, got '" + target + "'");
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
          throw v.error(setting, "needs an http:// or https:// URL (for rtsp:// use --mjpeg-command with ffmpeg),"
              + " got '" + target + "'");
        }
      }
      out.add(new SourceSpec(kind, name, target));
    }
  }

  private static String example(SourceKind kind) {
    return switch (kind) {
      case MJPEG_URL -> "http://camera/video.mjpg";
      case MJPEG_COMMAND, FMP4_COMMAND -> "'ffmpeg ...'";
      case FMP4_FILE -> "/srv/video.mp4";
    };
  }

  /** The raw values, and how to name where a bad one came from. */
  private record Values(Map<Setting, List<String>> given, Map<String, String> env, String[] args) {

    boolean given(Setting s) {
      return given.containsKey(s);
    }

    List<String> all(Setting s) {
      return given.getOrDefault(s, List.of());
    }

    String one(Setting s, String otherwise) {
      List<String> values = all(s);
      return values.isEmpty() ? otherwise : values.get(values.size() - 1);
    }

    int number(Setting s, int min, int max) {
      String text = one(s, s.defaultText);
      try {
        long n = Long.parseLong(text.trim());
        if (n >= min && n <= max) {
          return (int) n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw error(s, "needs a number from " + min + " to " + max + ", got '" + text + "'");
    }

    boolean bool(Setting s) {
      String text = one(s, s.defaultText).trim().toLowerCase(java.util.Locale.ROOT);
      return switch (text) {
        case "true", "yes", "1", "on" -> true;
        case "false", "no", "0", "off" -> false;
        default -> throw error(s, "needs true or false, got '" + text + "'");
      };
    }

    /** An error naming the flag, or the variable when the value came from the environment. */
    IllegalArgumentException error(Setting s, String problem) {
      boolean onCommandLine = false;
      for (String arg : args) {
        if (arg.equals(s.flag) || arg.startsWith(s.flag + "=")) {
          onCommandLine = true;
        }
      }
      String who = onCommandLine || s.variable == null || env.get(s.variable) == null ? s.flag : s.variable;
      return new IllegalArgumentException(who + " " + problem);
    }
  }
}
