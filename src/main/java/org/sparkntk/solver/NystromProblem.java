package org.sparkntk.solver;

import org.sparkntk.kernel.GramMatrix;

/**
 * What Nyström regression needs: the kernel of the training rows against M centres chosen among
 * them, Θ(X, C), seen through products both ways; the centres' own kernel Θ(C, C), dense on the
 * driver; the test rows against the centres, Θ(X*, C); and the outputs f_0 and targets as in
 * {@link OperatorProblem}. With k kernel rows per example, Θ(X, C) is [N·k × M·k].
 *
 * @param trainCenters Θ(X, C), [N·k × M·k]
 * @param centerGram   Θ(C, C), [M·k × M·k]
 * @param testCenters  Θ(X*, C), [M*·k × M·k], or null without test rows
 * @param f0Train      f_0(X), [N × O]
 * @param yTrain       Y, [N × O]
 * @param f0Test       f_0(X*), [M* × O], or null
 * @param yTest        Y*, [M* × O], or null
 * @param outputs      O
 */
public record NystromProblem(TransposableOperator trainCenters, GramMatrix centerGram, KernelOperator testCenters,
                             double[] f0Train, double[] yTrain, double[] f0Test, double[] yTest, int outputs) {

  public NystromProblem {
    int k = trainCenters.rowsPerExample();
    if (centerGram.rows() != trainCenters.cols() || centerGram.cols() != trainCenters.cols()
        || centerGram.rowsPerExample() != k) {
      throw new IllegalArgumentException("the centres' kernel is " + centerGram.rows() + " × " + centerGram.cols()
          + " but Θ(X, C) has " + trainCenters.cols() + " columns");
    }
    if (testCenters != null && (testCenters.cols() != trainCenters.cols() || testCenters.rowsPerExample() != k)) {
      throw new IllegalArgumentException("Θ(X*, C) has " + testCenters.cols() + " columns, Θ(X, C) "
          + trainCenters.cols());
    }
    // the shapes of f_0 and the targets against the training rows, as for the exact problem
    OperatorProblem.checkShapes(trainCenters.rows(), trainCenters.rows(), k,
        testCenters == null ? -1 : testCenters.rows(), testCenters == null ? -1 : trainCenters.rows(),
        testCenters == null ? -1 : k, f0Train, yTrain, f0Test, yTest, outputs);
  }

  /** N. */
  public int trainExamples() {
    return trainCenters.rows() / trainCenters.rowsPerExample();
  }

  /** M. */
  public int centers() {
    return trainCenters.cols() / trainCenters.rowsPerExample();
  }

  /** Columns of the right-hand side, O/k. */
  int columns() {
    return outputs / trainCenters.rowsPerExample();
  }
}
