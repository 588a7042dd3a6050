package io.framestream.spring;

import io.framestream.micrometer.FrameStreamMetrics;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code framestream.*} properties that {@link FrameStreamAutoConfiguration} builds the registry, the
 * access gate and the endpoints from. In {@code application.properties}:
 *
 * <pre>
 * framestream.create-on-demand=false          # only declared channels exist (unknown ones are 404)
 * framestream.channels=cam1,cam2              # declared at start-up
 * framestream.max-frame-bytes=2MB             # largest frame a publisher may send (default 8MB)
 * framestream.max-viewers=200                 # per channel (default: the core's ChannelConfig default)
 * framestream.allowed-origins=https://cams.example.com
 * framestream.trusted-proxies=10.0.0.0/8      # whose Forwarded / X-Forwarded-For is believed
 * framestream.publish-token=${PUBLISH_TOKEN}  # publishers send "Authorization: Bearer &lt;token&gt;"
 * framestream.websocket.path=/ws              # /ws/live/{channel} and /ws/publish/{channel}
 * framestream.sse.path=/sse                   # /sse/{channel}
 * framestream.api.path=/api/channels          # JSON statistics, as the pages poll them
 * framestream.metrics.max-tagged-channels=256 # with Micrometer: channel tags, the rest under _other
 * </pre>
 *
 * <p>Who may publish: an {@link io.framestream.edge.Authorizer} bean decides everything when the application
 * defines one; otherwise publishers need {@link #getPublishToken() the publish token}, and without a token
 * publishing is refused with 403 unless {@link #isAllowAnonymousPublish() allow-anonymous-publish} is set.
 * Viewing is open unless an authorizer bean says otherwise.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: Spring binds it once at start-up; it is only read afterwards.
 *
 * @since 0.3.0
 */
@ConfigurationProperties("framestream")
public class FrameStreamProperties {

  /** Default for {@link #getMaxFrameBytes()}: 8 MB, as {@code WebSocketTransport}'s. */
  public static final DataSize DEFAULT_MAX_FRAME_BYTES = DataSize.ofMegabytes(8);

  private boolean createOnDemand = true;
  private List<String> channels = new ArrayList<>();
  private Integer maxChannels;
  private DataSize maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  private Integer maxViewers;
  private List<String> allowedOrigins = new ArrayList<>();
  private List<String> trustedProxies = new ArrayList<>();
  private String publishToken;
  private boolean allowAnonymousPublish;
  private final Endpoint websocket = new Endpoint("/ws");
  private final Endpoint sse = new Endpoint("/sse");
  private final Endpoint api = new Endpoint("/api/channels");
  private final Endpoint mjpeg = new Endpoint("/mjpeg");
  private final Endpoint snapshot = new Endpoint("/snapshot");
  private final Metrics metrics = new Metrics();

  /** Creates the properties with their defaults. */
  public FrameStreamProperties() {}

  /**
   * Whether a channel is created when first asked for (default {@code true}); with {@code false} only the
   * {@link #getChannels() declared} channels (and those the application declares) exist.
   *
   * @return whether channels are created on demand
   */
  public boolean isCreateOnDemand() {
    return createOnDemand;
  }

  /**
   * Sets {@link #isCreateOnDemand()}.
   *
   * @param createOnDemand whether channels are created on demand
   */
  public void setCreateOnDemand(boolean createOnDemand) {
    this.createOnDemand = createOnDemand;
  }

  /**
   * The channels declared at start-up (default none).
   *
   * @return the channel names
   */
  public List<String> getChannels() {
    return channels;
  }

  /**
   * Sets {@link #getChannels()}.
   *
   * @param channels the channel names
   */
  public void setChannels(List<String> channels) {
    this.channels = channels;
  }

  /**
   * The most channels open at once, or {@code null} for the core's default.
   *
   * @return the limit, or {@code null}
   */
  public Integer getMaxChannels() {
    return maxChannels;
  }

  /**
   * Sets {@link #getMaxChannels()}.
   *
   * @param maxChannels at least 1, or {@code null}
   */
  public void setMaxChannels(Integer maxChannels) {
    this.maxChannels = maxChannels;
  }

  /**
   * The largest frame a publisher may send (default {@link #DEFAULT_MAX_FRAME_BYTES}); a larger WebSocket
   * message closes the publisher with 1009.
   *
   * @return the limit
   */
  public DataSize getMaxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * Sets {@link #getMaxFrameBytes()}.
   *
   * @param maxFrameBytes such as {@code 2MB}; at most 2 GB
   */
  public void setMaxFrameBytes(DataSize maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * The most viewers per channel, or {@code null} for the core's default ({@code
   * ChannelConfig.maxSubscribers()}).
   *
   * @return the limit, or {@code null}
   */
  public Integer getMaxViewers() {
    return maxViewers;
  }

  /**
   * Sets {@link #getMaxViewers()}.
   *
   * @param maxViewers at least 1, or {@code null}
   */
  public void setMaxViewers(Integer maxViewers) {
    this.maxViewers = maxViewers;
  }

  /**
   * The browser origins allowed to connect, such as {@code https://cams.example.com} (default: any).
   *
   * @return the origins
   */
  public List<String> getAllowedOrigins() {
    return allowedOrigins;
  }

  /**
   * Sets {@link #getAllowedOrigins()}.
   *
   * @param allowedOrigins the origins
   */
  public void setAllowedOrigins(List<String> allowedOrigins) {
    this.allowedOrigins = allowedOrigins;
  }

  /**
   * The reverse proxies, as addresses or CIDR ranges, whose forwarding headers name the client (default:
   * nobody's).
   *
   * @return the proxies
   */
  public List<String> getTrustedProxies() {
    return trustedProxies;
  }

  /**
   * Sets {@link #getTrustedProxies()}.
   *
   * @param trustedProxies addresses or CIDR ranges
   */
  public void setTrustedProxies(List<String> trustedProxies) {
    this.trustedProxies = trustedProxies;
  }

  /**
   * The bearer token publishers send, or {@code null}. Ignored when the application defines an {@code
   * Authorizer} bean.
   *
   * @return the token, or {@code null}
   */
  public String getPublishToken() {
    return publishToken;
  }

  /**
   * Sets {@link #getPublishToken()}.
   *
   * @param publishToken the token, or {@code null}
   */
  public void setPublishToken(String publishToken) {
    this.publishToken = publishToken;
  }

  /**
   * Whether anyone may publish when there is neither a publish token nor an {@code Authorizer} bean (default
   * {@code false}: publishing is refused with 403).
   *
   * @return whether anonymous publishing is allowed
   */
  public boolean isAllowAnonymousPublish() {
    return allowAnonymousPublish;
  }

  /**
   * Sets {@link #isAllowAnonymousPublish()}.
   *
   * @param allowAnonymousPublish whether anonymous publishing is allowed
   */
  public void setAllowAnonymousPublish(boolean allowAnonymousPublish) {
    this.allowAnonymousPublish = allowAnonymousPublish;
  }

  /**
   * The WebSocket endpoints: {@code <path>/live/{channel}} and {@code <path>/publish/{channel}} (default path
   * {@code /ws}).
   *
   * @return the WebSocket settings
   */
  public Endpoint getWebsocket() {
    return websocket;
  }

  /**
   * The SSE servlet: {@code <path>/{channel}} (default path {@code /sse}).
   *
   * @return the SSE settings
   */
  public Endpoint getSse() {
    return sse;
  }

  /**
   * MJPEG over HTTP: {@code <path>/{channel}} (default path {@code /mjpeg}), for {@code <img>} and IP-camera
   * tools.
   *
   * @return the MJPEG settings
   */
  public Endpoint getMjpeg() {
    return mjpeg;
  }

  /**
   * The newest picture of an image channel: {@code <path>/{channel}} (default path {@code /snapshot}).
   *
   * @return the snapshot settings
   */
  public Endpoint getSnapshot() {
    return snapshot;
  }

  /**
   * The read-only JSON statistics: {@code <path>} and {@code <path>/{channel}} (default path {@code
   * /api/channels}, where the viewer pages look).
   *
   * @return the API settings
   */
  public Endpoint getApi() {
    return api;
  }

  /**
   * The meters, where the application has Micrometer.
   *
   * @return the metrics settings
   */
  public Metrics getMetrics() {
    return metrics;
  }

  /**
   * The meters' settings ({@code framestream.metrics.*}).
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe: bound once at start-up.
   *
   * @since 0.4.0
   */
  public static class Metrics {
    private boolean enabled = true;
    private int maxTaggedChannels = FrameStreamMetrics.DEFAULT_MAX_TAGGED_CHANNELS;

    /** Creates the settings with their defaults. */
    public Metrics() {}

    /**
     * Whether the meters are registered (default {@code true}, where Micrometer is present).
     *
     * @return whether they are registered
     */
    public boolean isEnabled() {
      return enabled;
    }

    /**
     * Sets {@link #isEnabled()}.
     *
     * @param enabled whether they are registered
     */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /**
     * The most channels that get their own {@code channel} tag at once (default {@value
     * FrameStreamMetrics#DEFAULT_MAX_TAGGED_CHANNELS}); further channels add up under {@code _other}.
     *
     * @return the cap
     */
    public int getMaxTaggedChannels() {
      return maxTaggedChannels;
    }

    /**
     * Sets {@link #getMaxTaggedChannels()}.
     *
     * @param maxTaggedChannels the cap
     */
    public void setMaxTaggedChannels(int maxTaggedChannels) {
      this.maxTaggedChannels = maxTaggedChannels;
    }
  }

  /**
   * Whether an endpoint is served, and under which path.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe: bound once at start-up.
   *
   * @since 0.3.0
   */
  public static class Endpoint {
    private boolean enabled = true;
    private String path;

    /**
     * Creates the settings of an endpoint.
     *
     * @param path the default path
     */
    public Endpoint(String path) {
      this.path = path;
    }

    /**
     * Whether the endpoint is served (default {@code true}).
     *
     * @return whether it is served
     */
    public boolean isEnabled() {
      return enabled;
    }

    /**
     * Sets {@link #isEnabled()}.
     *
     * @param enabled whether it is served
     */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /**
     * The path prefix, starting with {@code /} and without a trailing one, such as {@code /ws}.
     *
     * @return the prefix
     */
    public String getPath() {
      return path;
    }

    /**
     * Sets {@link #getPath()}.
     *
     * @param path the prefix
     */
    public void setPath(String path) {
      this.path = path;
    }

    /**
     * The path, checked: one or more segments, leading slash, no trailing slash, no wildcards or templates.
     *
     * @param property the property's name, for the message
     * @return the path
     * @throws IllegalArgumentException if it is not such a path
     */
    String checkedPath(String property) {
      if (path == null || !path.matches("(/[A-Za-z0-9._~-]+)+")) {
        throw new IllegalArgumentException(property + " must be a path such as /ws (leading slash, no trailing"
            + " slash, no wildcards), got " + path);
      }
      return path;
    }
  }
}
