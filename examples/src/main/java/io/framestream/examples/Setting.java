package io.framestream.examples;

import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.server.FrameStreamServer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Every setting of the example server: its command-line flag, its environment variable, its default and
 * its help text. {@link #read(String[], Map)} merges the command line over the environment (a flag beats
 * its variable); {@link #usage()} prints the table. One list, so that a flag cannot lack its variable or
 * its line in {@code --help}.
 */
enum Setting {
  PORT("--port", "N", "FRAMESTREAM_PORT", String.valueOf(FrameStreamServer.DEFAULT_PORT), false,
      "port to listen on; 0 picks a free one (the banner prints it)"),
  HOST("--host", "ADDRESS", "FRAMESTREAM_HOST", FrameStreamServer.DEFAULT_HOST, false,
      "address to bind; 127.0.0.1 is this machine only, 0.0.0.0 accepts other machines"),
  PUBLISH_TOKEN("--publish-token", "TOKEN", "FRAMESTREAM_PUBLISH_TOKEN", "none: anyone may publish", false,
      "publishers must send this token (record.html?channel=NAME&token=TOKEN, or",
      "Authorization: Bearer TOKEN); at least 16 characters"),
  TICKET_KEY("--ticket-key", "SECRET", "FRAMESTREAM_TICKET_KEY", "none: anyone may view", false,
      "viewers need a ticket signed with this key (?ticket=...); at least 32 characters;",
      "the banner prints one for the demo channel, your application issues the others",
      "with ViewerTickets.withKey(SECRET).issue(channel, ttl)"),
  ALLOW_ORIGIN("--allow-origin", "URL", "FRAMESTREAM_ALLOW_ORIGINS", "any origin", true,
      "only browser pages from this origin may open WebSockets and publish, such as",
      "https://cams.example.com (repeatable; the variable takes a comma-separated list)"),
  TRUSTED_PROXY("--trusted-proxy", "ADDRESS|CIDR", "FRAMESTREAM_TRUSTED_PROXIES", "none", true,
      "a reverse proxy in front of the server, such as 127.0.0.1 or 10.0.0.0/8 (repeatable;",
      "comma-separated): its X-Forwarded-For names the client, whom the limits count"),
  MAX_CONNECTIONS("--max-connections-per-address", "N", "FRAMESTREAM_MAX_CONNECTIONS_PER_ADDRESS",
      String.valueOf(FrameStreamServer.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS), false,
      "connections one client address may hold open (WebSockets, SSE streams, page loads);",
      "one more is answered with 429"),
  MAX_VIEWERS("--max-viewers", "N", "FRAMESTREAM_MAX_VIEWERS", String.valueOf(ChannelConfig.DEFAULT_MAX_SUBSCRIBERS),
      false, "viewers one channel may have at once, over both transports"),
  MAX_FRAME_BYTES("--max-frame-bytes", "N", "FRAMESTREAM_MAX_FRAME_BYTES",
      ExampleServer.DEFAULT_MAX_FRAME_BYTES + " (8 MiB)", false,
      "largest frame a publisher may send, in bytes, at most " + ExampleServer.MAX_FRAME_BYTES + ";",
      "a larger one is refused from its header"),
  MAX_CHANNELS("--max-channels", "N", "FRAMESTREAM_MAX_CHANNELS",
      String.valueOf(ChannelRegistry.DEFAULT_MAX_CHANNELS), false,
      "channels the server may hold at once; publishing into one more is refused"),
  NATS("--nats", "URL[,URL]", "FRAMESTREAM_NATS", "none: a single node", false,
      "join a cluster: share channels with other nodes through NATS, such as",
      "nats://127.0.0.1:4222 (the NATS server needs JetStream: nats-server -js)"),
  NODE_ID("--node-id", "ID", "FRAMESTREAM_NODE_ID", "random", false,
      "this node's name in the cluster: 1 to 32 of A-Z a-z 0-9 _ -"),
  MJPEG("--mjpeg", "NAME=URL", "FRAMESTREAM_MJPEG", "none", true,
      "channel NAME shows an MJPEG stream (an IP camera's multipart/x-mixed-replace URL),",
      "read while someone watches (repeatable; the variable takes NAME=URL;NAME=URL)"),
  MJPEG_COMMAND("--mjpeg-command", "NAME=COMMAND", "FRAMESTREAM_MJPEG_COMMAND", "none", true,
      "channel NAME shows the MJPEG a command writes to its standard output, run through",
      "sh -c while someone watches, such as",
      "cam1='ffmpeg -nostdin -i rtsp://camera/stream -f mjpeg -q:v 5 pipe:1' (repeatable; ';'-separated)"),
  FMP4("--fmp4", "NAME=FILE", "FRAMESTREAM_FMP4", "none", true,
      "channel NAME plays a fragmented MP4 file at real-time pace, in a loop (repeatable;",
      "';'-separated)"),
  FMP4_COMMAND("--fmp4-command", "NAME=COMMAND", "FRAMESTREAM_FMP4_COMMAND", "none", true,
      "channel NAME shows the fragmented MP4 a command writes to its standard output, such as",
      "live='ffmpeg -nostdin -re -i in.mp4 -c:v libx264 -f mp4 -movflags",
      "frag_keyframe+empty_moov+default_base_moof pipe:1' (repeatable; ';'-separated)"),
  DEMO("--demo", "true|false", "FRAMESTREAM_DEMO", "true", false,
      "attach the demo channels (demo, life, video-demo); false for production"),
  HELP("--help", null, null, null, false, "show this text and exit");

  /**
   * The heap to recommend, with what it is good for; one place, so that the figure can be corrected once
   * (its first word, the {@code -Xmx} flag, also goes into the usage line).
   */
  static final String RECOMMENDED_HEAP = "-Xms128m -Xmx128m -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=0.1 up to 1,000 viewers"
      + " (+80 MiB per further 1,000 viewers, +64 MiB per video channel)";

  final String flag;
  final String metavar; // null: a switch without a value
  final String variable; // null: command line only
  final String defaultText;
  final boolean repeatable;
  final List<String> help;

  Setting(String flag, String metavar, String variable, String defaultText, boolean repeatable, String... help) {
    this.flag = flag;
    this.metavar = metavar;
    this.variable = variable;
    this.defaultText = defaultText;
    this.repeatable = repeatable;
    this.help = List.of(help);
  }

  /** The separator of several values in this setting's variable. */
  String separator() {
    return switch (this) {
      case MJPEG, MJPEG_COMMAND, FMP4, FMP4_COMMAND -> ";";
      default -> ",";
    };
  }

  static Setting byFlag(String flag) {
    if (flag.equals("-h")) {
      return HELP;
    }
    for (Setting s : values()) {
      if (s.flag.equals(flag)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown option '" + flag + "'; --help lists them");
  }

  /**
   * Reads the settings: each variable that is set and not blank, then the command line, whose flags replace
   * what their variable gave.
   *
   * @param args the command line
   * @param env the environment, such as {@link System#getenv()}
   * @return the raw values of each setting given, in order
   */
  static Map<Setting, List<String>> read(String[] args, Map<String, String> env) {
    Map<Setting, List<String>> fromEnv = new EnumMap<>(Setting.class);
    for (Setting s : values()) {
      String value = s.variable == null ? null : env.get(s.variable);
      if (value == null || value.isBlank()) {
        continue;
      }
      List<String> values = new ArrayList<>();
      if (s.repeatable) {
        for (String part : value.split(s.separator())) {
          if (!part.isBlank()) {
            values.add(part.trim());
          }
        }
      } else {
        values.add(value.trim());
      }
      fromEnv.put(s, values);
    }
    Map<Setting, List<String>> fromArgs = new EnumMap<>(Setting.class);
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      Setting s = byFlag(name);
      if (s.metavar == null) {
        value = "true";
      } else if (value == null) {
        if (++i >= args.length) {
          throw new IllegalArgumentException(s.flag + " needs a value");
        }
        value = args[i];
      }
      List<String> values = fromArgs.computeIfAbsent(s, k -> new ArrayList<>());
      if (!s.repeatable) {
        values.clear();
      }
      values.add(value);
    }
    Map<Setting, List<String>> merged = new EnumMap<>(fromEnv);
    merged.putAll(fromArgs);
    return merged;
  }

  /**
   * The text of {@code --help}: every flag with its variable and default, and the recommended heap.
   *
   * @return the text
   */
  static String usage() {
    String nl = System.lineSeparator();
    StringBuilder b = new StringBuilder();
    String xmx = RECOMMENDED_HEAP.substring(0, RECOMMENDED_HEAP.indexOf(" up to"));
    b.append("Usage: java ").append(xmx).append(" -jar framestream-server.jar [options]").append(nl)
        .append("       (from a clone: mvn -q compile -Prun -Dexec.args=\"[options]\")").append(nl).append(nl)
        .append("Every option can also be set by its environment variable; an option on the command line")
        .append(nl).append("beats the variable.").append(nl).append(nl);
    for (Setting s : values()) {
      b.append("  ").append(s.flag);
      if (s.metavar != null) {
        b.append(' ').append(s.metavar);
      }
      if (s.variable != null) {
        b.append("   (env ").append(s.variable).append(')');
      }
      b.append(nl);
      for (String line : s.help) {
        b.append("      ").append(line).append(nl);
      }
      if (s.defaultText != null) {
        b.append("      default: ").append(s.defaultText).append(nl);
      }
    }
    b.append(nl).append("Memory and JIT: run with ").append(RECOMMENDED_HEAP).append(nl)
        .append("(measured: docs/performance.md; each viewer holds at most a few frames; docs/operations.md).")
        .append(nl)
        .append("Before opening the server to a network (--host 0.0.0.0) set --publish-token, and")
        .append(nl).append("--ticket-key or --allow-origin; see docs/operations.md for running behind nginx.");
    return b.toString();
  }
}
