/**
 * Implementation of the SSE transport; not API, may change in any release. Host-agnostic protocol logic
 * ({@link io.framestream.transport.sse.internal.SseEndpoint} per request, {@link
 * io.framestream.transport.sse.internal.SseEvents}, {@link io.framestream.transport.sse.internal.SseRequest},
 * {@link io.framestream.transport.sse.internal.SseViewer}, {@link
 * io.framestream.transport.sse.internal.EventStreamParser}) is kept apart from the host-specific outputs,
 * {@link io.framestream.transport.sse.internal.GrizzlyEventOutput} (Grizzly) and {@link
 * io.framestream.transport.sse.internal.ServletEventOutput} (Servlet 6 non-blocking I/O). The client side
 * ({@code SseStream}, {@code EventStreamParser}, {@code SseFrameDecoder}) touches neither host.
 *
 * @since 0.1.0
 */
package io.framestream.transport.sse.internal;
