package io.framestream.conformance;

import java.util.ArrayList;
import java.util.List;

/** One transport on one host: what every rule runs over. Its name is the bracket in each case's name. */
record Combination(Transport transport, HostKind host) {

  /** Every transport on every host. */
  static List<Combination> all() {
    List<Combination> all = new ArrayList<>();
    for (HostKind h : HostKind.values()) {
      for (Transport t : Transport.values()) {
        if (t.general()) {
          all.add(new Combination(t, h));
        }
      }
    }
    return all;
  }

  /** Every transport on every host, the chunk stream (W12) included: for the rules it keeps as well. */
  static List<Combination> withChunks() {
    List<Combination> all = all();
    all.addAll(chunks());
    return all;
  }

  /** The chunk stream (W12) on every host. */
  static List<Combination> chunks() {
    List<Combination> all = new ArrayList<>();
    for (HostKind h : HostKind.values()) {
      all.add(new Combination(Transport.WS_CHUNKS, h));
    }
    return all;
  }

  @Override
  public String toString() {
    return transport + " on " + host;
  }
}
