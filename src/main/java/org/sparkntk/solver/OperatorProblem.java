package org.sparkntk.solver;

/**
 * What the iterative solvers need: the training kernel Θ(X, X) and the cross kernel Θ(X*, X) as
 * {@link KernelOperator}s, the outputs f_0 and the targets. Layouts as in {@link KernelProblem}.
 *
 * @param train   Θ(X, X), [N·k × N·k]
 * @param cross   Θ(X*, X), [M·k × N·k], or null without test rows
 * @param f0Train f_0(X), [N × O]
 * @param yTrain  Y, [N × O]
 * @param f0Test  f_0(X*), [M × O], or null
 * @param yTest   Y*, [M × O], or null
 * @param outputs O
 */
public record OperatorProblem(KernelOperator train, KernelOperator cross, double[] f0Train, double[] yTrain,
                              double[] f0Test, double[] yTest, int outputs) {

  public OperatorProblem {
    checkShapes(train.rows(), train.cols(), train.rowsPerExample(), cross == null ? -1 : cross.rows(),
        cross == null ? -1 : cross.cols(), cross == null ? -1 : cross.rowsPerExample(), f0Train, yTrain, f0Test, yTest,
        outputs);
  }

  /**
   * The shapes both problem forms need: a square training kernel of k rows per example with k
   * dividing O, outputs and labels of N × O, and a cross kernel (crossRows ≥ 0) of the training
   * kernel's columns and k with test outputs (and labels, when given) of M × O.
   */
  static void checkShapes(int trainRows, int trainCols, int k, int crossRows, int crossCols, int crossK,
                          double[] f0Train, double[] yTrain, double[] f0Test, double[] yTest, int outputs) {
    if (trainRows != trainCols) {
      throw new IllegalArgumentException("the training kernel must be square, got " + trainRows + " × " + trainCols);
    }
    if (outputs % k != 0) {
      throw new IllegalArgumentException("kernel has " + k + " rows per example but the model has " + outputs
          + " outputs");
    }
    long n = (long) trainRows / k;
    check("f0 of the training rows", f0Train, n * outputs);
    check("training labels", yTrain, n * outputs);
    if (crossRows >= 0) {
      if (crossCols != trainCols || crossK != k) {
        throw new IllegalArgumentException("cross kernel is " + crossRows + " × " + crossCols
            + " but the training kernel has " + trainCols + " columns");
      }
      check("f0 of the test rows", f0Test, (long) crossRows / k * outputs);
      if (yTest != null) {
        check("test labels", yTest, (long) crossRows / k * outputs);
      }
    }
  }

  /** The same problem over dense kernels, for the driver backend and the tests. */
  public static OperatorProblem dense(KernelProblem p) {
    return new OperatorProblem(new DenseKernelOperator(p.train()),
        p.cross() == null ? null : new DenseKernelOperator(p.cross()), p.f0Train(), p.yTrain(), p.f0Test(),
        p.yTest(), p.outputs());
  }

  private static void check(String what, double[] a, long expected) {
    if (a == null || a.length != expected) {
      throw new IllegalArgumentException(what + " has " + (a == null ? "no" : a.length) + " values, expected "
          + expected);
    }
  }

  /** N. */
  public int trainExamples() {
    return train.rows() / train.rowsPerExample();
  }

  /** Kernel size N·k. */
  int kernelSize() {
    return train.rows();
  }

  /** Columns of the right-hand side, O/k. */
  int columns() {
    return outputs / train.rowsPerExample();
  }
}
