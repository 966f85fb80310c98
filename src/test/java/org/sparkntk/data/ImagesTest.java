package org.sparkntk.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PSNR on known pairs, the area-average resampling, and the rendered text image. */
class ImagesTest {

  /**
   * Known pairs: a uniform error of 0.1 gives MSE 0.01, so PSNR = 20 dB exactly; an error of 0.5 on
   * one value in four gives MSE 0.0625 and 12.0412 dB; identical images give +∞.
   */
  @Test
  void psnrOfKnownPairs() {
    double[] a = {0.2, 0.4, 0.6, 0.8};
    double[] shifted = {0.3, 0.5, 0.7, 0.9};
    assertEquals(20.0, Images.psnr(a, shifted), 1e-12);
    double[] oneOff = {0.7, 0.4, 0.6, 0.8};
    assertEquals(-10 * Math.log10(0.0625), Images.psnr(a, oneOff), 1e-12);
    assertEquals(12.041199826559248, Images.psnr(a, oneOff), 1e-12);
    assertEquals(Double.POSITIVE_INFINITY, Images.psnr(a, a.clone()));
    assertThrows(IllegalArgumentException.class, () -> Images.psnr(a, new double[3]));
  }

  /**
   * A 6×4 file (a 4×4 central square after cropping 1 column each side) resampled to 2×2 and to
   * 3×3: each output pixel is the area-weighted mean of the source pixels it covers, computed here
   * by hand.
   */
  @Test
  void readCropsTheCentralSquareAndAreaAverages(@TempDir Path dir) throws IOException {
    BufferedImage img = new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 6; x++) {
        int red = x == 0 || x == 5 ? 255 : 40 * (x - 1) + 10 * y; // the cropped border is bright red
        img.setRGB(x, y, (red << 16) | (y * 50 << 8) | 7);
      }
    }
    Path file = dir.resolve("img.png");
    ImageIO.write(img, "png", file.toFile());
    Images.Rgb half = Images.read(file, 2);
    // output (0, 0) covers source columns 1–2, rows 0–1: reds 0, 40, 10, 50
    assertEquals((0 + 40 + 10 + 50) / 4.0 / 255, half.get(0, 0, 0), 1e-12);
    assertEquals((0 + 0 + 50 + 50) / 4.0 / 255, half.get(0, 0, 1), 1e-12);
    assertEquals(7 / 255.0, half.get(1, 1, 2), 1e-12);
    Images.Rgb third = Images.read(file, 3);
    // output (0, 0) covers 4/3 source pixels each way: weights 1, 1/3 → (1·1·0 + 1·⅓·40 + ⅓·1·10 + ⅓·⅓·50)/(16/9)
    double want = (0 + 40 / 3.0 + 10 / 3.0 + 50 / 9.0) / (16 / 9.0) / 255;
    assertEquals(want, third.get(0, 0, 0), 1e-12);
    IOException e = assertThrows(IOException.class, () -> Images.read(dir.resolve("none.png"), 2));
    assertTrue(e.getMessage().contains("none.png"));
    Files.writeString(dir.resolve("bad.png"), "not an image");
    e = assertThrows(IOException.class, () -> Images.read(dir.resolve("bad.png"), 2));
    assertTrue(e.getMessage().contains("not a format ImageIO reads"));
  }

  @Test
  void renderedTextHasInkAndPaper() {
    Images.Rgb text = Images.renderedText(64);
    assertEquals(3 * 64 * 64, text.pixels().length);
    int paper = 0;
    int ink = 0;
    for (int i = 0; i < 64 * 64; i++) {
      double mean = (text.pixels()[3 * i] + text.pixels()[3 * i + 1] + text.pixels()[3 * i + 2]) / 3;
      paper += mean > 0.99 ? 1 : 0;
      ink += mean < 0.6 ? 1 : 0;
    }
    assertTrue(paper > 64 * 64 / 2, "mostly white paper: " + paper);
    assertTrue(ink > 64 * 64 / 20, "visible ink: " + ink);
    org.junit.jupiter.api.Assertions.assertArrayEquals(text.pixels(), Images.renderedText(64).pixels(), 0.0);
  }
}
