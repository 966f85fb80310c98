package org.sparkntk.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.text.AttributedCharacterIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.LogTick;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.Test;

/** The tick generator of short log axes: round labels where LogAxis would print 63.0957, 158.4893. */
class PlotsTest {
  /** One significant digit: 1, 2, 5, 0.05, 300 (a 1-2-5 or 1…9 × 10^k tick). */
  private static final Pattern ROUND = Pattern.compile("0\\.0*[1-9]|[1-9]0*");

  /** A 1.2-decade axis (50 … 792.4) gets 50, 100, 200, 500: 1-2-5 × 10^k, at least three. */
  @Test
  void aDecadeAndAFifthGetsOneTwoFive() {
    double lower = 50;
    double upper = 50 * Math.pow(10, 1.2);
    assertArrayEquals(new double[] {50, 100, 200, 500}, Plots.roundLogTicks(lower, upper));
    assertArrayEquals(new double[] {0.02, 0.05, 0.1}, Plots.roundLogTicks(0.011, 0.011 * Math.pow(10, 1.2)));
  }

  /** Shorter spans fall back to 1…9 × 10^k, then to a linear 1-2-2.5-5 step; every tick lies in range. */
  @Test
  void shorterSpans() {
    assertArrayEquals(new double[] {0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1},
        Plots.roundLogTicks(0.03, 0.12));
    double[] narrow = Plots.roundLogTicks(0.0301, 0.0349);
    assertArrayEquals(new double[] {0.031, 0.032, 0.033, 0.034}, narrow);
    for (double[] range : new double[][] {{63, 1100}, {0.0095, 0.16}, {1.5, 9.9}, {0.7, 1.3}, {123, 129}}) {
      double[] ticks = Plots.roundLogTicks(range[0], range[1]);
      assertTrue(ticks.length >= 3 && ticks.length <= 10, range[0] + " … " + range[1] + ": " + ticks.length);
      for (double t : ticks) {
        assertTrue(t >= range[0] && t <= range[1], t + " outside " + range[0] + " … " + range[1]);
      }
    }
  }

  /**
   * The axis the plots draw: on the dynamics report's width axis (widths 64 … 1024 plus JFreeChart's
   * margins, 1.2 decades and more) every label LogAxis draws is a round number, and a two-decade axis
   * keeps its ticks at powers of ten.
   */
  @Test
  void drawnLabelsOfAShortLogAxisAreRound() {
    Plots.Series widths = new Plots.Series("w", new double[] {64, 256, 1024}, new double[] {0.05, 0.03, 0.01}, true);
    List<String> labels = drawnLabels(Plots.xyAxis("hidden width", true, widths));
    assertTrue(labels.size() >= 3, labels.toString());
    for (String label : labels) {
      assertTrue(ROUND.matcher(label).matches(), "label " + label + " of " + labels);
    }
    assertEquals(List.of("100", "200", "500", "1000"), labels);
    List<String> y = drawnLabels(Plots.xyAxis("rmse", false, widths));
    assertEquals(List.of("0.01", "0.02", "0.05"), y);
    Plots.Series wide = new Plots.Series("w", new double[] {1, 1000}, new double[] {1, 1}, true);
    assertEquals(List.of("1", "10", "100", "1000"), drawnLabels(Plots.xyAxis("x", true, wide)));
  }

  private static List<String> drawnLabels(org.jfree.chart.axis.LogAxis axis) {
    Graphics2D g2 = new BufferedImage(800, 560, BufferedImage.TYPE_INT_RGB).createGraphics();
    @SuppressWarnings("unchecked")
    List<Object> ticks = axis.refreshTicks(g2, new AxisState(), new Rectangle2D.Double(60, 20, 700, 480),
        RectangleEdge.BOTTOM);
    List<String> labels = new ArrayList<>();
    for (Object t : ticks) {
      LogTick tick = (LogTick) t;
      if (tick.getAttributedLabel() == null) {
        continue;
      }
      AttributedCharacterIterator it = tick.getAttributedLabel().getIterator();
      StringBuilder s = new StringBuilder();
      for (char c = it.first(); c != AttributedCharacterIterator.DONE; c = it.next()) {
        s.append(c);
      }
      labels.add(s.toString());
    }
    return labels;
  }
}
