package org.sparkntk;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * A Hadoop FileSystem of its own scheme, {@value #SCHEME}{@code :///<absolute local path>}, for
 * tests: Hadoop's raw local file system underneath, so that what a job writes through Hadoop can
 * be compared byte for byte with a local run, but with HDFS's rules where they differ from
 * POSIX, so that code written against the local file system's leniency fails here:
 * <ul>
 *   <li>{@code rename} onto an existing file returns false (HDFS never replaces a file), and onto
 *       an existing directory moves the source into it (as HDFS does);</li>
 *   <li>{@code append} can be switched off ({@link #appendSupported}), as on S3A, which throws
 *       UnsupportedOperationException;</li>
 *   <li>symbolic links are reported, not followed, by {@code getFileLinkStatus} and {@code listStatus}.</li>
 * </ul>
 * Every call is logged ({@link #operations}) with its path, so a test can see that a file went
 * through Hadoop and not java.nio.
 */
public class TestHadoopFileSystem extends RawLocalFileSystem {
  public static final String SCHEME = "ntktest";
  private static final URI NAME = URI.create(SCHEME + ":///");
  private static final List<String> LOG = new ArrayList<>();
  /** False: append throws UnsupportedOperationException, as on S3A. */
  public static volatile boolean appendSupported = true;

  /** Registers the scheme in {@code conf} (Spark's hadoopConfiguration, or a Configuration of a test). */
  public static Configuration register(Configuration conf) {
    conf.set("fs." + SCHEME + ".impl", TestHadoopFileSystem.class.getName());
    conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
    return conf;
  }

  /** {@code ntktest:///…} of a local absolute path. */
  public static String uri(java.nio.file.Path local) {
    return SCHEME + "://" + local.toAbsolutePath();
  }

  /** The operations logged so far whose path lies under {@code local}: {@code "<op> <path relative to local>"}. */
  public static List<String> operations(java.nio.file.Path local) {
    String prefix = local.toAbsolutePath().toString();
    synchronized (LOG) {
      return LOG.stream().filter(l -> l.substring(l.indexOf(' ') + 1).startsWith(prefix))
          .map(l -> l.substring(0, l.indexOf(' ') + 1) + l.substring(l.indexOf(' ') + 1 + prefix.length()))
          .toList();
    }
  }

  private static void log(String op, Path p) {
    synchronized (LOG) {
      LOG.add(op + " " + p.toUri().getPath());
    }
  }

  @Override
  public URI getUri() {
    return NAME;
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public void initialize(URI uri, Configuration conf) throws IOException {
    super.initialize(uri, conf);
    setConf(conf);
  }

  @Override
  public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
                                   short replication, long blockSize, Progressable progress) throws IOException {
    log("create", f);
    return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
                                   Progressable progress) throws IOException {
    log("create", f);
    return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream append(Path f, int bufferSize, Progressable progress) throws IOException {
    log("append", f);
    if (!appendSupported) {
      throw new UnsupportedOperationException("Append is not supported by " + getClass().getSimpleName());
    }
    return super.append(f, bufferSize, progress);
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    log("open", f);
    return super.open(f, bufferSize);
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    log("rename", src);
    java.nio.file.Path to = pathToFile(dst).toPath();
    if (Files.isRegularFile(to, LinkOption.NOFOLLOW_LINKS)) {
      return false; // HDFS: a rename never replaces a file
    }
    if (Files.isDirectory(to, LinkOption.NOFOLLOW_LINKS)) {
      dst = new Path(dst, src.getName()); // HDFS: into the directory
    }
    return super.rename(src, dst);
  }

  @Override
  public boolean delete(Path p, boolean recursive) throws IOException {
    log("delete", p);
    return super.delete(p, recursive);
  }

  @Override
  public boolean mkdirs(Path f) throws IOException {
    log("mkdirs", f);
    return super.mkdirs(f);
  }

  @Override
  public FileStatus getFileStatus(Path f) throws IOException {
    return status(f, true);
  }

  @Override
  public FileStatus getFileLinkStatus(Path f) throws IOException {
    return status(f, false);
  }

  @Override
  public FileStatus[] listStatus(Path f) throws IOException {
    log("list", f);
    java.nio.file.Path dir = pathToFile(f).toPath();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return new FileStatus[] {status(f, false)};
    }
    List<FileStatus> all = new ArrayList<>();
    try (Stream<java.nio.file.Path> list = Files.list(dir)) {
      for (java.nio.file.Path p : list.toList()) {
        all.add(status(new Path(f, p.getFileName().toString()), false));
      }
    }
    return all.toArray(new FileStatus[0]);
  }

  /** The status by java.nio, without the stat processes Hadoop's local file system forks. */
  private FileStatus status(Path f, boolean follow) throws IOException {
    log("status", f);
    java.nio.file.Path p = pathToFile(f).toPath();
    BasicFileAttributes a;
    try {
      a = follow ? Files.readAttributes(p, BasicFileAttributes.class)
          : Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new FileNotFoundException(f + " does not exist");
    }
    FileStatus s = new FileStatus(a.isDirectory() ? 0 : a.size(), a.isDirectory(), 1, 32 << 20,
        a.lastModifiedTime().toMillis(), makeQualified(f));
    if (a.isSymbolicLink()) {
      s.setSymlink(new Path(Files.readSymbolicLink(p).toString()));
    }
    return s;
  }
}
