package org.sparkntk.report;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.Images;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.GramMatrix;
import org.sparkntk.linalg.Lapack;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Model;
import org.sparkntk.pipeline.FitRequests;
import org.sparkntk.pipeline.DriverMemory;
import org.sparkntk.pipeline.JobComponents;
import org.sparkntk.pipeline.NonFinite;
import org.sparkntk.pipeline.NtkJob;
import org.sparkntk.pipeline.NtkRun;
import org.sparkntk.pipeline.SizeGuard;
import org.sparkntk.pipeline.SolverBackend;
import org.sparkntk.solver.FitContext;
import org.sparkntk.solver.FitResult;
import org.sparkntk.solver.GridKernelOperator;
import org.sparkntk.solver.Lanczos;
import org.sparkntk.solver.OperatorProblem;
import org.sparkntk.solver.SolverSettings;
import org.sparkntk.solver.Snapshot;

/**
 * Tancik et al. 2020's image regression with the NTK (docs/THEORY.md §9): pixel coordinates
 * v ∈ [0, 1)² → RGB colour, trained on every other pixel in each direction (a quarter of them) and
 * tested on the other three quarters, for each input mapping of report.mappings, with the images'
 * channels as output columns: the kernel depends only on the coordinates, so one Gram serves every
 * image. Kernel and solver are as configured (the conf uses the analytic NTK and kernel regression
 * from f_0 = 0). A mapping whose kernel is a function of v − v' is solved by products with it as
 * convolutions on the pixel grid ({@link GridKernelOperator}, report.products = auto or fft); any
 * other is one run of the job ({@link NtkJob}) on its backend. Writes
 * <ul>
 *   <li>{@code psnr.csv}, {@code psnr.json}: PSNR = −10 log10 MSE (pixels in [0, 1], predictions
 *       clipped to [0, 1]) on the held-out pixels, and on the training pixels, per image and mapping;</li>
 *   <li>{@code reconstruction_<image>.png}: the original beside every mapping's reconstruction;</li>
 *   <li>{@code spectra.png}: the eigenvalues of the training Gram (the same for every image) per
 *       mapping, log–log: the mappings widen the spectrum, which is why they learn high frequencies.</li>
 * </ul>
 * then manifest.json ({@link OutputFiles}, as the job). The per-mapping job runs get no output.dir
 * and write nothing: the report's manifest lists every file in output.dir that the report produced.
 *
 * <p>Over 400 lines because it holds the experiment's two routes side by side, which its results
 * compare: the job ({@link NtkRun}) for the mappings that are not shift-invariant, and the FFT
 * operator built from one row of the kernel for those that are; the files are written by
 * {@link FourierImageFiles}.
 */
public final class FourierImageReport {
  private static final Logger LOG = LoggerFactory.getLogger(FourierImageReport.class);

  private FourierImageReport() {}

  /** One entry of report.mappings: a kind and, for positional/gaussian, σ. */
  public record MappingSpec(InputMapping.Kind kind, double scale) {
    public String label() {
      return switch (kind) {
        case NONE, BASIC -> kind.configName();
        default -> kind.configName() + " σ=" + FourierImageFiles.fmt(scale);
      };
    }
  }

  /** PSNR of one image under one mapping. */
  public record Score(String image, MappingSpec mapping, double testPsnr, double trainPsnr) {}

  /**
   * How one mapping was solved.
   *
   * @param route       "fft" (products by FFT on the pixel grid) or "job (driver|distributed backend)"
   * @param seconds     wall time of the kernels, the solver and the spectrum
   * @param diagnostics what the iterative solver did (iterations, residuals, products), as in metrics.json
   */
  public record MappingRun(MappingSpec mapping, String route, double[] trainPredictions, double[] testPredictions,
                           double[] eigenvalues, double seconds, Map<String, Object> diagnostics) {
    MappingRun timed(long startedNanos) {
      return new MappingRun(mapping, route, trainPredictions, testPredictions, eigenvalues,
          (System.nanoTime() - startedNanos) / 1e9, diagnostics);
    }
  }

  /**
   * @param spectra the training Gram's eigenvalues per mapping, descending: all of them on the
   *                driver backend, the top {@value #DISTRIBUTED_EIGENVALUES} by Lanczos otherwise
   */
  public record Result(int side, List<Score> scores, List<double[]> spectra, List<MappingRun> runs) {}

  /** Eigenvalues the spectra plot shows when the Gram stays on the executors. */
  static final int DISTRIBUTED_EIGENVALUES = 200;

  /** Training pixels up to which the FFT route plots every eigenvalue (a dense n × n, 128 MiB at 4096). */
  static final int FFT_DENSE_SPECTRUM_PIXELS = 4096;

  public static Result run(SparkSession spark, JobConfig config) {
    List<String> files = new ArrayList<>(List.of("psnr.csv", "spectra.png"));
    for (String name : config.get(ConfigKeys.REPORT_IMAGES)) {
      files.add(FourierImageFiles.reconstructionFile(name.equals("text") ? "text" : Path.of(name).getFileName().toString()));
    }
    try (OutputFiles out = OutputFiles.claim(config, () -> spark.sparkContext().hadoopConfiguration(),
        "psnr.json", files)) {
      return run(spark, config, out);
    }
  }

  private static Result run(SparkSession spark, JobConfig config, OutputFiles out) {
    int side = config.get(ConfigKeys.REPORT_IMAGE_SIZE);
    if (side % 2 != 0) {
      throw new ConfigException("report.imageSize = " + side + " must be even (training pixels are every other one)");
    }
    Long maxDriverBytes = config.get(ConfigKeys.KERNEL_MAX_DRIVER_BYTES);
    SizeGuard.imagePixels(config, side, 3 * config.get(ConfigKeys.REPORT_IMAGES).size(), DISTRIBUTED_EIGENVALUES,
        maxDriverBytes != null ? maxDriverBytes : DriverMemory.defaultLimit());
    List<Images.Rgb> images = new ArrayList<>();
    for (String name : config.get(ConfigKeys.REPORT_IMAGES)) {
      try {
        images.add(name.equals("text") ? Images.renderedText(side) : Images.read(Path.of(name), side));
      } catch (IOException | IllegalArgumentException e) {
        throw new ConfigException("report.images: " + e.getMessage());
      }
    }
    Set<String> files = new HashSet<>();
    for (Images.Rgb image : images) {
      if (!files.add(FourierImageFiles.reconstructionFile(image))) {
        throw new ConfigException("report.images: two images would both be written to " + FourierImageFiles.reconstructionFile(image)
            + "; list each image once, under distinct names");
      }
    }
    List<MappingSpec> mappings = mappings(config);
    int n = side * side / 4;
    int m = side * side - n;
    List<String> labels = new ArrayList<>();
    for (int k = 0; k < images.size(); k++) {
      for (String ch : new String[] {"r", "g", "b"}) {
        labels.add("image" + k + "_" + ch);
      }
    }
    StructType schema = schema(labels);
    int o = labels.size();
    List<Row> trainRows = new ArrayList<>(n);
    List<Row> testRows = new ArrayList<>(m);
    double[] yTrain = new double[n * o];
    double[] yTest = new double[m * o];
    int[] testCells = new int[m];
    for (int r = 0; r < side; r++) {
      for (int c = 0; c < side; c++) {
        Object[] values = new Object[2 + o];
        values[0] = (double) r / side;
        values[1] = (double) c / side;
        boolean isTrain = r % 2 == 0 && c % 2 == 0;
        int row = isTrain ? trainRows.size() : testRows.size();
        for (int k = 0; k < images.size(); k++) {
          for (int ch = 0; ch < 3; ch++) {
            double v = images.get(k).get(r, c, ch);
            values[2 + 3 * k + ch] = v;
            (isTrain ? yTrain : yTest)[row * o + 3 * k + ch] = v;
          }
        }
        if (!isTrain) {
          testCells[row] = r * side + c;
        }
        (isTrain ? trainRows : testRows).add(RowFactory.create(values));
      }
    }
    Dataset<Row> train = spark == null ? null : spark.createDataFrame(trainRows, schema);
    Dataset<Row> test = spark == null ? null : spark.createDataFrame(testRows, schema);
    JobConfig base = config.with(ConfigKeys.OUTPUT_DIR.name(), "").with(ConfigKeys.DATA_LABEL.name(),
        String.join(",", labels)).with(ConfigKeys.KERNEL_OUTPUTS.name(), "trace");
    if (SolverBackend.choose(base, n, m, 1, labels.size(), base.get(ConfigKeys.SOLVER_TYPE), false).distributed()) {
      // The Gram stays on the executors (e.g. report.imageSize = 512, 65,536 training pixels): the
      // spectra plot shows its largest eigenvalues, by Lanczos.
      base = base.with(ConfigKeys.OUTPUT_SPECTRUM.name(), "true").with(ConfigKeys.OUTPUT_EIGENVECTORS.name(),
          Integer.toString(Math.min(n, DISTRIBUTED_EIGENVALUES))).with(ConfigKeys.OUTPUT_GRAM.name(), "false");
    }
    String products = config.get(ConfigKeys.REPORT_PRODUCTS);
    List<Score> scores = new ArrayList<>();
    List<double[]> spectra = new ArrayList<>();
    List<MappingRun> runs = new ArrayList<>();
    List<double[][]> reconstructions = new ArrayList<>(); // [mapping][image] pixels
    List<JobConfig> configs = new ArrayList<>();
    List<Boolean> byFft = new ArrayList<>();
    for (MappingSpec spec : mappings) {
      JobConfig c = base.with(ConfigKeys.INPUT_MAPPING.name(), spec.kind().configName())
          .with(ConfigKeys.INPUT_SCALE.name(), Double.toString(spec.scale()));
      String obstacle = fftObstacle(c, spec);
      if (products.equals("fft") && obstacle != null) {
        throw new ConfigException("report.products = fft: " + obstacle + "; use report.products = auto or job");
      }
      configs.add(c);
      byFft.add(!products.equals("job") && obstacle == null);
    }
    for (int i = 0; i < mappings.size(); i++) {
      MappingSpec spec = mappings.get(i);
      JobConfig c = configs.get(i);
      boolean fft = byFft.get(i);
      LOG.info("image regression with input mapping {} ({})", spec.label(), fft ? "products by FFT on the pixel grid"
          : "a run of the job");
      long started = System.nanoTime();
      MappingRun run = fft ? fftRun(spec, c, side, yTrain, yTest, testCells)
          : jobRun(spec, NtkJob.run(spark, c, train, test));
      runs.add(run.timed(started));
      double[] trainPred = run.trainPredictions();
      double[] testPred = run.testPredictions();
      double[][] recon = new double[images.size()][3 * side * side];
      for (int k = 0; k < images.size(); k++) {
        double[] refTrain = new double[3 * n];
        double[] estTrain = new double[3 * n];
        double[] refTest = new double[3 * m];
        double[] estTest = new double[3 * m];
        int it = 0;
        int is = 0;
        for (int r = 0; r < side; r++) {
          for (int col = 0; col < side; col++) {
            boolean isTrain = r % 2 == 0 && col % 2 == 0;
            for (int ch = 0; ch < 3; ch++) {
              double truth = images.get(k).get(r, col, ch);
              double est = clip(isTrain ? trainPred[it * o + 3 * k + ch] : testPred[is * o + 3 * k + ch]);
              recon[k][(r * side + col) * 3 + ch] = est;
              if (isTrain) {
                refTrain[3 * it + ch] = truth;
                estTrain[3 * it + ch] = est;
              } else {
                refTest[3 * is + ch] = truth;
                estTest[3 * is + ch] = est;
              }
            }
            if (isTrain) {
              it++;
            } else {
              is++;
            }
          }
        }
        Score s = new Score(images.get(k).name(), spec, Images.psnr(refTest, estTest), Images.psnr(refTrain, estTrain));
        scores.add(s);
        LOG.info(String.format(Locale.ROOT, "%s, %s: test PSNR %.2f dB (train %.2f dB)", s.image(), spec.label(),
            s.testPsnr(), s.trainPsnr()));
      }
      reconstructions.add(recon);
      spectra.add(run.eigenvalues());
    }
    Result result = new Result(side, scores, spectra, runs);
    FourierImageFiles.write(out, config, images, mappings, result, reconstructions);
    return result;
  }

  /**
   * Why the FFT route cannot serve this mapping, or null when it can. Θ(v, v') is a function of
   * v − v' alone when the network sees γ(v) with ‖γ(v)‖ constant and γ(v)ᵀγ(v') a function of
   * v − v' (basic, positional and gaussian: cos a cos a' + sin a sin a' = cos(a − a')), and the
   * kernel is the infinite-width one, which depends on its inputs only through their norms and
   * inner product. A finite network's empirical NTK is not shift-invariant, nor are raw coordinates.
   */
  static String fftObstacle(JobConfig c, MappingSpec spec) {
    if (spec.kind() == InputMapping.Kind.NONE) {
      return "input mapping none feeds the raw coordinates, whose kernel is not a function of v − v'";
    }
    if (!c.get(ConfigKeys.KERNEL_TYPE).equals("analytic")) {
      return "kernel.type = " + c.get(ConfigKeys.KERNEL_TYPE) + " is not a function of v − v' (only the analytic "
          + "infinite-width kernel is)";
    }
    if (!JobComponents.startsFromZero(c)) {
      return "solver.f0 = network starts from a finite network's outputs, which need the job";
    }
    if (c.get(ConfigKeys.MODEL_LOAD) != null) {
      return "model.load brings its own input mapping";
    }
    if (c.get(ConfigKeys.DATA_STANDARDIZE) || c.get(ConfigKeys.DATA_TRAIN_ROWS) != null) {
      return "data.standardize and data.trainRows change the training pixels";
    }
    return null;
  }

  /**
   * One mapping on the FFT route: κ(Δ) = Θ(γ(Δ), γ(0)) on every offset of the s × s pixel grid, the
   * training kernel (every other pixel: an s/2 × s/2 lattice of offsets 2Δ) and the cross kernel as
   * {@link GridKernelOperator}s, and the configured solver and the top eigenvalues by Lanczos on
   * them, as on the distributed backend ({@link DistributedSolve}). Driver memory: O(s²) per
   * product column, against 8·N·(N + M) bytes for the dense kernels; time O(s² log s) per column.
   */
  private static MappingRun fftRun(MappingSpec spec, JobConfig c, int side, double[] yTrain, double[] yTest,
                                   int[] testCells) {
    int o = yTrain.length / (side * side / 4);
    InputMapping mapping = JobComponents.mapping(c, 2);
    Model model = JobComponents.model(c, mapping.isFinite() ? mapping.outputs() : mapping.inputs(), o);
    double[] fine = offsetKernel(JobComponents.kernel(c, model, mapping), mapping, side);
    int h = side / 2;
    int fineWidth = 2 * side - 1;
    int coarseWidth = 2 * h - 1;
    double[] coarse = new double[coarseWidth * coarseWidth];
    for (int a = -(h - 1); a < h; a++) {
      for (int b = -(h - 1); b < h; b++) {
        coarse[(a + h - 1) * coarseWidth + b + h - 1] = fine[(2 * a + side - 1) * fineWidth + 2 * b + side - 1];
      }
    }
    int[] lattice = IntStream.range(0, h * h).toArray();
    int[] trainCells = IntStream.range(0, h * h).map(i -> 2 * (i / h) * side + 2 * (i % h)).toArray();
    GridKernelOperator train = new GridKernelOperator(h, coarse, lattice, lattice);
    GridKernelOperator cross = new GridKernelOperator(side, fine, testCells, trainCells);
    LOG.info("training kernel: {}; cross kernel: {}", train.describe(), cross.describe());
    OperatorProblem problem = new OperatorProblem(train, cross, new double[yTrain.length], yTrain,
        new double[yTest.length], yTest, o);
    FitContext fitContext = FitContext.products(problem, FitRequests.of(c));
    SolverSettings settings = fitContext.request().settings();
    double[] eigenvalues;
    Map<String, Object> spectrumDiagnostics = new LinkedHashMap<>();
    if (h * h <= FFT_DENSE_SPECTRUM_PIXELS) {
      // Every eigenvalue, as the driver backend plots them: Θ = Θ I in n/2 transforms, then dsyevd.
      // (Lanczos from one start vector sees one vector per eigenspace, and this lattice's
      // symmetries, such as r ↔ c, make eigenvalues multiple.)
      double[] identity = new double[h * h * h * h];
      for (int j = 0; j < h * h; j++) {
        identity[j * h * h + j] = 1.0;
      }
      eigenvalues = eigenvaluesDescending(new GramMatrix(h * h, h * h, 1, train.apply(identity, h * h)));
      spectrumDiagnostics.put("spectrum", "dense (dsyevd)");
    } else {
      Lanczos.Eigenpairs top = Lanczos.largest(train, DISTRIBUTED_EIGENVALUES, settings.eigenTolerance(),
          Math.max(settings.maxIter(), 3 * DISTRIBUTED_EIGENVALUES + 30), settings.seed(), false);
      eigenvalues = top.values();
      spectrumDiagnostics.put("spectrum", "Lanczos, top " + DISTRIBUTED_EIGENVALUES);
      spectrumDiagnostics.put("spectrumLanczosSteps", top.steps());
    }
    FitResult fit = fitContext.fit();
    NonFinite.fit(c, fit);
    Map<String, Object> diagnostics = new LinkedHashMap<>(fitContext.diagnostics());
    diagnostics.putAll(spectrumDiagnostics);
    diagnostics.put("trainingKernelProducts", train.products());
    diagnostics.put("fftSide", cross.fftSide());
    Snapshot last = fit.last();
    return new MappingRun(spec, "fft", last.trainPredictions(), last.testPredictions(), eigenvalues, 0,
        diagnostics);
  }

  private static MappingRun jobRun(MappingSpec spec, NtkRun run) {
    Snapshot last = run.fit().last();
    Map<String, Object> diagnostics = new LinkedHashMap<>();
    diagnostics.put("backend", run.metrics().get("backend"));
    diagnostics.put("solver", run.metrics().get("solver"));
    return new MappingRun(spec, "job (" + (run.distributed() ? "distributed" : "driver") + " backend)",
        last.trainPredictions(), last.testPredictions(),
        run.distributed() ? run.topEigenpairs().values() : eigenvaluesDescending(run.trainGram()), 0, diagnostics);
  }

  /**
   * κ(dr, dc) = Θ(γ(Δ), γ(0)) for Δ = (dr, dc)/s, every (dr, dc) ∈ (−s, s)², row-major
   * [(2s − 1) × (2s − 1)], through the kernel's own block code in chunks of rows (the Gaussian
   * m → ∞ limit takes the raw coordinates, as on the job's rows).
   */
  static double[] offsetKernel(BlockKernel<?> kernel, InputMapping mapping, int side) {
    return offsetKernelOf(kernel, mapping, side);
  }

  private static <P extends Serializable> double[] offsetKernelOf(BlockKernel<P> kernel, InputMapping mapping,
                                                                  int side) {
    int width = 2 * side - 1;
    int total = width * width;
    P origin = kernel.prepare(mapping.isFinite() ? mapping.apply(new double[2], 1) : new double[2], 1);
    double[] out = new double[total];
    int chunk = 4096;
    IntStream.range(0, (total + chunk - 1) / chunk).parallel().forEach(part -> {
      int from = part * chunk;
      int rows = Math.min(chunk, total - from);
      double[] coords = new double[2 * rows];
      for (int i = 0; i < rows; i++) {
        int e = from + i;
        coords[2 * i] = (double) (e / width - (side - 1)) / side;
        coords[2 * i + 1] = (double) (e % width - (side - 1)) / side;
      }
      double[] x = mapping.isFinite() ? mapping.apply(coords, rows) : coords;
      double[] values = kernel.block(kernel.prepare(x, rows), origin);
      System.arraycopy(values, 0, out, from, rows);
    });
    return out;
  }

  static List<MappingSpec> mappings(JobConfig config) {
    List<MappingSpec> out = new ArrayList<>();
    for (String entry : config.get(ConfigKeys.REPORT_MAPPINGS)) {
      String[] parts = entry.split(":", 2);
      InputMapping.Kind kind;
      double scale = config.get(ConfigKeys.INPUT_SCALE);
      try {
        kind = InputMapping.Kind.fromConfig(parts[0]);
        if (parts.length == 2) {
          scale = Double.parseDouble(parts[1].trim());
          if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new NumberFormatException();
          }
        }
      } catch (NumberFormatException e) {
        throw new ConfigException("report.mappings: '" + entry + "': σ after ':' must be a positive number");
      } catch (IllegalArgumentException e) {
        throw new ConfigException("report.mappings: '" + entry + "': " + e.getMessage());
      }
      out.add(new MappingSpec(kind, scale));
    }
    return out;
  }

  private static StructType schema(List<String> labels) {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField("v_row", DataTypes.DoubleType, false));
    fields.add(DataTypes.createStructField("v_col", DataTypes.DoubleType, false));
    for (String l : labels) {
      fields.add(DataTypes.createStructField(l, DataTypes.DoubleType, false));
    }
    return DataTypes.createStructType(fields);
  }

  private static double clip(double v) {
    return Math.max(0.0, Math.min(1.0, v));
  }

  static double[] eigenvaluesDescending(GramMatrix gram) {
    double[] ascending = Lapack.get().symmetricEigen(gram.data(), gram.rows()).values();
    double[] out = new double[ascending.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = ascending[ascending.length - 1 - i];
    }
    return out;
  }

}
