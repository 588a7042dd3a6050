/**
 * Implementation of the SSE transport; not API, may change in any release. Host-agnostic protocol logic
 * ({@link io.framestream.transport.sse.internal.SseEvents}, {@link
 * io.framestream.transport.sse.internal.SseRequest}, {@link
 * io.framestream.transport.sse.internal.SseViewer}, {@link
 * io.framestream.transport.sse.internal.EventStreamParser}) is kept apart from the one host-specific
 * class, {@link io.framestream.transport.sse.internal.GrizzlyEventOutput}, so that a Servlet-async
 * adapter can sit beside it.
 *
 * @since 0.1.0
 */
package io.framestream.transport.sse.internal;
