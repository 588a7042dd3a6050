package io.framestream.edge;

import io.framestream.core.ChannelNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Static bearer tokens, typically for publishers: a request must carry one of the configured tokens in
 * {@code Authorization: Bearer <token>} or in the {@code token} query parameter (what a browser page can
 * send). A token may be limited to some channels.
 *
 * <p>Missing or unknown token: 401. A known token used for a channel it does not cover: 403. Tokens are
 * compared in constant time (their SHA-256 digests, every configured token each time), and never appear in
 * messages or logs.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class BearerTokens implements Authorizer {

  private record Entry(byte[] digest, Set<String> channels) {}

  private final List<Entry> entries;

  private BearerTokens(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /**
   * Accepts any of the given tokens, for every channel.
   *
   * @param tokens the accepted tokens, each at least 16 characters
   * @return the authorizer
   * @throws IllegalArgumentException if no token is given or one is shorter than 16 characters
   */
  public static BearerTokens of(String... tokens) {
    Builder b = builder();
    for (String t : tokens) {
      b.token(t);
    }
    return b.build();
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public AccessDecision authorize(AccessRequest request) {
    Optional<String> token = request.bearerToken();
    if (token.isEmpty() || token.get().isEmpty()) {
      return AccessDecision.unauthorized("a token is required (Authorization: Bearer <token>, or ?token=)");
    }
    byte[] digest = sha256(token.get());
    Entry match = null;
    for (Entry e : entries) { // no early exit: the time taken does not depend on which token matched
      if (MessageDigest.isEqual(e.digest, digest) && match == null) {
        match = e;
      }
    }
    if (match == null) {
      return AccessDecision.unauthorized("unknown token");
    }
    if (!match.channels.isEmpty() && !match.channels.contains(request.channel())) {
      return AccessDecision.forbidden("the token does not cover channel '" + request.channel() + "'");
    }
    return AccessDecision.ALLOW;
  }

  static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "BearerTokens[" + entries.size() + " token(s)]";
  }

  /**
   * Builds {@link BearerTokens}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private final List<Entry> entries = new ArrayList<>();

    private Builder() {}

    /**
     * Accepts a token, for the given channels or, with none, for every channel.
     *
     * @param token the token, at least 16 characters
     * @param channels the channels it covers; none means all
     * @return this builder
     * @throws NullPointerException if an argument is {@code null}
     * @throws IllegalArgumentException if the token is shorter than 16 characters or a channel name is invalid
     */
    public Builder token(String token, String... channels) {
      Objects.requireNonNull(token, "token");
      if (token.length() < 16) {
        throw new IllegalArgumentException("tokens must have at least 16 characters");
      }
      for (String c : channels) {
        ChannelNames.requireValid(c);
      }
      entries.add(new Entry(sha256(token), Set.of(channels)));
      return this;
    }

    /**
     * Builds the authorizer.
     *
     * @return the authorizer
     * @throws IllegalArgumentException if no token was added
     */
    public BearerTokens build() {
      if (entries.isEmpty()) {
        throw new IllegalArgumentException("at least one token is required");
      }
      return new BearerTokens(entries);
    }
  }
}
