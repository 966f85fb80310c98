package org.sparkntk.solver;

import org.sparkntk.kernel.GramMatrix;

/**
 * Everything the driver-side solver needs, in the layout of docs/THEORY.md §5.
 *
 * <p>Outputs are row-major [examples × O]. With a trace kernel (k = 1) the N×N kernel acts on
 * each of the O output columns; with a full kernel (k = O) the NO×NO kernel acts on the vector of
 * all outputs with index i·O + a, which is the same memory. Either way the solver works with an
 * [N·k × O/k] right-hand side.
 *
 * @param train    Θ(X, X), [N·k × N·k]
 * @param cross    Θ(X*, X), [M·k × N·k], or null without test rows
 * @param f0Train  f_0(X), [N × O]
 * @param yTrain   Y, [N × O]
 * @param f0Test   f_0(X*), [M × O], or null
 * @param yTest    Y*, [M × O], or null when the test rows have no labels
 * @param outputs  O
 */
public record KernelProblem(GramMatrix train, GramMatrix cross, double[] f0Train, double[] yTrain,
                            double[] f0Test, double[] yTest, int outputs) {

  public KernelProblem {
    OperatorProblem.checkShapes(train.rows(), train.cols(), train.rowsPerExample(), cross == null ? -1 : cross.rows(),
        cross == null ? -1 : cross.cols(), cross == null ? -1 : cross.rowsPerExample(), f0Train, yTrain, f0Test, yTest,
        outputs);
  }

  /** N. */
  public int trainExamples() {
    return train.rows() / train.rowsPerExample();
  }

  /** M (0 without test rows). */
  public int testExamples() {
    return cross == null ? 0 : cross.rows() / cross.rowsPerExample();
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
