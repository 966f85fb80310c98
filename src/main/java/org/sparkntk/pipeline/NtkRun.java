package org.sparkntk.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Model;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.Lanczos;
import org.sparkntk.solver.Spectrum;

/**
 * What a job computed.
 *
 * @param model      the model whose outputs f_0 the dynamics start from: the network ({@code Mlp}) or the
 *                   random-features model
 * @param mapping    the fixed input mapping applied before it
 * @param trainGram  Θ(X, X)
 * @param crossGram  Θ(X*, X), or null without test data
 * @param fit        the solver's predictions and losses
 * @param metrics    the content of metrics.json
 * @param outputDir  the local directory the outputs were written to, or null when none were asked for or
 *                   output.dir is a URI written through Hadoop's FileSystem API (see {@code output})
 * @param spectrum   the eigen-decomposition of the training Gram with output.spectrum = true, else null
 * @param topEigenpairs the distributed backend's spectrum (the top output.eigenvectors eigenpairs by Lanczos)
 *                   with output.spectrum = true, else null
 * @param output     output.dir as given (a local path or a URI such as {@code hdfs://…}), or null when none
 *                   was asked for
 * @param centers    solver.type = nystrom: the training rows (0-based, ascending) that are the centres, whose
 *                   coefficients the fit holds; else null
 */
public record NtkRun(Model model, InputMapping mapping, GramMatrix trainGram, GramMatrix crossGram, FitResult fit,
                     ObjectNode metrics, Path outputDir, Spectrum spectrum, Lanczos.Eigenpairs topEigenpairs,
                     String output, long[] centers) {

  /** Whether the Gram stayed on the executors (the distributed backend): trainGram and crossGram are then null. */
  public boolean distributed() {
    return trainGram == null;
  }
}
