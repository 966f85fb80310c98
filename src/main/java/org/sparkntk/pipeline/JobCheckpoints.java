package org.sparkntk.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkntk.blocks.BlockFiles;
import org.sparkntk.blocks.BlockKey;
import org.sparkntk.blocks.RowBlocks;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.RowBlock;
import org.sparkntk.io.BlockIndex;
import org.sparkntk.io.GramCheckpoint;
import org.sparkntk.io.Npy;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.io.PcgCheckpoint;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.Precision;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Model;
import org.sparkntk.solver.SolverSettings;

/**
 * The job's block and solver files under output.dir: the Gram checkpoints of both backends, their
 * fingerprints, the distributed backend's block files (output.checkpoint, output.gram) and their
 * index.json, and the PCG checkpoint.
 */
public final class JobCheckpoints {
  private JobCheckpoints() {}

  /** output.gram's block directories on the distributed backend. */
  static final String GRAM_DIR = "gram";
  static final String CROSS_DIR = "cross";

  /**
   * The checkpoints of the training Gram and (with test rows) the cross kernel under
   * output.dir/checkpoint/. Their fingerprints cover everything a block depends on: the rows the
   * kernel sees (contents and order, after the input mapping), the model's parameters, every
   * setting except solver.*, output.*, report.*, the data paths and kernel.maxDriverBytes, and the
   * block plans; so a rerun with only a new solver reuses the blocks, and new data, a new model
   * or new kernel settings never meet old blocks.
   */
  static GramCheckpoint[] openCheckpoints(OutputFiles out, JobConfig config, Model model,
                                                  BlockKernel<?> kernel, JavaRDD<RowBlock> trainBlocks,
                                                  BlockPlan trainPlan, JavaRDD<RowBlock> testBlocks,
                                                  BlockPlan testPlan) {
    String[] what = gramFingerprintTexts(config, model, kernel, trainBlocks, trainPlan, testBlocks, testPlan);
    int k = kernel.rowsPerExample();
    try {
      GramCheckpoint trainStore = GramCheckpoint.open(out, "training-gram", JobConfig.sha256Hex(what[0]), trainPlan,
          trainPlan, k);
      GramCheckpoint crossStore = testBlocks == null ? null : GramCheckpoint.open(out, "cross-kernel",
          JobConfig.sha256Hex(what[1]), testPlan, trainPlan, k);
      return new GramCheckpoint[] {trainStore, crossStore};
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the Gram checkpoint in " + out.location(GramCheckpoint.DIR)
          + ": " + e.getMessage(), e);
    }
  }

  /**
   * What the blocks of the training Gram and (with test rows, else null) the cross kernel depend
   * on, as text for a fingerprint ({@link #openCheckpoints}).
   */
  static String[] gramFingerprintTexts(JobConfig config, Model model, BlockKernel<?> kernel,
                                               JavaRDD<RowBlock> trainBlocks, BlockPlan trainPlan,
                                               JavaRDD<RowBlock> testBlocks, BlockPlan testPlan) {
    String settings = config.fingerprint(key -> !key.name().startsWith("solver.") && !key.name().startsWith("output.")
        && !key.name().startsWith("report.") && key != ConfigKeys.DATA_TRAIN && key != ConfigKeys.DATA_TEST
        && key != ConfigKeys.KERNEL_MAX_DRIVER_BYTES);
    String modelDigest = model instanceof Mlp mlp
        ? JobConfig.sha256Hex(mlp.describe() + Arrays.toString(mlp.parameters())) : model.describe();
    String common = "settings " + settings + "\nmodel " + modelDigest + "\nkernel " + kernel.describe()
        + "\nrows per example " + kernel.rowsPerExample();
    String train = common + "\ntraining rows " + RowBlocks.digest(trainBlocks) + " " + trainPlan;
    return new String[] {train,
        testBlocks == null ? null : train + "\ntest rows " + RowBlocks.digest(testBlocks) + " " + testPlan};
  }

  /**
   * The block files of the distributed backend: with output.checkpoint the checkpoints of the
   * training Gram and the cross kernel (checkpoint/training-gram/, checkpoint/cross-kernel/, the
   * executors' block files in kernel.precision; their fingerprint is the driver checkpoint's
   * plus that storage, so the two backends' checkpoints are never mixed) and, for regression,
   * the PCG checkpoint (checkpoint/pcg/); with output.gram the block files gram/ and cross/
   * (a previous run's are deleted first). Every file the executors will write is listed in the
   * journal before the jobs start.
   */
  static DistributedSolve.Files distributedFiles(JavaSparkContext sc, OutputFiles out, JobConfig config,
                                                         Model model, BlockKernel<?> kernel,
                                                         JavaRDD<RowBlock> trainBlocks, BlockPlan trainPlan,
                                                         JavaRDD<RowBlock> testBlocks, BlockPlan testPlan,
                                                         double[] yTrain, double[] f0Train, boolean checkpoint,
                                                         boolean gram) throws IOException {
    Precision precision = config.get(ConfigKeys.KERNEL_PRECISION);
    int k = kernel.rowsPerExample();
    BlockFiles trainCheckpoint = null;
    BlockFiles crossCheckpoint = null;
    PcgCheckpoint pcg = null;
    if (checkpoint) {
      String[] what = gramFingerprintTexts(config, model, kernel, trainBlocks, trainPlan, testBlocks, testPlan);
      String storage = "\nstored as block files written by the executors in " + precision.configName();
      String trainPrint = JobConfig.sha256Hex(what[0] + storage);
      trainCheckpoint = blockFiles(sc, out, GramCheckpoint.DIR + "/training-gram", trainPrint, trainPlan, trainPlan,
          k, precision, true);
      if (testBlocks != null) {
        crossCheckpoint = blockFiles(sc, out, GramCheckpoint.DIR + "/cross-kernel",
            JobConfig.sha256Hex(what[1] + storage), testPlan, trainPlan, k, precision, false);
      }
      if (config.get(ConfigKeys.SOLVER_TYPE).equals("regression")) {
        SolverSettings s = FitRequests.settings(config);
        double[] b = new double[yTrain.length];
        for (int i = 0; i < b.length; i++) {
          b[i] = yTrain[i] - f0Train[i];
        }
        String iterate = JobConfig.sha256Hex(trainPrint + "\nright-hand side Y - f0 " + digest(b) + "\nridge "
            + config.get(ConfigKeys.SOLVER_RIDGE));
        String basis = JobConfig.sha256Hex(trainPrint + "\nNystrom rank " + s.rank() + " seed " + s.seed());
        // X is [N·k × c] with c = O / k right-hand-side columns (OperatorProblem.columns).
        pcg = new PcgCheckpoint(out, iterate, basis, model.outputs() / k);
      }
    }
    BlockFiles trainExport = null;
    BlockFiles crossExport = null;
    if (gram) {
      out.delete(GRAM_DIR);
      trainExport = blockFiles(sc, out, GRAM_DIR, null, trainPlan, trainPlan, k, precision, true);
      out.delete(CROSS_DIR);
      if (testBlocks != null) {
        crossExport = blockFiles(sc, out, CROSS_DIR, null, testPlan, trainPlan, k, precision, false);
      }
    }
    return new DistributedSolve.Files(trainCheckpoint, crossCheckpoint, trainExport, crossExport, pcg);
  }

  /**
   * The block directory {@code rel}: claimed for {@code fingerprint} when it is a checkpoint (null:
   * an output directory), its temporary directory created and every block file listed in the
   * journal before an executor writes it.
   */
  static BlockFiles blockFiles(JavaSparkContext sc, OutputFiles out, String rel, String fingerprint,
                                       BlockPlan rowPlan, BlockPlan colPlan, int k, Precision precision,
                                       boolean symmetric) throws IOException {
    if (fingerprint != null) {
      GramCheckpoint.claimDirectory(out, rel.substring(rel.indexOf('/') + 1), fingerprint);
    }
    BlockFiles files = new BlockFiles(out.uri(rel), sc.hadoopConfiguration(), rowPlan, colPlan, k, precision, symmetric);
    out.expectFiles(rel, files.keys().stream().map(b -> BlockFiles.fileName(b.row(), b.col())).toList());
    out.workDirectory(rel + "/" + BlockFiles.TEMP_DIR);
    return files;
  }

  /**
   * output.gram on the distributed backend: records the block files the executors wrote under
   * {@code rel} for the manifest (with the size and SHA-256 they reported), removes the
   * temporary directory, and writes {@code rel/index.json} last.
   */
  static void indexBlockFiles(OutputFiles out, String rel, String name, BlockFiles files,
                                      DistributedSolve.Built built, long rowExamples, long colExamples, int k,
                                      int blockSize, boolean symmetric) throws IOException {
    Map<BlockKey, BlockFiles.Written> byKey = new HashMap<>();
    for (BlockFiles.Written w : built.exported()) {
      byKey.put(new BlockKey(w.row(), w.col()), w);
    }
    List<BlockIndex.Block> blocks = new ArrayList<>();
    for (BlockKey key : files.keys()) {
      BlockFiles.Written w = byKey.get(key);
      if (w == null) {
        throw new IllegalStateException(name + ": block (" + key.row() + ", " + key.col() + ") was not written to "
            + out.location(rel) + " (" + built.exported().size() + " of " + files.keys().size()
            + " block files reported)");
      }
      out.recordWritten(rel + "/" + w.file(), w.size(), w.sha256());
      blocks.add(new BlockIndex.Block(key.row(), key.col(), (long) key.row() * blockSize * k, files.rows(key.row()),
          (long) key.col() * blockSize * k, files.cols(key.col()), w.file()));
    }
    out.delete(rel + "/" + BlockFiles.TEMP_DIR);
    BlockIndex.write(out, rel, new BlockIndex.Matrix(name, rowExamples, colExamples, k,
        files.precision() == Precision.FLOAT64 ? Npy.FLOAT64 : Npy.FLOAT32, blockSize, symmetric), blocks);
  }

  /** SHA-256 of the bytes of {@code v}. */
  static String digest(double[] v) {
    ByteBuffer buf = ByteBuffer.allocate(8 * v.length);
    buf.asDoubleBuffer().put(v);
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(buf.array()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
