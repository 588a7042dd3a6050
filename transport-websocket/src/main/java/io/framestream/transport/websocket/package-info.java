/**
 * The WebSocket transport of framestream: Jakarta WebSocket endpoints to publish into and view channels
 * ({@link io.framestream.transport.websocket.WebSocketTransport}), and a Java client for both directions.
 *
 * @since 0.1.0
 */
package io.framestream.transport.websocket;
