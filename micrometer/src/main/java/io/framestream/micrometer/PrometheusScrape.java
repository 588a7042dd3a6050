package io.framestream.micrometer;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Objects;

/**
 * A Prometheus endpoint's content without any web framework: a {@link PrometheusMeterRegistry} of its own,
 * the binders bound to it, and {@link #scrape()} returning the text an HTTP handler writes with {@link
 * #CONTENT_TYPE}. Needs {@code io.micrometer:micrometer-registry-prometheus} on the class path (an optional
 * dependency of this module).
 *
 * <pre>{@code
 * PrometheusScrape metrics = PrometheusScrape.create();
 * metrics.bind(FrameStreamMetrics.builder(registry).accessGate(gate).build());
 * // in the handler of GET /metrics:
 * response.setContentType(PrometheusScrape.CONTENT_TYPE);
 * response.getWriter().write(metrics.scrape());
 * }</pre>
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: bind and scrape from any threads.
 *
 * @since 0.4.0
 */
public final class PrometheusScrape implements AutoCloseable {

  /** The content type of {@link #scrape()}: the Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;

  private PrometheusScrape(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Creates a scrape source with a new Prometheus registry (default configuration).
   *
   * @return the scrape source
   */
  public static PrometheusScrape create() {
    return new PrometheusScrape(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /**
   * Binds meters (such as {@link FrameStreamMetrics}, or Micrometer's JVM binders) to this registry.
   *
   * @param binder the binder
   * @return this
   * @throws NullPointerException if {@code binder} is {@code null}
   */
  public PrometheusScrape bind(MeterBinder binder) {
    Objects.requireNonNull(binder, "binder").bindTo(registry);
    return this;
  }

  /**
   * Returns the current values in the Prometheus text format 0.0.4 ({@link #CONTENT_TYPE}).
   *
   * @return the scrape
   */
  public String scrape() {
    return registry.scrape();
  }

  /**
   * Returns the registry, to bind or register more meters.
   *
   * @return the Prometheus registry
   */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Closes the registry. */
  @Override
  public void close() {
    registry.close();
  }
}
