package io.framestream.core.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The rules of a client's receive buffer (L2), frame by frame. Frames are named by their tag. */
class ClientFrameBufferTest {

  private static Frame frame(FrameKind kind) {
    return Frame.builder(new byte[] {1}).contentType("video/mp4").kind(kind).build();
  }

  /** Offers frames written as "I0 K1 D2 ...": kind letter, then the tag. */
  private static void offer(ClientFrameBuffer<String> b, String frames) {
    for (String f : frames.split(" ")) {
      FrameKind kind = f.charAt(0) == 'I' ? FrameKind.INIT : f.charAt(0) == 'K' ? FrameKind.KEY : FrameKind.DELTA;
      b.offer(frame(kind), f);
    }
  }

  private static String drain(ClientFrameBuffer<String> b) {
    List<String> out = new ArrayList<>();
    for (ClientFrameBuffer.Entry<String> e = b.poll(); e != null; e = b.poll()) {
      out.add(e.tag());
    }
    return String.join(" ", out);
  }

  @Test
  void aConnectionStartsAtAKeyFrame() {
    ClientFrameBuffer<String> b = new ClientFrameBuffer<>(4);
    offer(b, "D1 D2 K3 D4");
    assertEquals("K3 D4", drain(b));
  }

  @Test
  void whileThereIsRoom_everyFrameWaitsInOrder() {
    ClientFrameBuffer<String> b = new ClientFrameBuffer<>(4);
    offer(b, "I0 K1 D2 D3 D4");
    assertEquals("I0 K1 D2 D3 D4", drain(b));
    assertEquals(0, b.dropped());
  }

  @Test
  void l2_images_newestWins_theOldestMakesRoom() {
    ClientFrameBuffer<String> b = new ClientFrameBuffer<>(3);
    offer(b, "K1 K2 K3 K4 K5");
    assertEquals("K3 K4 K5", drain(b));
    assertEquals(2, b.dropped());
  }

  @Test
  void l2_video_aDeltaThatDoesNotFit_skipsToTheNextKey() {
    ClientFrameBuffer<String> b = new ClientFrameBuffer<>(3);
    offer(b, "I0 K1 D2 D3 D4 D5");
    // D4 does not fit and its key is the only one: the waiting group stays, D4 and D5 are skipped.
    assertEquals("I0 K1 D2 D3", drain(b));
    offer(b, "D6 K7 D8");
    assertEquals("K7 D8", drain(b), "D6's reference was dropped");
    assertEquals(3, b.dropped());
    offer(b, "K9 D10 D11 D12 K13");
    assertEquals("K13", drain(b), "a key frame that finds the buffer full replaces a group it cannot follow");
  }

  @Test
  void l2_video_aKeyMakesRoomByDroppingTheOldestGroupWhole() {
    ClientFrameBuffer<String> b = new ClientFrameBuffer<>(4);
    offer(b, "K1 D2 D3 K4 D5 K6");
    // K6 needs room: K1 goes with its deltas, never leaving D2 D3 without their key.
    assertEquals("K4 D5 K6", drain(b));
    assertEquals(3, b.dropped());
  }

  @Test
  void l2_video_aDeltaMakesRoomWhenALaterKeyWaits() {
    ClientFrameBuffer<String> b = new ClientFrameBuffer<>(4);
    offer(b, "K1 D2 K3 D4 D5");
    assertEquals("K3 D4 D5", drain(b));
  }

  @Test
  void l2_deltasWhoseKeyWasAlreadyTakenAreTheOldestGroup() {
    ClientFrameBuffer<String> b = new ClientFrameBuffer<>(3);
    offer(b, "K1 D2");
    assertEquals("K1", b.poll().tag());
    offer(b, "D3 K4 K5");
    assertEquals("K4 K5", drain(b), "D2 and D3 go together");
  }

  @Test
  void l2_theNewestInitIsNeverLost_atMostOneWaits() {
    ClientFrameBuffer<String> b = new ClientFrameBuffer<>(2);
    offer(b, "K1 I2 K3 D4 I5 D6 K7 D8 K9");
    // K1 made room for D4 (K3 waited after it); I5 replaced I2 and its stream (K3 D4); D6 came before
    // I5's first key; K9 made room by dropping K7 with its delta. I5 stays throughout.
    assertEquals("I5 K9", drain(b));
    ClientFrameBuffer<String> full = new ClientFrameBuffer<>(1);
    offer(full, "K1 K2 I3 K4 K5");
    assertEquals("I3 K5", drain(full));
  }

  /** Random streams and random reading: every delta handed out follows its predecessor. */
  @Test
  void l2_randomStreams_neverADeltaWithoutItsReference_neverOverTheBound() {
    Random rnd = new Random(12);
    for (int run = 0; run < 200; run++) {
      int capacity = 1 + rnd.nextInt(6);
      ClientFrameBuffer<Integer> b = new ClientFrameBuffer<>(capacity);
      List<FrameKind> sent = new ArrayList<>();
      int lastOut = -1;
      int newestInit = -1;
      for (int i = 0; i < 300; i++) {
        int r = rnd.nextInt(20);
        FrameKind kind = r == 0 ? FrameKind.INIT : r < 5 ? FrameKind.KEY : FrameKind.DELTA;
        sent.add(kind);
        if (kind == FrameKind.INIT) {
          newestInit = i;
        }
        b.offer(frame(kind), i);
        assertTrue(b.size() <= capacity + 1, "bounded");
        int reads = rnd.nextInt(3) == 0 ? rnd.nextInt(capacity + 2) : 0;
        for (int k = 0; k < reads; k++) {
          ClientFrameBuffer.Entry<Integer> e = b.poll();
          if (e == null) {
            break;
          }
          int seq = e.tag();
          assertTrue(seq > lastOut, "in order");
          if (e.frame().kind() == FrameKind.DELTA) {
            assertEquals(lastOut, seq - 1, "delta " + seq + " after " + lastOut + " in run " + run);
            assertTrue(sent.get(seq - 1) != FrameKind.INIT, "a stream starts at a key frame");
          }
          if (seq == newestInit) {
            newestInit = -1;
          }
          lastOut = seq;
        }
      }
      for (ClientFrameBuffer.Entry<Integer> e = b.poll(); e != null; e = b.poll()) {
        if (e.tag() == newestInit) {
          newestInit = -1;
        }
        if (e.frame().kind() == FrameKind.DELTA) {
          assertEquals(lastOut, e.tag() - 1, "delta " + e.tag() + " in run " + run);
          assertTrue(sent.get(e.tag() - 1) != FrameKind.INIT, "a stream starts at a key frame");
        }
        lastOut = e.tag();
      }
      assertEquals(-1, newestInit, "the newest INIT came out, run " + run);
      assertNull(b.poll());
    }
  }
}
