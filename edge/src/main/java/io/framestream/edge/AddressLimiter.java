package io.framestream.edge;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts what one client address holds at once (connections, uploads in progress) against a limit, for the
 * per-address refusals (429) every entry point makes.
 *
 * <p>{@link #tryAcquire(String)} checks and counts in one step, so two racing requests from one address can
 * never both take the last place; every successful acquire must be paired with one {@link
 * #release(String)}. An address whose count falls to zero is forgotten, so the map holds only addresses
 * that hold something now.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe; acquire and release may race from any threads.
 *
 * @since 0.3.0
 */
public final class AddressLimiter {

  private final int limit;
  private final ConcurrentHashMap<String, Integer> held = new ConcurrentHashMap<>();

  /**
   * Creates a limiter.
   *
   * @param limit how many one address may hold at once
   * @throws IllegalArgumentException if {@code limit < 1}
   */
  public AddressLimiter(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    this.limit = limit;
  }

  /**
   * Returns the limit.
   *
   * @return how many one address may hold at once
   */
  public int limit() {
    return limit;
  }

  /**
   * Takes one place for an address if it holds fewer than the limit.
   *
   * @param address the client address
   * @return true if a place was taken (release it later), false if the address is at its limit
   */
  public boolean tryAcquire(String address) {
    boolean[] taken = {false};
    held.compute(address, (k, n) -> {
      int now = n == null ? 0 : n;
      if (now >= limit) {
        return n;
      }
      taken[0] = true;
      return now + 1;
    });
    return taken[0];
  }

  /**
   * Gives back one place an address took.
   *
   * @param address the client address
   */
  public void release(String address) {
    held.computeIfPresent(address, (k, n) -> n <= 1 ? null : n - 1);
  }

  /**
   * Returns how many places an address holds now.
   *
   * @param address the client address
   * @return the count, 0 if none
   */
  public int held(String address) {
    return held.getOrDefault(address, 0);
  }
}
