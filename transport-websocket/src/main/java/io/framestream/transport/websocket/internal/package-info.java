/**
 * Implementation of the WebSocket transport. Not API: may change in any release.
 */
package io.framestream.transport.websocket.internal;
