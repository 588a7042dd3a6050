package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class LifeSourceTest {

  private static LifeSource emptyBoard() {
    LifeSource life = new LifeSource(16, 16, 4, 42);
    life.clear();
    return life;
  }

  @Test
  void blinkerOscillatesWithPeriodTwo() {
    LifeSource life = emptyBoard();
    life.set(5, 4, true);
    life.set(5, 5, true);
    life.set(5, 6, true);
    life.step();
    assertTrue(life.alive(4, 5) && life.alive(5, 5) && life.alive(6, 5), "horizontal after one step");
    assertFalse(life.alive(5, 4) || life.alive(5, 6), "vertical ends gone");
    life.step();
    assertTrue(life.alive(5, 4) && life.alive(5, 5) && life.alive(5, 6), "vertical again");
    assertEquals(3, life.population());
  }

  @Test
  void gliderMovesOneCellDiagonallyEveryFourGenerations_acrossTheWrappingEdge() {
    LifeSource life = emptyBoard();
    int[][] glider = {{1, 0}, {2, 1}, {0, 2}, {1, 2}, {2, 2}};
    for (int[] c : glider) {
      life.set(c[0] + 13, c[1] + 13, true); // close to the bottom-right corner
    }
    for (int i = 0; i < 8; i++) {
      life.step();
    }
    for (int[] c : glider) {
      assertTrue(life.alive(c[0] + 15, c[1] + 15), "moved by (2, 2) with wrap-around: " + c[0] + "," + c[1]);
    }
    assertEquals(5, life.population());
  }

  @Test
  void deadBoardIsSeededAgain() {
    LifeSource life = emptyBoard();
    life.set(3, 3, true); // a lonely cell dies at once
    life.step();
    assertTrue(life.population() > 0, "reseeded");
  }

  @Test
  void settledBoardIsSeededAgainAfterThePatience() {
    LifeSource life = emptyBoard();
    for (int[] c : new int[][] {{2, 2}, {3, 2}, {2, 3}, {3, 3}}) {
      life.set(c[0], c[1], true); // a block: a still life
    }
    for (int i = 0; i < LifeSource.PATIENCE - 1; i++) {
      life.step();
    }
    assertEquals(4, life.population(), "still the block");
    life.step();
    assertNotEquals(4, life.population(), "a fresh random board");
  }

  @Test
  void framesAreDecodableJpegsOfTheBoardSize_andKeepComing() throws IOException {
    try (LifeSource life = new LifeSource(40, 30, 5, 7)) {
      life.open();
      Frame first = life.nextFrame();
      Frame second = life.nextFrame();
      assertEquals("image/jpeg", first.contentType());
      assertEquals(FrameKind.KEY, first.kind());
      assertEquals(200, first.width().orElseThrow());
      assertEquals(150, first.height().orElseThrow());
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(first.copyPayload()));
      assertEquals(200, image.getWidth());
      assertEquals(150, image.getHeight());
      assertNotEquals(first, second, "the board moves");
      assertEquals(2, life.generation());

      life.close();
      Frame afterClose = life.nextFrame();
      assertEquals(200, ImageIO.read(new ByteArrayInputStream(afterClose.copyPayload())).getWidth(),
          "a closed source reopens on the next frame");
    }
  }

  @Test
  void rejectsSizesOutOfRange() {
    assertThrows(IllegalArgumentException.class, () -> new LifeSource(4, 16, 4, 1));
    assertThrows(IllegalArgumentException.class, () -> new LifeSource(16, 16, 0, 1));
  }
}
