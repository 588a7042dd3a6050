package io.framestream.edge;

import java.util.Objects;

/**
 * An {@link Authorizer}'s answer: allowed, or refused with HTTP 401 (no valid credentials: missing,
 * malformed, unknown, expired) or 403 (valid credentials that do not cover this action or channel), and a
 * reason the client sees.
 *
 * <h2>Thread safety</h2>
 *
 * An immutable record.
 *
 * @param status 200 when allowed, else 401 or 403
 * @param reason why it was refused; empty when allowed
 * @since 0.1.0
 */
public record AccessDecision(int status, String reason) {

  /** Allowed. */
  public static final AccessDecision ALLOW = new AccessDecision(200, "");

  /**
   * Validates the decision.
   *
   * @param status 200, 401 or 403
   * @param reason the reason
   * @throws NullPointerException if {@code reason} is {@code null}
   * @throws IllegalArgumentException if the status is not 200, 401 or 403
   */
  public AccessDecision {
    Objects.requireNonNull(reason, "reason");
    if (status != 200 && status != 401 && status != 403) {
      throw new IllegalArgumentException("status must be 200, 401 or 403, got " + status);
    }
  }

  /**
   * Refuses for lack of valid credentials (HTTP 401).
   *
   * @param reason what is missing or wrong, without secrets
   * @return the decision
   */
  public static AccessDecision unauthorized(String reason) {
    return new AccessDecision(401, reason);
  }

  /**
   * Refuses valid credentials that do not cover the request (HTTP 403).
   *
   * @param reason what is not allowed
   * @return the decision
   */
  public static AccessDecision forbidden(String reason) {
    return new AccessDecision(403, reason);
  }

  /**
   * Tells whether the request may go ahead.
   *
   * @return {@code true} when allowed
   */
  public boolean allowed() {
    return status == 200;
  }
}
