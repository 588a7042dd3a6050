package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The mailbox policy (rules C2, C3, C4, C9) step by step, without threads or time. Entries are written as
 * "I1 K2 D3" (kind, then sequence number) and "ON"/"OFF" (status notices).
 */
class MailboxTest {

  private final Map<DropReason, Integer> channelDrops = new EnumMap<>(DropReason.class);
  private long sequence;

  private Mailbox mailbox(int maxQueued) {
    return new Mailbox(maxQueued, why -> channelDrops.merge(why, 1, Integer::sum));
  }

  private Frame frame(char kind, long seq) {
    FrameKind k = kind == 'I' ? FrameKind.INIT : kind == 'K' ? FrameKind.KEY : FrameKind.DELTA;
    return Frame.builder(new byte[] {1}).contentType("video/mp4").kind(k).build().published(seq, 0);
  }

  /** Offers entries written as "I1 K2 D3 ON OFF". */
  private void offer(Mailbox m, String entries) {
    for (String e : entries.split(" ")) {
      if (e.equals("ON") || e.equals("OFF")) {
        m.offerStatus(e.equals("ON") ? ChannelState.ONLINE : ChannelState.OFFLINE);
      } else {
        m.offer(frame(e.charAt(0), Long.parseLong(e.substring(1))), false);
      }
    }
  }

  private static String name(Frame f) {
    return f.kind().name().charAt(0) + String.valueOf(f.sequence());
  }

  private static String drain(Mailbox m) {
    List<String> out = new ArrayList<>();
    while (!m.isEmpty()) {
      ChannelState notice = m.pollNotice();
      out.add(notice != null ? (notice == ChannelState.ONLINE ? "ON" : "OFF") : name(m.pollFrame()));
    }
    return String.join(" ", out);
  }

  @Test
  void c2_aKeyReplacesEveryWaitingFrameButTheInit() {
    Mailbox m = mailbox(8);
    offer(m, "I1 K2 D3 D4 K5");
    assertEquals("I1 K5", drain(m));
    assertEquals(3, m.drops(DropReason.SUPERSEDED));
    assertEquals(3, channelDrops.get(DropReason.SUPERSEDED), "every drop is told to the channel");
  }

  @Test
  void c2_whileHeldByItsRate_replacedFramesCountAsRateLimited() {
    Mailbox m = mailbox(8);
    m.offer(frame('K', 1), true);
    m.offer(frame('K', 2), true);
    assertEquals("K2", drain(m));
    assertEquals(1, m.drops(DropReason.RATE_LIMITED));
    assertEquals(0, m.drops(DropReason.SUPERSEDED));
  }

  @Test
  void c3_aDeltaThatDoesNotFitSkipsToTheNextKey() {
    Mailbox m = mailbox(3);
    offer(m, "K1 D2 D3 D4 D5");
    assertEquals("K1 D2 D3", drain(m));
    assertEquals(2, m.drops(DropReason.SKIPPED_TO_KEY));
    offer(m, "D6 K7 D8");
    assertEquals("K7 D8", drain(m), "D6's reference was dropped");
  }

  @Test
  void c3_atMostOneInitWaits_theNewest_andItsStreamStartsAtAKey() {
    Mailbox m = mailbox(8);
    offer(m, "I1 K2 D3 I4 D5 K6 D7");
    assertEquals("I4 K6 D7", drain(m));
    assertEquals(3, m.drops(DropReason.SUPERSEDED), "I1 K2 D3");
    assertEquals(1, m.drops(DropReason.SKIPPED_TO_KEY), "D5 came before the new stream's key");
  }

  @Test
  void c3_aFrameTooOldTakesTheDeltasThatNeedIt() {
    Mailbox m = mailbox(8);
    offer(m, "I1 K2 D3 OFF D4");
    assertEquals("I1", name(m.pollFrame()));
    assertEquals("K2", name(m.dropHead(DropReason.TOO_OLD)));
    offer(m, "D5 K6 D7");
    assertEquals("OFF K6 D7", drain(m), "D3 and D4 went with their key, D5 came after it");
    offer(m, "D8 D9");
    m.pollFrame();
    m.dropHead(DropReason.TOO_OLD);
    offer(m, "D10 K11");
    assertEquals("K11", drain(m), "D9 was too old: D10 needs it");
    assertEquals(2, m.drops(DropReason.TOO_OLD));
    assertEquals(4, m.drops(DropReason.SKIPPED_TO_KEY));
    assertNull(m.dropHead(DropReason.TOO_OLD));
  }

  @Test
  void c4_lateJoinerEntriesWaitFirstAndDoNotCountAgainstTheBound() {
    Mailbox m = mailbox(1);
    m.preload(List.of(frame('I', 1), frame('K', 2), frame('D', 3), frame('D', 4)), true, ChannelState.OFFLINE);
    assertEquals(0, m.waiting());
    offer(m, "D5 D6");
    assertEquals(6, m.size());
    assertEquals("I1 K2 D3 D4 OFF D5", drain(m));
    assertEquals(1, m.drops(DropReason.SKIPPED_TO_KEY));
  }

  @Test
  void c4_aJoinerWithoutACachedKeyWaitsForTheNextOne() {
    Mailbox m = mailbox(8);
    m.preload(List.of(frame('I', 1)), false, null);
    offer(m, "D2 K3 D4");
    assertEquals("I1 K3 D4", drain(m));
  }

  @Test
  void c9_noticesCollapseIntoTheOneThatWaitsLast_orThatADropLeftNextToThem() {
    Mailbox m = mailbox(8);
    offer(m, "K1 ON OFF");
    assertEquals("K1 OFF", drain(m));
    offer(m, "ON K2 OFF K3");
    assertEquals("OFF K3", drain(m), "K2 went; the notices it separated became one, the newer");
    assertFalse(channelDrops.containsKey(DropReason.TOO_OLD));
  }

  @Test
  void c9_aNoticeThatFindsTheQueueFullTakesThePlaceOfTheNewestDeltas() {
    Mailbox m = mailbox(3);
    offer(m, "K1 D2 D3 OFF D4");
    assertEquals("K1 D2 OFF", drain(m), "D3 made room, D4 waits for a key");
    assertEquals(2, m.drops(DropReason.SKIPPED_TO_KEY));
    Mailbox full = mailbox(2);
    offer(full, "I1 K2 ON");
    assertEquals("I1 K2 ON", drain(full), "neither the INIT nor the KEY is given up for a notice");
  }

  @Test
  void c9_theBoundHoldsForEveryKind_atMostOneInit_noOrphanDelta_theNewestInitArrives() {
    Random rnd = new Random(13);
    for (int run = 0; run < 300; run++) {
      int maxQueued = 1 + rnd.nextInt(6);
      Mailbox m = mailbox(maxQueued);
      Reader reader = new Reader(m, run);
      long newestInit = -1;
      for (int step = 0; step < 400; step++) {
        int r = rnd.nextInt(40);
        if (r < 2) {
          m.offerStatus(rnd.nextBoolean() ? ChannelState.ONLINE : ChannelState.OFFLINE);
        } else {
          char kind = r < 4 ? 'I' : r < 12 ? 'K' : 'D';
          Frame f = frame(kind, ++sequence);
          if (kind == 'I') {
            newestInit = f.sequence();
          }
          m.offer(f, rnd.nextInt(4) == 0);
        }
        assertTrue(m.waiting() <= Math.max(maxQueued, 5), "bounded: " + m);
        if (rnd.nextInt(3) == 0) {
          reader.take(rnd.nextInt(10) == 0);
        }
      }
      while (!m.isEmpty()) {
        reader.take(false);
      }
      assertTrue(newestInit == -1 || reader.inits.contains(newestInit), "the newest INIT arrived, run " + run);
    }
  }

  /** Counts the INITs in the mailbox's description, "Mailbox[I1 K2 OFF catchUp=0]". */
  private static long initsWaiting(Mailbox m) {
    String s = m.toString();
    return Arrays.stream(s.substring(s.indexOf('[') + 1, s.indexOf("catchUp")).split(" "))
        .filter(e -> e.startsWith("I")).count();
  }

  /** Takes entries as a delivery loop does, checking every delivered frame. */
  private static final class Reader {
    final Mailbox m;
    final int run;
    final List<Long> inits = new ArrayList<>();
    Frame last;

    Reader(Mailbox m, int run) {
      this.m = m;
      this.run = run;
    }

    /** Delivers the head, or, if told to and the head is a frame other than an INIT, drops it as too old. */
    void take(boolean tooOld) {
      assertTrue(initsWaiting(m) <= 1, "at most one INIT waits: " + m);
      if (m.isEmpty() || m.pollNotice() != null) {
        return;
      }
      if (tooOld && m.peekFrame().kind() != FrameKind.INIT) {
        m.dropHead(DropReason.TOO_OLD);
        return;
      }
      Frame f = m.pollFrame();
      if (f.kind() == FrameKind.DELTA) {
        assertTrue(last != null && last.sequence() == f.sequence() - 1 && last.kind() != FrameKind.INIT,
            "delta " + f.sequence() + " after " + last + " in run " + run);
      }
      if (f.kind() == FrameKind.INIT) {
        inits.add(f.sequence());
      }
      last = f;
    }
  }
}
