/**
 * The edge every entry point shares: the access gate (origin allow-list, authorizers, bearer tokens,
 * viewer tickets, the client's address behind trusted proxies), per-address limits and the one JSON error
 * body.
 */
module io.framestream.edge {
  requires transitive io.framestream.core;

  exports io.framestream.edge;
}
