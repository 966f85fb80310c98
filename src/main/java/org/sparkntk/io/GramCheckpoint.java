package org.sparkntk.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.BlockStore;

/**
 * The completed blocks of one Gram (the training Gram or the cross kernel) in
 * {@code output.dir/checkpoint/<phase>/}, written as they arrive at the driver so that a rerun
 * after the driver died computes only the missing ones.
 *
 * <p>Layout: {@code checkpoint.json} (the fingerprint of everything the blocks depend on: data
 * contents, model parameters, kernel settings, block plan), one {@code <I>-<J>.npy} per block
 * (written under a temporary name and renamed), and {@code blocks.jsonl}, the checkpoint's
 * manifest: one line {@code {"row":I,"col":J,"file":…,"size":…,"sha256":…}} appended after each
 * rename. Only blocks listed there whose size and SHA-256 match are trusted; a torn last line
 * or a file that does not match is recomputed. A checkpoint of another fingerprint is deleted, never
 * mixed with new blocks.
 */
public final class GramCheckpoint implements BlockStore {
  public static final String DIR = "checkpoint";
  static final String FORMAT = "spark-ntk-checkpoint";
  static final int VERSION = 1;
  static final String HEADER = "checkpoint.json";
  static final String JOURNAL = "blocks.jsonl";
  private static final Logger LOG = LoggerFactory.getLogger(GramCheckpoint.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OutputFiles out;
  private final String rel;
  private final BlockPlan rowPlan;
  private final BlockPlan colPlan;
  private final int k;
  private final Set<Long> trusted = new HashSet<>();
  private final int resumed;
  private int saved;

  private GramCheckpoint(OutputFiles out, String rel, BlockPlan rowPlan, BlockPlan colPlan, int k,
                         Set<Long> trusted) {
    this.out = out;
    this.rel = rel;
    this.rowPlan = rowPlan;
    this.colPlan = colPlan;
    this.k = k;
    this.trusted.addAll(trusted);
    this.resumed = trusted.size();
  }

  /**
   * The checkpoint of {@code phase} under {@code out}'s directory: its verified blocks when it was
   * made with {@code fingerprint}, else a new, empty one (an old checkpoint of another fingerprint is
   * deleted first). Every file is written through {@code out}, which never writes through a link
   * and replaces or deletes only what spark-ntk wrote; the checkpoint directory must have been
   * declared ({@link #DIR}) when {@code out} was claimed.
   */
  public static GramCheckpoint open(OutputFiles out, String phase, String fingerprint, BlockPlan rowPlan,
                                    BlockPlan colPlan, int rowsPerExample) throws IOException {
    String rel = DIR + "/" + phase;
    Set<Long> trusted = new HashSet<>();
    if (claimDirectory(out, phase, fingerprint)) {
      trusted = verifiedBlocks(out, rel);
      LOG.info("{}: resuming from {}: {} completed blocks verified", phase, out.location(rel), trusted.size());
    }
    return new GramCheckpoint(out, rel, rowPlan, colPlan, rowsPerExample, trusted);
  }

  /**
   * Makes {@code checkpoint/<phase>/} a checkpoint of {@code fingerprint}: true when it already is
   * one (its contents are the caller's to verify and reuse); otherwise whatever is there (another
   * fingerprint's blocks) is deleted, {@code checkpoint.json} is written, and false is returned.
   * The driver checkpoint and the distributed backend's block files share this rule.
   */
  public static boolean claimDirectory(OutputFiles out, String phase, String fingerprint) throws IOException {
    String rel = DIR + "/" + phase;
    OutputStore store = out.store();
    String recorded = recordedFingerprint(store, rel);
    if (fingerprint.equals(recorded)) {
      return true;
    }
    if (store.kind(rel) != OutputStore.Kind.ABSENT) {
      LOG.info("{}: {} holds blocks of other data or settings (fingerprint {}, this job's is {}): deleting them",
          phase, out.location(rel), recorded, fingerprint);
      out.delete(rel);
    }
    ObjectNode header = JSON.createObjectNode();
    header.put("format", FORMAT);
    header.put("version", VERSION);
    header.put("phase", phase);
    header.put("fingerprint", fingerprint);
    out.writeWorkFile(rel + "/" + HEADER, f -> JSON.writeValue(f.toFile(), header));
    return false;
  }

  /** Blocks taken from an earlier run. */
  public int resumed() {
    return resumed;
  }

  /** Blocks saved by this run. */
  public synchronized int saved() {
    return saved;
  }

  @Override
  public synchronized boolean has(int row, int col) {
    return trusted.contains(key(row, col));
  }

  @Override
  public double[] load(int row, int col) throws IOException {
    String file = rel + "/" + fileName(row, col);
    OutputStore store = out.store();
    Npy.Array a;
    if (store.localDir() != null) {
      a = Npy.read(store.localDir().resolve(file));
    } else {
      try (InputStream in = store.open(file)) {
        a = Npy.read(in, store.size(file), out.location(file));
      }
    }
    long rows = (long) rowPlan.rows(row) * k;
    long cols = (long) colPlan.rows(col) * k;
    if (a.shape().length != 2 || a.shape()[0] != rows || a.shape()[1] != cols) {
      throw new IOException(out.location(file) + ": shape " + Arrays.toString(a.shape()) + ", expected [" + rows + ", "
          + cols + "]");
    }
    return a.data();
  }

  /**
   * Called as each block reaches the driver, or by the task that computed it in the driver's JVM:
   * the block file first, then its journal line, one block at a time.
   */
  @Override
  public synchronized void save(int row, int col, double[] block) throws IOException {
    String name = fileName(row, col);
    // The SHA-256 is taken from the bytes as they are written, not by reading the file back.
    MessageDigest sha = Manifest.newSha256();
    out.writeWorkFile(rel + "/" + name, f -> {
      try (WritableByteChannel ch = Channels.newChannel(new DigestOutputStream(Files.newOutputStream(f), sha))) {
        Npy.write(ch, f.toString(), block, (long) rowPlan.rows(row) * k, (long) colPlan.rows(col) * k);
      }
    });
    String sum = HexFormat.of().formatHex(sha.digest());
    ObjectNode line = JSON.createObjectNode();
    line.put("row", row);
    line.put("col", col);
    line.put("file", name);
    line.put("size", out.store().size(rel + "/" + name));
    line.put("sha256", sum);
    byte[] bytes = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
    out.appendWorkFile(rel + "/" + JOURNAL, bytes);
    trusted.add(key(row, col));
    saved++;
  }

  private static String recordedFingerprint(OutputStore store, String rel) {
    String header = rel + "/" + HEADER;
    try {
      if (store.localDir() != null ? !Files.isRegularFile(store.localDir().resolve(header))
          : store.kind(header) != OutputStore.Kind.FILE) {
        return null;
      }
      JsonNode h = store.localDir() != null ? JSON.readTree(store.localDir().resolve(header).toFile())
          : JSON.readTree(store.readAllBytes(header));
      return FORMAT.equals(h.path("format").asText()) && h.path("version").asInt() == VERSION
          ? h.path("fingerprint").asText(null) : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** The journal's blocks whose file has the recorded size and SHA-256; anything else is ignored. */
  private static Set<Long> verifiedBlocks(OutputFiles out, String rel) throws IOException {
    OutputStore store = out.store();
    String dir = out.location(rel);
    Set<Long> ok = new HashSet<>();
    String journal = rel + "/" + JOURNAL;
    if (store.localDir() != null ? !Files.isRegularFile(store.localDir().resolve(journal))
        : store.kind(journal) != OutputStore.Kind.FILE) {
      return ok;
    }
    // A block saved twice (recomputed after its file failed to verify) is judged by its last line.
    Map<Long, JsonNode> latest = new LinkedHashMap<>();
    int rejected = 0;
    List<String> lines = store.localDir() != null
        ? Files.readAllLines(store.localDir().resolve(journal), StandardCharsets.UTF_8)
        : new String(store.readAllBytes(journal), StandardCharsets.UTF_8).lines().toList();
    for (String text : lines) {
      try {
        JsonNode line = JSON.readTree(text);
        int row = line.path("row").asInt(-1);
        int col = line.path("col").asInt(-1);
        if (row < 0 || col < 0 || !line.path("file").asText("").equals(fileName(row, col))) {
          rejected++;
          continue;
        }
        latest.put(key(row, col), line);
      } catch (IOException e) {
        rejected++; // a torn last line after a kill, or a damaged journal: recompute that block
      }
    }
    for (var e : latest.entrySet()) {
      JsonNode line = e.getValue();
      String file = rel + "/" + line.path("file").asText();
      if (store.kind(file) == OutputStore.Kind.FILE && store.size(file) == line.path("size").asLong(-1)
          && Manifest.sha256(store, file).equals(line.path("sha256").asText())) {
        ok.add(e.getKey());
      } else {
        rejected++;
      }
    }
    if (rejected > 0) {
      LOG.warn("{}: {} journal entries do not match their block files and will be recomputed", dir, rejected);
    }
    // The journal from here on lists exactly the trusted blocks, so that a torn last line is not
    // continued by the next append.
    StringBuilder kept = new StringBuilder();
    for (var e : latest.entrySet()) {
      if (ok.contains(e.getKey())) {
        kept.append(JSON.writeValueAsString(e.getValue())).append('\n');
      }
    }
    out.writeWorkFile(rel + "/" + JOURNAL, f -> Files.writeString(f, kept, StandardCharsets.UTF_8));
    return ok;
  }

  private static String fileName(int row, int col) {
    return row + "-" + col + ".npy";
  }

  private static long key(int row, int col) {
    return ((long) row << 32) | (col & 0xffffffffL);
  }
}
