package org.sparkntk.solver;

import java.util.List;

/** The registry of solvers: solver.type names the one a fit runs. A new solver is one class and one entry here. */
public final class Solvers {
  private static final List<Solver> ALL = List.of(new StepsSolver(), new FlowSolver(), new RegressionSolver(),
      new NystromSolver());

  private Solvers() {}

  /** The solver registered as {@code type}. */
  public static Solver of(String type) {
    for (Solver s : ALL) {
      if (s.type().equals(type)) {
        return s;
      }
    }
    throw new IllegalArgumentException("solver.type = " + type + " is not one of " + String.join(", ", types()));
  }

  /** Every registered solver.type, in registration order. */
  public static String[] types() {
    return ALL.stream().map(Solver::type).toArray(String[]::new);
  }
}
