package io.framestream.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The load tool's order of peers per repetition: a balanced Latin square (Williams design). */
class RunOrderTest {

  @Test
  void fourPeers_eachRunsInEveryPlaceOnce_andAfterEveryOtherOnce_overFourRepetitions() {
    assertArrayEquals(new int[] {0, 1, 3, 2}, LoadTool.runOrder(4, 0), "repetition 0: the canonical order, then mixed");
    checkBalanced(4, 4);
  }

  @Test
  void oddCounts_needTheMirroredRows_andRowsRepeatAfterTheLast() {
    checkBalanced(3, 6);
    checkBalanced(5, 10);
    assertArrayEquals(LoadTool.runOrder(3, 1), LoadTool.runOrder(3, 7));
    assertArrayEquals(new int[] {0}, LoadTool.runOrder(1, 5));
    assertArrayEquals(new int[] {1, 0}, LoadTool.runOrder(2, 1));
    assertEquals(0, LoadTool.runOrder(0, 3).length);
  }

  /** Every row a permutation; every place taken by every peer, and every ordered pair adjacent, equally often. */
  private static void checkBalanced(int n, int rows) {
    int[][] place = new int[n][n];
    int[][] follows = new int[n][n];
    for (int r = 0; r < rows; r++) {
      int[] order = LoadTool.runOrder(n, r);
      int[] sorted = order.clone();
      Arrays.sort(sorted);
      for (int j = 0; j < n; j++) {
        assertEquals(j, sorted[j], "row " + r + " is a permutation: " + Arrays.toString(order));
        place[order[j]][j]++;
        if (j > 0) {
          follows[order[j - 1]][order[j]]++;
        }
      }
    }
    for (int a = 0; a < n; a++) {
      for (int j = 0; j < n; j++) {
        assertEquals(rows / n, place[a][j], "peer " + a + " in place " + j);
      }
      for (int b = 0; b < n; b++) {
        if (a != b) {
          assertEquals(rows / n, follows[a][b], "peer " + b + " right after peer " + a);
        }
      }
    }
  }
}
