package org.sparkntk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.io.OutputLock;

/**
 * One job per output.dir (issue 18, defect 5: two jobs on one directory both exited 0 and one
 * deleted the other's checkpoint). A second JVM ({@link LockHolder}) holds the lock as a running
 * job does: the CLI job is refused with status 2 naming that process, and runs once the holder
 * exits; a holder killed with SIGKILL leaves a stale lock, which the next job reclaims.
 */
class OutputLockTest {
  @TempDir
  static Path dir;
  static Path conf;

  @BeforeAll
  static void files() throws IOException {
    conf = NtkMainTest.writeJob(dir, 5, 16, 0, "model.hidden = 4", "solver.steps = 5", "kernel.blockSize = 8");
  }

  /** The class path of {@link LockHolder}: this project's classes, Jackson and SLF4J, from where they were loaded. */
  private static String classPath() throws URISyntaxException {
    Set<String> entries = new LinkedHashSet<>();
    for (Class<?> c : new Class<?>[] {LockHolder.class, OutputFiles.class, ObjectMapper.class, JsonFactory.class,
        JsonProperty.class, Logger.class}) {
      entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  /** Starts a LockHolder on {@code out} and waits until it holds the lock. */
  private static Process holder(Path out) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-Xmx64m", "-cp", classPath(), LockHolder.class.getName(),
        out.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader stdout = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = stdout.readLine();
    if (line == null) {
      p.waitFor(30, TimeUnit.SECONDS);
      throw new AssertionError("the lock holder exited without the lock, status " + p.exitValue());
    }
    assertEquals("locked " + p.pid(), line);
    return p;
  }

  @Test
  void aSecondJobIsRefusedNamingTheProcessThatHoldsTheLock() throws Exception {
    Path out = dir.resolve("held");
    Process p = holder(out);
    try {
      Object[] refused = NtkMainTest.run(conf.toString(), "output.dir=" + out);
      assertEquals(2, refused[0], (String) refused[1]);
      String message = (String) refused[1];
      assertTrue(message.contains("output.dir = '" + out + "' is in use by another spark-ntk job: pid " + p.pid()
          + " on host " + InetAddress.getLocalHost().getHostName()), message);
      assertTrue(message.contains("delete " + out.resolve(OutputLock.FILE)), message);
      assertFalse(Files.exists(out.resolve("metrics.json")));
      assertTrue(p.isAlive(), "the refused job disturbed the holder");
    } finally {
      p.getOutputStream().close();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the lock holder did not exit");
    }
    assertEquals(0, p.exitValue());
    assertFalse(Files.exists(out.resolve(OutputLock.FILE)), "the holder's lock outlived it");
    Object[] after = NtkMainTest.run(conf.toString(), "output.dir=" + out);
    assertEquals(0, after[0], (String) after[1]);
    Manifest.verify(out);
    assertFalse(Files.exists(out.resolve(OutputLock.FILE)), "the job's lock outlived it");
  }

  @Test
  void aStaleLockOfAKilledProcessIsReclaimed() throws Exception {
    Path out = dir.resolve("stale");
    Process p = holder(out);
    p.destroyForcibly();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    Path lock = out.resolve(OutputLock.FILE);
    assertTrue(Files.readString(lock).contains("\"pid\":" + p.pid()), "the killed holder's lock should stay");
    try (OutputLock reclaimed = OutputLock.acquire(out)) {
      assertNotNull(reclaimed.reclaimedFrom(), "the stale lock was not reported as reclaimed");
      assertEquals(p.pid(), reclaimed.reclaimedFrom().pid());
      assertEquals(ProcessHandle.current().pid(), reclaimed.owner().pid());
    }

    Process q = holder(out);
    q.destroyForcibly();
    assertTrue(q.waitFor(60, TimeUnit.SECONDS));
    Object[] job = NtkMainTest.run(conf.toString(), "output.dir=" + out);
    assertEquals(0, job[0], "a killed job's lock blocked the next one: " + job[1]);
    Manifest.verify(out);
    assertFalse(Files.exists(lock));
  }
}
