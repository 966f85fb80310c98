package org.sparkntk.cli;

import java.nio.file.Path;
import java.util.List;
import org.sparkntk.io.OutputFiles;

/**
 * A second process for {@link OutputLockTest}: claims output.dir {@code args[0]} as a job does
 * ({@link OutputFiles#claim}, which takes its lock), prints {@code locked <pid>}, and holds it
 * until its standard input is closed; then releases it and exits 0. Killed instead, it leaves the
 * lock file behind, as a crashed driver would.
 */
public final class LockHolder {
  private LockHolder() {}

  public static void main(String[] args) throws Exception {
    OutputFiles out = OutputFiles.claim(Path.of(args[0]), "lock-holder", false, "metrics.json", List.of());
    try {
      System.out.println("locked " + ProcessHandle.current().pid());
      System.out.flush();
      while (System.in.read() >= 0) {
        // hold the lock until the parent closes our input
      }
    } finally {
      out.close();
    }
  }
}
