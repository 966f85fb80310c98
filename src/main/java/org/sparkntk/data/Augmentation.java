package org.sparkntk.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Training-set augmentation by one-pixel shifts ({@code data.augment = shifts}), as in the
 * classic MNIST augmentations: every square image of side s (s² features, row-major) gives 9 rows,
 * itself and its shifts by one pixel in the 8 directions, the pixels shifted in filled with 0.
 * The new rows are generated on the executors from the examples already read (nothing is written
 * out): row i·9 + t is shift t of image i, t = 0 the image itself, then (dy, dx) in reading order
 * over {−1, 0, 1}² without (0, 0); labels are copied.
 */
public final class Augmentation {
  /** The (dy, dx) of shift t = 1 … 8 (t = 0 is the image itself). */
  static final int[][] SHIFTS = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}};
  /** Rows per image. */
  public static final int COPIES = SHIFTS.length + 1;

  private Augmentation() {}

  /** The images of {@code data} with their 8 one-pixel shifts: 9 rows per row. */
  public static LabeledData shifts(LabeledData data) {
    int d = data.featureCount();
    int side = (int) Math.round(Math.sqrt(d));
    if (side * side != d || side < 2) {
      throw new DataException(data.name() + " has " + d + " feature columns; data.augment = shifts needs square "
          + "images of side ≥ 2, s² features in row-major order (e.g. 784 for 28 × 28)");
    }
    return new LabeledData(data.name() + ", with its 8 one-pixel shifts", data.examples().flatMap(e -> {
      List<Example> rows = new ArrayList<>(COPIES);
      rows.add(new Example(e.index() * COPIES, e.features(), e.labels()));
      for (int t = 0; t < SHIFTS.length; t++) {
        rows.add(new Example(e.index() * COPIES + t + 1, shifted(e.features(), side, SHIFTS[t][0], SHIFTS[t][1]),
            e.labels()));
      }
      return rows.iterator();
    }), data.count() * COPIES, data.features(), data.labels());
  }

  /** The image moved by dy rows and dx columns: out(r, c) = in(r − dy, c − dx), 0 outside. */
  static double[] shifted(double[] image, int side, int dy, int dx) {
    double[] out = new double[image.length];
    for (int r = 0; r < side; r++) {
      int from = r - dy;
      if (from < 0 || from >= side) {
        continue;
      }
      for (int c = 0; c < side; c++) {
        int fc = c - dx;
        if (fc >= 0 && fc < side) {
          out[r * side + c] = image[from * side + fc];
        }
      }
    }
    return out;
  }
}
