package org.sparkntk.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

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
    write(dir, files, settingsFingerprint, java.util.Map.of());
  }

  /**
   * {@link #write(Path, List, String)} where the files of {@code known} were written by others (the
   * executors) who took their SHA-256 from the bytes they wrote: such a file is not read again, only
   * its size is checked against the reported one.
   */
  public static void write(Path dir, List<String> files, String settingsFingerprint,
                           java.util.Map<String, Entry> known) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("version", VERSION);
    root.put("settingsFingerprint", settingsFingerprint);
    ArrayNode list = root.putArray("files");
    for (String f : files) {
      Path p = dir.resolve(f);
      ObjectNode e = list.addObject();
      e.put("path", f);
      long size = Files.size(p);
      Entry reported = known.get(f);
      if (reported != null && reported.size() != size) {
        throw new IOException(f + " has " + size + " bytes, but its writer reported " + reported.size()
            + " (changed or truncated after it was written)");
      }
      e.put("size", size);
      e.put("sha256", reported != null ? reported.sha256() : sha256(p));
    }
    AtomicFiles.write(dir.resolve(FILE), f -> JSON.writeValue(f.toFile(), root));
  }

  /**
   * Checks that every file listed in {@code dir}'s manifest exists with its recorded size and
   * SHA-256, and returns the listed files; any difference is an IOException naming the file.
   */
  public static List<Entry> verify(Path dir) throws IOException {
    return verify(dir, "");
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
    java.util.Set<String> listed = new java.util.HashSet<>();
    for (Entry e : verify(parent, prefix)) {
      listed.add(e.path());
    }
    try (java.util.stream.Stream<Path> files = Files.walk(sub)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String rel = prefix + sub.relativize(f).toString().replace(java.io.File.separatorChar, '/');
        if (!listed.contains(rel)) {
          throw new IOException(rel + " is not listed in " + parent.resolve(FILE) + ": it was not written by the run "
              + "that manifest describes");
        }
      }
    }
  }

  /** {@link #verify(Path)} of the entries whose path starts with {@code prefix}. */
  private static List<Entry> verify(Path dir, String prefix) throws IOException {
    JsonNode root = read(dir);
    List<Entry> entries = new ArrayList<>();
    for (JsonNode e : root.path("files")) {
      String rel = e.path("path").asText("");
      if (!rel.startsWith(prefix)) {
        continue;
      }
      Path p = dir.resolve(rel).normalize();
      if (rel.isEmpty() || !p.startsWith(dir.normalize()) || !e.path("size").isIntegralNumber()) {
        throw new IOException(dir.resolve(FILE) + ": malformed entry " + e);
      }
      if (!Files.isRegularFile(p)) {
        throw new IOException(rel + " is listed in " + FILE + " but missing from " + dir);
      }
      long size = Files.size(p);
      if (size != e.path("size").asLong()) {
        throw new IOException(rel + " has " + size + " bytes, " + FILE + " records " + e.path("size").asLong()
            + " (truncated or rewritten after the run)");
      }
      String sum = sha256(p);
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
    JsonNode root = read(dir);
    List<String> paths = new ArrayList<>();
    for (JsonNode e : root.path("files")) {
      String rel = e.path("path").asText("");
      if (rel.isEmpty() || !dir.resolve(rel).normalize().startsWith(dir.normalize()) || rel.contains("..")
          || Path.of(rel).isAbsolute()) {
        throw new IOException(dir.resolve(FILE) + ": malformed entry " + e);
      }
      paths.add(rel);
    }
    return paths;
  }

  /** The settings fingerprint recorded in {@code dir}'s manifest, or null when there is no manifest. */
  public static String settingsFingerprint(Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve(FILE))) {
      return null;
    }
    return read(dir).path("settingsFingerprint").asText(null);
  }

  private static JsonNode read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(dir + " has no " + FILE + ": it does not hold a complete run");
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
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
    MessageDigest digest = newSha256();
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
