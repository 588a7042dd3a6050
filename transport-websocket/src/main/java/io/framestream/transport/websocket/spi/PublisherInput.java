package io.framestream.transport.websocket.spi;

/**
 * The publishing endpoint of one upgraded connection, as a host's {@link FrontFilter} that reads the
 * connection's WebSocket data frames itself sees it: the filter parses and unmasks each whole message
 * straight into an array of its own and hands it over here, so that the Jakarta container never buffers,
 * unmasks or copies it (the embedded server does this to copy each published frame once between the socket
 * and the channel). Control frames (ping, pong, close) still go to the container.
 *
 * <p>A filter gets one from {@link FrontFilter.Endpoints#publisherInput(String)} once the connection's
 * session is open. A message that completes before then, or after the session closed, is the filter's to
 * drop: it is not the endpoint's. What the endpoint does with a message is what it does with one the
 * container delivers (rules W1 and W4): it publishes it, or closes the session with the close code of the
 * refusal through the container.
 *
 * <h2>Thread safety</h2>
 *
 * Implementations are not thread-safe: call them from one thread at a time, in the order the messages
 * arrived, as a container delivers one connection's messages (Grizzly hands one connection's reads to one
 * thread at a time).
 *
 * @since 0.4.0
 */
public interface PublisherInput {

  /**
   * Receives a whole binary message. The array becomes the published frame's payload as it is: the caller
   * hands it over and must not read or write it afterwards.
   *
   * @param message the message's bytes, unmasked; the whole array is the message
   */
  void binary(byte[] message);

  /**
   * Receives a whole text message (a data URI or a JSON control message).
   *
   * @param message the message, decoded from valid UTF-8
   */
  void text(String message);
}
