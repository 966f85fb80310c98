package org.sparkntk.io;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.AccessControlException;
import org.sparkntk.config.ConfigException;

/**
 * {@link OutputStore} of an output.dir given as a URI ({@code hdfs://}, {@code s3a://}, {@code abfs://},
 * any scheme Hadoop has a FileSystem for in the configuration it is opened with: Spark's).
 *
 * <p>What each operation is, and how strong:
 * <ul>
 *   <li>{@link #write}: the writer fills a file in a local staging directory (java.io.tmpdir),
 *       which is copied to {@code .<name>.tmp} beside the target and renamed onto it with
 *       {@link FileSystem#rename}. Hadoop's rename does not replace an existing file (HDFS refuses,
 *       and moves into an existing directory), so an existing target file is deleted first and
 *       the rename follows: two steps, where a local rename is one. A directory at the target is
 *       never replaced (an IOException names it).</li>
 *   <li>{@link #createNew} (the lock) is {@code create(path, overwrite = false)}: atomic on HDFS;
 *       on Hadoop's local file system and object stores the existence check and the create are
 *       two steps.</li>
 *   <li>{@link #append} (the journal, the driver checkpoint's block list) uses
 *       {@link FileSystem#append} where the file system has it (HDFS, ABFS, the local file system);
 *       where it throws UnsupportedOperationException (S3A) the file is rewritten whole through
 *       {@link #write}.</li>
 *   <li>Symbolic links are reported where the file system reports them ({@link FileStatus#isSymlink});
 *       whether a directory is writable is not asked (a write that is refused fails then).</li>
 * </ul>
 * On a checksummed file system (Hadoop's {@code LocalFileSystem}) the raw one underneath is used,
 * so that no {@code .crc} file appears beside the outputs.
 */
final class HadoopStore implements OutputStore {
  private final String display;
  private final FileSystem fs;
  private final Path root;
  private volatile boolean appendSupported = true;

  private HadoopStore(String display, FileSystem fs, Path root) {
    this.display = display;
    this.fs = fs;
    this.root = root;
  }

  /** The store of the URI {@code dir}; a URI Hadoop cannot open is refused as a configuration error. */
  static HadoopStore open(String dir, Configuration conf) {
    String shown = dir.length() > 1 && dir.endsWith("/") && !dir.endsWith(":/") && !dir.endsWith("//")
        ? dir.substring(0, dir.length() - 1) : dir;
    try {
      Path p = new Path(URI.create(shown));
      FileSystem fs = p.getFileSystem(conf);
      if (fs instanceof ChecksumFileSystem c) {
        fs = c.getRawFileSystem();
      }
      return new HadoopStore(shown, fs, fs.makeQualified(p));
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException("output.dir = '" + dir + "' cannot be opened through Hadoop's FileSystem API ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + "): check the URI, and that the configuration "
          + "(spark.hadoop.*) has a FileSystem for its scheme");
    }
  }

  FileSystem fileSystem() {
    return fs;
  }

  private Path path(String rel) {
    return rel.isEmpty() ? root : new Path(root, rel);
  }

  @Override
  public String display() {
    return display;
  }

  @Override
  public String display(String rel) {
    return rel.isEmpty() ? display : display.endsWith("/") ? display + rel : display + "/" + rel;
  }

  @Override
  public java.nio.file.Path localDir() {
    return null;
  }

  @Override
  public String uri(String rel) {
    return path(rel).toString();
  }

  @Override
  public Kind kind(String rel) throws IOException {
    try {
      return kind(fs.getFileLinkStatus(path(rel)));
    } catch (FileNotFoundException e) {
      return Kind.ABSENT;
    }
  }

  private static Kind kind(FileStatus s) {
    if (s.isSymlink()) {
      return Kind.LINK;
    }
    return s.isDirectory() ? Kind.DIRECTORY : s.isFile() ? Kind.FILE : Kind.OTHER;
  }

  @Override
  public boolean isWritable(String rel) {
    return true;
  }

  @Override
  public List<Entry> list(String rel) throws IOException {
    List<Entry> entries = new ArrayList<>();
    for (FileStatus s : fs.listStatus(path(rel))) {
      entries.add(new Entry(s.getPath().getName(), kind(s)));
    }
    return entries;
  }

  @Override
  public List<Entry> walk(String rel) throws IOException {
    List<Entry> all = new ArrayList<>();
    Kind kind = kind(rel);
    if (kind == Kind.ABSENT) {
      throw new FileNotFoundException(display(rel));
    }
    all.add(new Entry(rel, kind));
    if (kind == Kind.DIRECTORY) {
      walkInto(rel, all);
    }
    return all;
  }

  private void walkInto(String rel, List<Entry> all) throws IOException {
    FileStatus[] children = fs.listStatus(path(rel));
    Arrays.sort(children, Comparator.comparing(s -> s.getPath().getName()));
    for (FileStatus s : children) {
      String child = (rel.isEmpty() ? "" : rel + "/") + s.getPath().getName();
      Kind kind = kind(s);
      all.add(new Entry(child, kind));
      if (kind == Kind.DIRECTORY) {
        walkInto(child, all);
      }
    }
  }

  @Override
  public void createRoot() throws IOException {
    if (!fs.mkdirs(root)) {
      throw new IOException("mkdirs " + display + " returned false");
    }
  }

  @Override
  public void createDirectory(String rel) throws IOException {
    if (!fs.mkdirs(path(rel))) {
      throw new IOException("cannot create the directory " + display(rel));
    }
  }

  @Override
  public void delete(String rel) throws IOException {
    if (!fs.delete(path(rel), false) && kind(rel) != Kind.ABSENT) {
      throw new IOException("cannot delete " + display(rel));
    }
  }

  @Override
  public void deleteRecursively(String rel) throws IOException {
    if (!fs.delete(path(rel), true) && kind(rel) != Kind.ABSENT) {
      throw new IOException("cannot delete " + display(rel));
    }
  }

  @Override
  public void deleteIfExists(String rel) throws IOException {
    if (kind(rel) != Kind.ABSENT) {
      delete(rel);
    }
  }

  @Override
  public long size(String rel) throws IOException {
    return fs.getFileStatus(path(rel)).getLen();
  }

  @Override
  public InputStream open(String rel) throws IOException {
    return fs.open(path(rel));
  }

  @Override
  public void write(String rel, AtomicFiles.Writer writer) throws IOException {
    String tmp = temporarySibling(rel);
    java.nio.file.Path staging = Files.createTempDirectory("spark-ntk-output-");
    try {
      java.nio.file.Path local = staging.resolve(name(rel));
      writer.write(local);
      upload(local, tmp, true);
      replace(tmp, rel);
    } finally {
      deleteLocal(staging);
      deleteIfExists(tmp);
    }
  }

  @Override
  public void fill(String rel, AtomicFiles.Writer writer) throws IOException {
    java.nio.file.Path staging = Files.createTempDirectory("spark-ntk-output-");
    try {
      java.nio.file.Path local = staging.resolve(name(rel));
      writer.write(local);
      createDirectory(rel);
      try (Stream<java.nio.file.Path> walk = Files.walk(local)) {
        for (java.nio.file.Path p : walk.filter(q -> !q.equals(local)).toList()) {
          String to = rel + "/" + local.relativize(p).toString().replace('\\', '/');
          if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            createDirectory(to);
          } else {
            upload(p, to, false);
          }
        }
      }
    } finally {
      deleteLocal(staging);
    }
  }

  private void upload(java.nio.file.Path local, String rel, boolean overwrite) throws IOException {
    try (InputStream in = Files.newInputStream(local); OutputStream out = fs.create(path(rel), overwrite)) {
      in.transferTo(out);
    }
  }

  /** Renames {@code from} onto {@code to}: a file there is deleted first (Hadoop's rename does not replace it). */
  private void replace(String from, String to) throws IOException {
    Kind there = kind(to);
    if (there == Kind.DIRECTORY || there == Kind.LINK || there == Kind.OTHER) {
      throw new IOException(display(to) + " is " + (there == Kind.DIRECTORY ? "a directory" : "not a regular file")
          + ": it cannot be replaced by a file");
    }
    if (there == Kind.FILE) {
      delete(to);
    }
    if (!fs.rename(path(from), path(to))) {
      throw new IOException("cannot rename " + display(from) + " to " + display(to));
    }
  }

  @Override
  public void move(String from, String to) throws IOException {
    if (kind(to) != Kind.ABSENT) {
      throw new IOException("cannot rename " + display(from) + " to " + display(to) + ": something is there");
    }
    if (!fs.rename(path(from), path(to))) {
      throw new IOException("cannot rename " + display(from) + " to " + display(to));
    }
  }

  @Override
  public Moved moveAside(String from, String to) {
    try {
      if (kind(from) == Kind.ABSENT) {
        return Moved.ABSENT;
      }
      if (kind(to) != Kind.ABSENT) {
        return Moved.FAILED;
      }
      if (fs.rename(path(from), path(to))) {
        return Moved.MOVED;
      }
      return kind(from) == Kind.ABSENT ? Moved.ABSENT : Moved.FAILED;
    } catch (FileNotFoundException e) {
      return Moved.ABSENT;
    } catch (IOException e) {
      return Moved.FAILED;
    }
  }

  @Override
  public boolean createNew(String rel, byte[] bytes) throws IOException {
    try (OutputStream out = fs.create(path(rel), false)) {
      out.write(bytes);
      return true;
    } catch (FileAlreadyExistsException | java.nio.file.FileAlreadyExistsException e) {
      return false;
    } catch (AccessControlException e) {
      throw new AccessDeniedException(display(rel), null, e.getMessage());
    }
  }

  @Override
  public void append(String rel, byte[] bytes) throws IOException {
    if (kind(rel) == Kind.ABSENT) {
      if (createNew(rel, bytes)) {
        return;
      }
    }
    if (appendSupported) {
      try (OutputStream out = fs.append(path(rel))) {
        out.write(bytes);
        return;
      } catch (UnsupportedOperationException e) {
        appendSupported = false; // S3A: no append; the file is rewritten whole below
      }
    }
    byte[] old = readAllBytes(rel);
    write(rel, f -> {
      try (OutputStream out = Files.newOutputStream(f)) {
        out.write(old);
        out.write(bytes);
      }
    });
  }

  @Override
  public Appender appender(String rel, boolean create) throws IOException {
    if (create && kind(rel) != Kind.ABSENT) {
      throw new java.nio.file.FileAlreadyExistsException(display(rel));
    }
    return new Appender() {
      private boolean first = create;

      @Override
      public void append(byte[] bytes) throws IOException {
        if (first) {
          if (!createNew(rel, bytes)) {
            throw new java.nio.file.FileAlreadyExistsException(display(rel));
          }
          first = false;
          return;
        }
        HadoopStore.this.append(rel, bytes);
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public int lastByte(String rel) throws IOException {
    long size = size(rel);
    if (size == 0) {
      return -1;
    }
    try (FSDataInputStream in = fs.open(path(rel))) {
      in.seek(size - 1);
      return in.read();
    }
  }

  private static String name(String rel) {
    return rel.substring(rel.lastIndexOf('/') + 1);
  }

  private static String temporarySibling(String rel) {
    int slash = rel.lastIndexOf('/');
    return rel.substring(0, slash + 1) + "." + rel.substring(slash + 1) + ".tmp";
  }

  private static void deleteLocal(java.nio.file.Path dir) throws IOException {
    try (Stream<java.nio.file.Path> walk = Files.walk(dir)) {
      for (java.nio.file.Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  @Override
  public String toString() {
    return display;
  }
}
