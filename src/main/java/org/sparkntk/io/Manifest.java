package org.sparkntk.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;

/**
 * {@code manifest.json}, the last file a job or report writes ({@link OutputFiles}): every output
 * file (path relative to output.dir, size in bytes, SHA-256) and the fingerprint of the settings
 * that produced them. A directory holds a complete run exactly when its manifest verifies; a run
 * deletes the old manifest before it writes anything, so an interrupted rerun never looks complete.
 *
 * <pre>{@code
 * { "format": "spark-ntk-manifest", "version": 1, "settingsFingerprint": "<sha-256 hex>",
 *   "files": [ { "path": "model/W0.npy", "size": 8320, "sha256": "<hex>" }, … ] }
 * }</pre>
 */
public final class Manifest {
  public static final String FILE = "manifest.json";
  public static final String FORMAT = "spark-ntk-manifest";
  public static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Manifest() {}

  /** One listed output file. */
  public record Entry(String path, long size, String sha256) {}

  /** Writes manifest.json (atomically) listing {@code files}, paths relative to {@code dir}. */
  public static void write(Path dir, List<String> files, String settingsFingerprint) throws IOException {
    write(dir, files, settingsFingerprint, Map.of());
  }

  /**
   * {@link #write(Path, List, String)} where the files of {@code known} were written by others (the
   * executors) who took their SHA-256 from the bytes they wrote: such a file is not read again, only
   * its size is checked against the reported one.
   */
  public static void write(Path dir, List<String> files, String settingsFingerprint,
                           Map<String, Entry> known) throws IOException {
    write(new LocalStore(dir), files, settingsFingerprint, known);
  }

  static void write(OutputStore dir, List<String> files, String settingsFingerprint,
                    Map<String, Entry> known) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("version", VERSION);
    root.put("settingsFingerprint", settingsFingerprint);
    ArrayNode list = root.putArray("files");
    for (String f : files) {
      ObjectNode e = list.addObject();
      e.put("path", f);
      long size = dir.size(f);
      Entry reported = known.get(f);
      if (reported != null && reported.size() != size) {
        throw new IOException(f + " has " + size + " bytes, but its writer reported " + reported.size()
            + " (changed or truncated after it was written)");
      }
      e.put("size", size);
      e.put("sha256", reported != null ? reported.sha256() : sha256(dir, f));
    }
    dir.write(FILE, f -> JSON.writeValue(f.toFile(), root));
  }

  /**
   * Checks that every file listed in {@code dir}'s manifest exists with its recorded size and
   * SHA-256, and returns the listed files; any difference is an IOException naming the file.
   */
  public static List<Entry> verify(Path dir) throws IOException {
    return verify(new LocalStore(dir), "");
  }

  /**
   * {@link #verify(Path)} of an output.dir given as a path or a URI ({@code hdfs://…}, …), a URI
   * read through Hadoop's FileSystem API with {@code hadoop} (the SparkContext's configuration).
   */
  public static List<Entry> verify(String dir, Configuration hadoop) throws IOException {
    return verify(OutputStore.of(dir, () -> hadoop), "");
  }

  /** {@link #paths(Path)} of an output.dir given as a path or a URI, as {@link #verify(String, org.apache.hadoop.conf.Configuration)}. */
  public static List<String> paths(String dir, Configuration hadoop) throws IOException {
    return paths(OutputStore.of(dir, () -> hadoop));
  }

  /**
   * When {@code subdirectory} (say a job's model/ that model.load reads) lies directly in a
   * directory with a manifest.json, checks the files the manifest lists under it, as
   * {@link #verify(Path)} does, and refuses a file there that the manifest does not list. A
   * directory whose parent has no manifest is not a run's output and is left to its reader.
   */
  public static void verifyIfListed(Path subdirectory) throws IOException {
    Path sub = subdirectory.toAbsolutePath().normalize();
    Path parent = sub.getParent();
    if (parent == null || !Files.isRegularFile(parent.resolve(FILE))) {
      return;
    }
    String prefix = sub.getFileName() + "/";
    Set<String> listed = new HashSet<>();
    for (Entry e : verify(new LocalStore(parent), prefix)) {
      listed.add(e.path());
    }
    try (Stream<Path> files = Files.walk(sub)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String rel = prefix + sub.relativize(f).toString().replace(File.separatorChar, '/');
        if (!listed.contains(rel)) {
          throw new IOException(rel + " is not listed in " + parent.resolve(FILE) + ": it was not written by the run "
              + "that manifest describes");
        }
      }
    }
  }

  /** {@link #verify(Path)} of the entries whose path starts with {@code prefix}. */
  private static List<Entry> verify(OutputStore dir, String prefix) throws IOException {
    JsonNode root = read(dir);
    List<Entry> entries = new ArrayList<>();
    for (JsonNode e : root.path("files")) {
      String rel = e.path("path").asText("");
      if (!rel.startsWith(prefix)) {
        continue;
      }
      if (rel.isEmpty() || leaves(dir, rel) || !e.path("size").isIntegralNumber()) {
        throw new IOException(dir.display(FILE) + ": malformed entry " + e);
      }
      if (!isFile(dir, rel)) {
        throw new IOException(rel + " is listed in " + FILE + " but missing from " + dir.display());
      }
      long size = dir.size(rel);
      if (size != e.path("size").asLong()) {
        throw new IOException(rel + " has " + size + " bytes, " + FILE + " records " + e.path("size").asLong()
            + " (truncated or rewritten after the run)");
      }
      String sum = sha256(dir, rel);
      if (!sum.equals(e.path("sha256").asText())) {
        throw new IOException(rel + " has SHA-256 " + sum + ", " + FILE + " records " + e.path("sha256").asText()
            + " (changed after the run)");
      }
      entries.add(new Entry(rel, size, sum));
    }
    return entries;
  }

  /**
   * The paths {@code dir}'s manifest lists, without reading the files: what a run wrote (the CLI's
   * closing line, and what {@link OutputFiles} may replace). A path leaving the directory is refused.
   */
  public static List<String> paths(Path dir) throws IOException {
    return paths(new LocalStore(dir));
  }

  static List<String> paths(OutputStore dir) throws IOException {
    JsonNode root = read(dir);
    List<String> paths = new ArrayList<>();
    for (JsonNode e : root.path("files")) {
      String rel = e.path("path").asText("");
      if (rel.isEmpty() || leaves(dir, rel) || rel.contains("..") || Path.of(rel).isAbsolute()) {
        throw new IOException(dir.display(FILE) + ": malformed entry " + e);
      }
      paths.add(rel);
    }
    return paths;
  }

  /** The settings fingerprint recorded in {@code dir}'s manifest, or null when there is no manifest. */
  public static String settingsFingerprint(Path dir) throws IOException {
    return settingsFingerprint(new LocalStore(dir));
  }

  static String settingsFingerprint(OutputStore dir) throws IOException {
    if (!isFile(dir, FILE)) {
      return null;
    }
    return read(dir).path("settingsFingerprint").asText(null);
  }

  /** Whether the relative path {@code rel} leaves the directory {@code dir} (or is absolute). */
  private static boolean leaves(OutputStore dir, String rel) {
    Path base = dir.localDir() != null ? dir.localDir() : Path.of("base").toAbsolutePath();
    return !base.resolve(rel).normalize().startsWith(base.normalize());
  }

  /** Whether {@code rel} is a regular file (a link is followed, as Files.isRegularFile does). */
  private static boolean isFile(OutputStore dir, String rel) throws IOException {
    if (dir.localDir() != null) {
      return Files.isRegularFile(dir.localDir().resolve(rel));
    }
    return dir.kind(rel) == OutputStore.Kind.FILE;
  }

  private static JsonNode read(OutputStore dir) throws IOException {
    String file = dir.display(FILE);
    if (!isFile(dir, FILE)) {
      throw new IOException(dir.display() + " has no " + FILE + ": it does not hold a complete run");
    }
    JsonNode root;
    try {
      root = dir.localDir() != null ? JSON.readTree(dir.localDir().resolve(FILE).toFile())
          : JSON.readTree(dir.readAllBytes(FILE));
    } catch (IOException e) {
      throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    if (!FORMAT.equals(root.path("format").asText()) || root.path("version").asInt(-1) != VERSION
        || !root.path("files").isArray()) {
      throw new IOException(file + ": not a " + FORMAT + " version " + VERSION + " file");
    }
    return root;
  }

  /** A SHA-256 digest (every Java runtime has one). */
  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return sha256(in);
    }
  }

  static String sha256(OutputStore dir, String rel) throws IOException {
    if (dir.localDir() != null) {
      return sha256(dir.localDir().resolve(rel));
    }
    try (InputStream in = dir.open(rel)) {
      return sha256(in);
    }
  }

  private static String sha256(InputStream in) throws IOException {
    MessageDigest digest = newSha256();
    byte[] buffer = new byte[1 << 16];
    for (int n; (n = in.read(buffer)) > 0; ) {
      digest.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
