package io.framestream.edge;

import io.framestream.core.ChannelNames;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived, HMAC-signed viewer tickets carried in the URL ({@code ?ticket=...}), so that viewers that
 * cannot send headers ({@code EventSource}, {@code <img>}, browser WebSockets) can still be authorized. Your
 * application issues a ticket for a channel (after its own login) and hands the viewer a URL such as {@code
 * /sse/cam1?ticket=...}; the transport checks it.
 *
 * <p>A ticket is {@code base64url(channel "\n" expiry-epoch-seconds) "." base64url(HMAC-SHA256)}. Missing,
 * malformed, tampered or expired tickets: 401; a valid ticket for another channel: 403. Signatures are
 * compared in constant time. As an {@link Authorizer} it decides viewing only: publishing is refused with
 * 403 (combine with {@link Authorizer#perAction(Authorizer, Authorizer)}).
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class ViewerTickets implements Authorizer {

  /** The query parameter that carries a ticket. */
  public static final String QUERY_PARAMETER = "ticket";
  /** The longest lifetime a ticket may be issued for: one day. */
  public static final Duration MAX_TTL = Duration.ofDays(1);
  /** The longest ticket text accepted; anything longer is malformed. */
  public static final int MAX_TICKET_LENGTH = 512;

  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Encoder ENCODE = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODE = Base64.getUrlDecoder();

  private final byte[] key;
  private final Clock clock;

  private ViewerTickets(byte[] key, Clock clock) {
    this.key = key;
    this.clock = clock;
  }

  /**
   * Creates tickets signed with the given secret key. Every server that must accept the same tickets needs
   * the same key.
   *
   * @param secret at least 32 bytes; copied
   * @return the ticket authority
   * @throws NullPointerException if {@code secret} is {@code null}
   * @throws IllegalArgumentException if the key is shorter than 32 bytes
   */
  public static ViewerTickets withKey(byte[] secret) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length < 32) {
      throw new IllegalArgumentException("the ticket key needs at least 32 bytes");
    }
    return new ViewerTickets(secret.clone(), Clock.systemUTC());
  }

  /**
   * Creates tickets signed with a fresh random key, valid in this JVM only.
   *
   * @return the ticket authority
   */
  public static ViewerTickets withRandomKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return new ViewerTickets(k, Clock.systemUTC());
  }

  /**
   * Returns a copy that reads the time from the given clock (for tests).
   *
   * @param time the clock
   * @return the copy
   * @throws NullPointerException if {@code time} is {@code null}
   */
  public ViewerTickets withClock(Clock time) {
    return new ViewerTickets(key, Objects.requireNonNull(time, "time"));
  }

  /**
   * Issues a ticket to view one channel.
   *
   * @param channel the channel name
   * @param ttl how long the ticket is valid, 1 s to {@link #MAX_TTL}
   * @return the ticket, URL-safe
   * @throws NullPointerException if an argument is {@code null}
   * @throws IllegalArgumentException if the channel name or lifetime is invalid
   */
  public String issue(String channel, Duration ttl) {
    ChannelNames.requireValid(channel);
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException("ttl must be 1 s to " + MAX_TTL + ", got " + ttl);
    }
    long expiry = clock.instant().plus(ttl).getEpochSecond();
    byte[] payload = (channel + "\n" + expiry).getBytes(StandardCharsets.US_ASCII);
    return ENCODE.encodeToString(payload) + "." + ENCODE.encodeToString(mac(payload));
  }

  /**
   * Checks a ticket for a channel.
   *
   * @param ticket the ticket text
   * @param channel the channel the viewer asks for
   * @return {@link AccessDecision#ALLOW}, or 401 (malformed, tampered, expired) or 403 (another channel)
   * @throws NullPointerException if an argument is {@code null}
   */
  public AccessDecision verify(String ticket, String channel) {
    Objects.requireNonNull(ticket, "ticket");
    Objects.requireNonNull(channel, "channel");
    int dot = ticket.indexOf('.');
    if (ticket.length() > MAX_TICKET_LENGTH || dot <= 0 || dot != ticket.lastIndexOf('.')) {
      return AccessDecision.unauthorized("malformed ticket");
    }
    byte[] payload;
    byte[] signature;
    try {
      payload = DECODE.decode(ticket.substring(0, dot));
      signature = DECODE.decode(ticket.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      return AccessDecision.unauthorized("malformed ticket");
    }
    if (!MessageDigest.isEqual(mac(payload), signature)) {
      return AccessDecision.unauthorized("invalid ticket signature");
    }
    String text = new String(payload, StandardCharsets.US_ASCII);
    int nl = text.indexOf('\n');
    if (nl <= 0) {
      return AccessDecision.unauthorized("malformed ticket");
    }
    long expiry;
    try {
      expiry = Long.parseLong(text.substring(nl + 1));
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      return AccessDecision.unauthorized("malformed ticket");
    }
    if (clock.instant().getEpochSecond() >= expiry) {
      return AccessDecision.unauthorized("ticket expired");
    }
    if (!text.substring(0, nl).equals(channel)) {
      return AccessDecision.forbidden("the ticket is for another channel");
    }
    return AccessDecision.ALLOW;
  }

  /** Views need a valid ticket for the channel in {@code ?ticket=}; publishing is refused. */
  @Override
  public AccessDecision authorize(AccessRequest request) {
    if (request.action() != AccessRequest.Action.VIEW) {
      return AccessDecision.forbidden("viewer tickets do not allow publishing");
    }
    Optional<String> ticket = request.queryParameter(QUERY_PARAMETER);
    if (ticket.isEmpty()) {
      return AccessDecision.unauthorized("a viewer ticket is required (?ticket=)");
    }
    return verify(ticket.get(), request.channel());
  }

  private byte[] mac(byte[] payload) {
    try {
      Mac m = Mac.getInstance(ALGORITHM);
      m.init(new SecretKeySpec(key, ALGORITHM));
      return m.doFinal(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "ViewerTickets[HMAC-SHA256]";
  }
}
