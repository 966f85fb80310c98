package org.sparkntk.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.solver.NystromPreconditioner;
import org.sparkntk.solver.RegressionCheckpoint;

/**
 * The regression's checkpoint in {@code output.dir/checkpoint/pcg/}:
 * <ul>
 *   <li>{@code nystrom.json}, {@code nystrom-basis.npy} (Uᵀ, float64 [r, n]: row i is column i of U)
 *       and {@code nystrom-eigenvalues.npy} (λ̂, [r]), written once the preconditioner is built;</li>
 *   <li>{@code pcg.json} and {@code x-<iteration>.npy} (the iterate X, float64 [n, c]), written
 *       after an iteration when {@value #EVERY_ITERATIONS} iterations or {@value #EVERY_SECONDS} s
 *       have passed since the last save, whichever comes first, and when PCG stops (converged, or at
 *       solver.maxIter: a rerun with a larger one continues).</li>
 * </ul>
 * A save writes X (N·c numbers) where the iteration's product read the Gram's (N·k)²/2 entries, so
 * saving this often costs a fraction c/N of the solve; the bound on lost work is then the smaller
 * of ten iterations and half a minute (plus the iteration under way).
 *
 * <p>Each {@code .npy} is written under a temporary name and renamed; its JSON, written the same
 * way after it, names it with its SHA-256, and a new iterate file is written before the JSON that
 * points to it and the old one deleted after, so a kill at any point leaves a JSON whose file
 * exists and verifies. A file that does not verify, or a JSON of another fingerprint, is ignored
 * (logged): the solver then builds the preconditioner or starts PCG afresh.
 *
 * <p>Fingerprints: the basis depends on the training Gram (its checkpoint fingerprint), the rank
 * and the seed of the sketch, not on ρ (the preconditioner's gains are recomputed from the basis
 * for the run's ρ). The iterate depends on the Gram, the right-hand side Y − f_0(X) and ρ, the
 * system it approximates a solution of. Neither depends on solver.tol or solver.maxIter: any X is
 * a valid start for CG, so a rerun with a tighter tolerance continues from the saved iterate.
 */
public final class PcgCheckpoint implements RegressionCheckpoint {
  public static final String DIR = GramCheckpoint.DIR + "/pcg";
  static final String FORMAT = "spark-ntk-pcg-checkpoint";
  static final int VERSION = 1;
  static final String ITERATE = "pcg.json";
  static final String NYSTROM = "nystrom.json";
  static final int EVERY_ITERATIONS = 10;
  static final long EVERY_SECONDS = 30;
  private static final Logger LOG = LoggerFactory.getLogger(PcgCheckpoint.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OutputFiles out;
  private final String iterateFingerprint;
  private final String basisFingerprint;
  private final String dir;
  private final int columns;
  /** The iteration of the last save (0: PCG's start, which needs none). */
  private int lastSavedIteration;
  private long lastSaveNanos = System.nanoTime();
  private String currentFile;
  private int saves;

  /**
   * @param iterateFingerprint what the iterate depends on (Gram, right-hand side, ρ)
   * @param basisFingerprint   what the Nyström basis depends on (Gram, rank, seed)
   * @param columns            c, the right-hand-side columns of X (row-major [n × c])
   */
  public PcgCheckpoint(OutputFiles out, String iterateFingerprint, String basisFingerprint, int columns)
      throws IOException {
    this.out = out;
    this.columns = columns;
    this.iterateFingerprint = iterateFingerprint;
    this.basisFingerprint = basisFingerprint;
    out.workDirectory(DIR);
    this.dir = out.location(DIR);
  }

  /** Saves of the iterate by this run. */
  public int saves() {
    return saves;
  }

  @Override
  public NystromPreconditioner.Basis preconditioner(int n, int rank) {
    JsonNode h = header(NYSTROM, basisFingerprint);
    if (h == null) {
      return null;
    }
    try {
      double[] u = verified(h.path("basis").asText(), h.path("basisSha256").asText(), rank, n);
      double[] lambda = verified(h.path("eigenvalues").asText(), h.path("eigenvaluesSha256").asText(), rank);
      if (u == null || lambda == null) {
        return null;
      }
      LOG.info("{}: the Nyström basis of rank {} is read back instead of built", dir, rank);
      return new NystromPreconditioner.Basis(n, rank, u, lambda);
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn("{}: the saved Nyström basis cannot be used ({}); building it", dir, e.getMessage());
      return null;
    }
  }

  @Override
  public void savePreconditioner(NystromPreconditioner.Basis basis) {
    try {
      String u = writeNpy("nystrom-basis.npy", basis.uColumnMajor(), basis.rank(), basis.n());
      String l = writeNpy("nystrom-eigenvalues.npy", basis.eigenvalues(), basis.rank());
      ObjectNode h = node(basisFingerprint);
      h.put("n", basis.n());
      h.put("rank", basis.rank());
      h.put("basis", "nystrom-basis.npy");
      h.put("basisSha256", u);
      h.put("eigenvalues", "nystrom-eigenvalues.npy");
      h.put("eigenvaluesSha256", l);
      out.writeWorkFile(DIR + "/" + NYSTROM, f -> JSON.writeValue(f.toFile(), h));
    } catch (IOException e) {
      throw new UncheckedIOException("saving the Nyström basis to " + dir + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public Iterate iterate(int n, int c) {
    JsonNode h = header(ITERATE, iterateFingerprint);
    if (h == null) {
      return null;
    }
    try {
      String file = h.path("file").asText();
      double[] x = verified(file, h.path("sha256").asText(), n, c);
      int iteration = h.path("iteration").asInt(-1);
      if (x == null || iteration < 0) {
        return null;
      }
      currentFile = file;
      lastSavedIteration = iteration;
      return new Iterate(iteration, x);
    } catch (IOException e) {
      LOG.warn("{}: the saved iterate cannot be used ({}); PCG starts from 0", dir, e.getMessage());
      return null;
    }
  }

  @Override
  public void iteration(int iteration, double[] x) {
    long now = System.nanoTime();
    if (iteration - lastSavedIteration >= EVERY_ITERATIONS || now - lastSaveNanos >= EVERY_SECONDS * 1_000_000_000L) {
      save(iteration, x);
    }
  }

  @Override
  public void stopped(int iteration, double[] x) {
    if (iteration != lastSavedIteration) {
      save(iteration, x);
    }
  }

  private void save(int iteration, double[] x) {
    String file = "x-" + iteration + ".npy";
    try {
      String sum = writeNpy(file, x, x.length / columns, columns);
      ObjectNode h = node(iterateFingerprint);
      h.put("iteration", iteration);
      h.put("file", file);
      h.put("sha256", sum);
      out.writeWorkFile(DIR + "/" + ITERATE, f -> JSON.writeValue(f.toFile(), h));
      if (currentFile != null && !currentFile.equals(file)) {
        out.delete(DIR + "/" + currentFile);
      }
      currentFile = file;
      lastSavedIteration = iteration;
      lastSaveNanos = System.nanoTime();
      saves++;
    } catch (IOException e) {
      throw new UncheckedIOException("saving the PCG iterate to " + dir + " failed: " + e.getMessage(), e);
    }
  }

  private ObjectNode node(String fingerprint) {
    ObjectNode h = JSON.createObjectNode();
    h.put("format", FORMAT);
    h.put("version", VERSION);
    h.put("fingerprint", fingerprint);
    return h;
  }

  /** The JSON {@code name} when it is this format's and of {@code fingerprint}, else null (logged when there is one). */
  private JsonNode header(String name, String fingerprint) {
    String rel = DIR + "/" + name;
    String file = out.location(rel);
    OutputStore store = out.store();
    try {
      if (store.kind(rel) != OutputStore.Kind.FILE) {
        return null;
      }
      JsonNode h = store.localDir() != null ? JSON.readTree(store.localDir().resolve(rel).toFile())
          : JSON.readTree(store.readAllBytes(rel));
      if (!FORMAT.equals(h.path("format").asText()) || h.path("version").asInt() != VERSION) {
        LOG.warn("{}: not a {} version {} file; ignored", file, FORMAT, VERSION);
        return null;
      }
      if (!fingerprint.equals(h.path("fingerprint").asText())) {
        LOG.info("{}: saved for other data or settings (fingerprint {}, this run's is {}); not used", file,
            h.path("fingerprint").asText(), fingerprint);
        return null;
      }
      return h;
    } catch (IOException e) {
      LOG.warn("{}: unreadable ({}); ignored", file, e.getMessage());
      return null;
    }
  }

  /** The array of {@code name} when its SHA-256 and shape are the recorded ones, else null (logged). */
  private double[] verified(String name, String sha256, long... shape) throws IOException {
    if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
      throw new IOException("malformed file name '" + name + "'");
    }
    String rel = DIR + "/" + name;
    String file = out.location(rel);
    OutputStore store = out.store();
    if (store.kind(rel) != OutputStore.Kind.FILE) {
      LOG.warn("{}: missing; not used", file);
      return null;
    }
    String actual = Manifest.sha256(store, rel);
    if (!actual.equals(sha256)) {
      LOG.warn("{}: SHA-256 {} but {} was recorded; not used", file, actual, sha256);
      return null;
    }
    Npy.Array a;
    if (store.localDir() != null) {
      a = Npy.read(store.localDir().resolve(rel));
    } else {
      try (InputStream in = store.open(rel)) {
        a = Npy.read(in, store.size(rel), file);
      }
    }
    if (!Arrays.equals(a.shape(), shape)) {
      LOG.warn("{}: shape {}, expected {}; not used", file, Arrays.toString(a.shape()),
          Arrays.toString(shape));
      return null;
    }
    return a.data();
  }

  /** Writes {@code data} as a float64 .npy work file; returns its SHA-256, taken from the bytes written. */
  private String writeNpy(String name, double[] data, long... shape) throws IOException {
    MessageDigest sha = Manifest.newSha256();
    out.writeWorkFile(DIR + "/" + name, f -> {
      try (WritableByteChannel ch = Channels.newChannel(new DigestOutputStream(Files.newOutputStream(f), sha))) {
        Npy.write(ch, f.toString(), data, shape);
      }
    });
    return HexFormat.of().formatHex(sha.digest());
  }
}
