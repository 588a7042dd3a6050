package io.framestream.cluster.nats;

/**
 * A snapshot of a {@link NatsBridge}'s counters since it started.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable and thread-safe.
 *
 * @param nodeId this node's id
 * @param connected whether the NATS connection is up right now
 * @param exportedChannels channels with a local publisher whose frames this node sends to NATS
 * @param importedChannels channels with local viewers that this node receives from NATS
 * @param framesOut frames (not chunks) sent to NATS
 * @param bytesOut payload bytes sent to NATS
 * @param framesIn frames received from NATS and put into local channels
 * @param bytesIn payload bytes of {@code framesIn}
 * @param framesDropped frames not sent or not put in: sent while disconnected, superseded by a newer
 *     frame, arriving after a gap (a delta whose reference was lost), incomplete chunks, or another node's
 *     stream while one is live
 * @param badMessages messages or key-value entries that failed the wire checks (dropped)
 * @param keyValueWrites successful key-value writes (init, key frame, state)
 * @param keyValueFailures failed key-value reads or writes (for example while JetStream is unavailable)
 * @param reconnects NATS reconnects seen
 * @param outgoingBacklogBytes an estimate of the bytes waiting in the NATS client to be written; the bridge
 *     stops taking frames while it is above {@link NatsBridge.Builder#maxOutgoingBytes(long)}
 * @since 0.1.0
 */
public record NatsBridgeStats(String nodeId, boolean connected, int exportedChannels, int importedChannels,
    long framesOut, long bytesOut, long framesIn, long bytesIn, long framesDropped, long badMessages,
    long keyValueWrites, long keyValueFailures, long reconnects, long outgoingBacklogBytes) {}
