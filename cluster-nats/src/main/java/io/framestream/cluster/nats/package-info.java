/**
 * Scale-out through NATS: {@link io.framestream.cluster.nats.NatsBridge} shares a node's channels with other
 * framestream nodes, live frames over NATS core subjects and late-joiner state in a JetStream key-value
 * bucket.
 */
package io.framestream.cluster.nats;
