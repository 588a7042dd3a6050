package io.framestream.core;

/**
 * The JVM's clocks; the only code in core that reads them.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; thread-safe.
 */
final class SystemTicker implements Ticker {

  static final SystemTicker INSTANCE = new SystemTicker();

  private SystemTicker() {}

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public long currentTimeMillis() {
    return System.currentTimeMillis();
  }

  @Override
  public String toString() {
    return "Ticker.system()";
  }
}
