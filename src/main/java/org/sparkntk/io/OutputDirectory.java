package org.sparkntk.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.sparkntk.config.ConfigException;

/**
 * What an output.dir holds, and which of it is spark-ntk's, for {@link OutputFiles}' contract: the
 * paths its journal ({@value OutputFiles#OutputFiles.JOURNAL}) and its {@link Manifest} list, the refusal of
 * a directory no spark-ntk run wrote or one of other settings, and the check that nothing unlisted
 * or linked lies where a run writes. A path is spark-ntk's only if it is listed, is the temporary
 * sibling {@code .<name>.tmp} of a listed file, or lies in a listed temporary directory. Every
 * refusal is a {@link ConfigException} naming output.dir and the path.
 */
final class OutputDirectory {
  private static final int NAMED = 5;
  private static final ObjectMapper JSON = new ObjectMapper();

  private OutputDirectory() {}


  static void checkIsDirectoryOrAbsent(OutputStore dir) {
    if (dir instanceof LocalStore) {
      Path p = dir.localDir();
      if (Files.isSymbolicLink(p) && !Files.exists(p)) {
        throw new ConfigException(refusal(dir) + "is a symbolic link to a missing directory: choose another output.dir");
      }
      if (Files.exists(p) && !Files.isDirectory(p)) {
        throw new ConfigException(refusal(dir) + "is a file, not a directory: choose another output.dir");
      }
      return;
    }
    OutputStore.Kind kind;
    try {
      kind = dir.kind("");
    } catch (IOException e) {
      throw new ConfigException(refusal(dir) + "cannot be read (" + reason(e) + "): choose another output.dir");
    }
    if (kind != OutputStore.Kind.ABSENT && kind != OutputStore.Kind.DIRECTORY) {
      throw new ConfigException(refusal(dir) + "is a file, not a directory: choose another output.dir");
    }
  }

  /** Whether something (a link too) is at {@code rel}; a path that cannot be examined is refused. */
  static boolean exists(OutputStore dir, String rel) {
    return kindOf(dir, rel) != OutputStore.Kind.ABSENT;
  }

  static OutputStore.Kind kindOf(OutputStore dir, String rel) {
    try {
      return dir.kind(rel);
    } catch (IOException e) {
      throw new ConfigException(refusal(dir) + (rel.isEmpty() ? "" : "holds " + rel + ", which ")
          + "cannot be read (" + reason(e) + "): choose another output.dir");
    }
  }

  /**
   * The paths {@code dir} lists as spark-ntk's (its journal, and its manifest's files), after the
   * rules that need no declared names: a directory without journal or manifest must be empty (its
   * lock aside), and a manifest of other settings needs {@code overwrite}.
   */
  static Set<String> inspect(OutputStore dir, String fingerprint, boolean overwrite) {
    Set<String> owned = new HashSet<>();
    boolean marker = false;
    if (exists(dir, OutputFiles.JOURNAL)) {
      owned.addAll(readJournal(dir, OutputFiles.JOURNAL));
      marker = true;
    } else if (kindOf(dir, temporary(OutputFiles.JOURNAL)) == OutputStore.Kind.FILE && isJournal(dir, temporary(OutputFiles.JOURNAL))) {
      // Where a rename cannot replace a file (Hadoop), the journal is rewritten by deleting it and
      // renaming its complete temporary copy into place: a run killed in between left only the copy.
      owned.addAll(readJournal(dir, temporary(OutputFiles.JOURNAL)));
      marker = true;
    }
    String recorded = null;
    if (kindOf(dir, Manifest.FILE) == OutputStore.Kind.FILE) {
      try {
        List<String> listed = Manifest.paths(dir);
        recorded = Manifest.settingsFingerprint(dir);
        owned.add(Manifest.FILE);
        owned.addAll(listed);
        marker = true;
      } catch (IOException e) {
        // not a spark-ntk manifest: a foreign file, unless the journal lists it (then refused below)
        recorded = owned.contains(Manifest.FILE) ? "unreadable" : null;
      }
    }
    if (!marker) {
      List<String> found = entries(dir);
      if (!found.isEmpty()) {
        throw new ConfigException(refusal(dir) + "is not empty and no spark-ntk run wrote it (it has neither "
            + OutputFiles.JOURNAL + " nor " + Manifest.FILE + "): it holds " + named(found) + ". spark-ntk writes only into a "
            + "new or empty directory or one it wrote before, and deletes nothing it did not write: choose another "
            + "output.dir");
      }
    }
    if (recorded != null && !recorded.equals(fingerprint) && !overwrite) {
      throw new ConfigException(refusal(dir) + "holds the complete results of a job with other "
          + "settings (its " + Manifest.FILE + " records settings fingerprint " + recorded + ", this job's is "
          + fingerprint + "): choose another output.dir, or set output.overwrite = true to replace them");
    }
    return owned;
  }

  /** Whether the file {@code rel} starts with a journal's header line. */
  private static boolean isJournal(OutputStore dir, String rel) {
    try {
      List<String> lines = lines(dir, rel);
      return !lines.isEmpty() && OutputFiles.JOURNAL_FORMAT.equals(parse(lines.get(0)).path("format").asText());
    } catch (IOException e) {
      return false;
    }
  }

  private static List<String> lines(OutputStore dir, String rel) throws IOException {
    String text = new String(dir.readAllBytes(rel), StandardCharsets.UTF_8);
    List<String> lines = new ArrayList<>(List.of(text.split("\r\n|\n|\r", -1)));
    if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1); // the newline that ends the last line, as Files.readAllLines reads it
    }
    return lines;
  }

  private static Set<String> readJournal(OutputStore dir, String file) {
    if (kindOf(dir, file) != OutputStore.Kind.FILE) {
      throw new ConfigException(refusal(dir) + "holds " + OutputFiles.JOURNAL + ", which is not a file spark-ntk wrote (a link "
          + "or a directory): choose another output.dir");
    }
    List<String> lines;
    try {
      lines = dir instanceof LocalStore ? Files.readAllLines(dir.localDir().resolve(file), StandardCharsets.UTF_8)
          : lines(dir, file);
    } catch (IOException e) {
      throw new ConfigException(refusal(dir) + "holds an unreadable " + OutputFiles.JOURNAL + " (" + reason(e)
          + "): choose another output.dir");
    }
    if (lines.isEmpty() || !OutputFiles.JOURNAL_FORMAT.equals(parse(lines.get(0)).path("format").asText())) {
      throw new ConfigException(refusal(dir) + "holds " + OutputFiles.JOURNAL + ", which is not a spark-ntk journal: choose "
          + "another output.dir");
    }
    Set<String> owned = new HashSet<>();
    for (String line : lines.subList(1, lines.size())) {
      String path = parse(line).path("path").asText("");
      String plain = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
      // a torn last line (a kill while appending) lists nothing; nor does a path leaving the directory
      if (!plain.isEmpty() && !plain.startsWith("/") && !plain.contains("\\")
          && Stream.of(plain.split("/")).noneMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
        owned.add(path);
      }
    }
    return owned;
  }

  private static JsonNode parse(String line) {
    try {
      JsonNode node = JSON.readTree(line);
      return node == null ? JSON.missingNode() : node;
    } catch (IOException e) {
      return JSON.missingNode();
    }
  }

  /**
   * Refuses {@code name} when it is a symbolic link or holds anything not listed as spark-ntk's
   * (every file and directory under it, links never followed), or a directory there is not writable.
   */
  static void checkInTheWay(OutputStore dir, Set<String> owned, String name) {
    if (!exists(dir, name)) {
      return;
    }
    List<OutputStore.Entry> all;
    try {
      all = dir.walk(name);
    } catch (IOException | UncheckedIOException e) {
      throw new ConfigException(refusal(dir) + "holds " + name + ", which cannot be read (" + e.getMessage()
          + "): choose another output.dir");
    }
    for (OutputStore.Entry q : all) {
      String rel = q.path();
      if (q.kind() == OutputStore.Kind.LINK) {
        throw new ConfigException(linkMessage(dir, rel));
      }
      boolean directory = q.kind() == OutputStore.Kind.DIRECTORY;
      if (directory ? !ownsDirectory(owned, rel) : q.kind() != OutputStore.Kind.FILE || !ownsFile(owned, rel)) {
        throw new ConfigException(refusal(dir) + "holds " + rel + (directory ? "/" : "") + ", which no spark-ntk "
            + "run wrote (" + OutputFiles.JOURNAL + " does not list it), where this run writes " + name + "; spark-ntk deletes "
            + "nothing it did not write: move it away or choose another output.dir");
      }
      if (directory && !dir.isWritable(rel)) {
        throw new ConfigException(refusal(dir) + "holds " + rel + "/, which is not writable: make it writable or "
            + "choose another output.dir");
      }
    }
  }

  private static boolean ownsFile(Set<String> owned, String rel) {
    if (owned.contains(rel) || inTemporaryDirectory(owned, rel)) {
      return true;
    }
    int slash = rel.lastIndexOf('/');
    String name = rel.substring(slash + 1);
    String original = original(name);
    return !original.equals(name) && owned.contains(rel.substring(0, slash + 1) + original);
  }

  static boolean ownsDirectory(Set<String> owned, String rel) {
    if (owned.contains(rel + "/") || inTemporaryDirectory(owned, rel)) {
      return true;
    }
    String prefix = rel + "/";
    return owned.stream().anyMatch(o -> o.startsWith(prefix)); // a manifest lists files only
  }

  /** True when {@code rel} lies in a listed temporary directory ({@code .<name>.tmp/}), which is this tool's whole. */
  private static boolean inTemporaryDirectory(Set<String> owned, String rel) {
    String[] parts = rel.split("/");
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < parts.length - 1; i++) {
      prefix.append(parts[i]).append('/');
      if (!original(parts[i]).equals(parts[i]) && owned.contains(prefix.toString())) {
        return true;
      }
    }
    return false;
  }

  /** The temporary name AtomicFiles and writeDirectory use for {@code name}: {@code .<name>.tmp}. */
  static String temporary(String name) {
    return "." + name + ".tmp";
  }

  /** The name whose temporary name is {@code name}, or {@code name} itself. */
  static String original(String name) {
    return name.length() > 5 && name.startsWith(".") && name.endsWith(".tmp")
        ? name.substring(1, name.length() - 4) : name;
  }

  static String sibling(String path, String name) {
    int slash = path.lastIndexOf('/');
    return path.substring(0, slash + 1) + name;
  }

  /**
   * The entries of {@code dir} besides its lock (and a lock a reclaiming job was moving aside), and
   * the temporary copy of a journal being rewritten.
   */
  private static List<String> entries(OutputStore dir) {
    try {
      return dir.list("").stream().filter(e -> !e.path().startsWith(OutputLock.FILE))
          .map(e -> e.path() + (e.kind() == OutputStore.Kind.LINK ? " (a symbolic link)"
              : e.kind() == OutputStore.Kind.DIRECTORY ? "/" : ""))
          .sorted().toList();
    } catch (IOException e) {
      throw new ConfigException(refusal(dir) + "cannot be listed (" + reason(e) + "): choose another output.dir");
    }
  }

  private static String named(List<String> found) {
    String shown = String.join(", ", found.subList(0, Math.min(NAMED, found.size())));
    return found.size() <= NAMED ? shown : shown + " and " + (found.size() - NAMED) + " more";
  }

  static String linkMessage(OutputStore dir, String rel) {
    return refusal(dir) + "holds a symbolic link " + rel + " where this run writes: spark-ntk never writes "
        + "through a link inside output.dir; remove the link or choose another output.dir";
  }

  static String refusal(OutputStore dir) {
    return refusal(dir.display());
  }

  static String refusal(Object dir) {
    return "output.dir = '" + dir + "' ";
  }

  static String reason(IOException e) {
    String kind = e.getClass().getSimpleName().replace("Exception", "");
    return e.getMessage() == null ? kind : kind + ": " + e.getMessage();
  }
}
