package org.sparkntk.kernel.empirical;

import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.KernelOutputs;
import org.sparkntk.model.Mlp;

/** The explicit route against the contract (its Jacobians are checked against autograd elsewhere). */
class ExplicitNtkTest extends EmpiricalNtkContract {
  @Override
  BlockKernel<?> kernel(Mlp mlp, KernelOutputs outputs) {
    return new ExplicitNtk(mlp, outputs);
  }
}
