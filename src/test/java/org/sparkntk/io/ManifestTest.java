package org.sparkntk.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** manifest.json on its own: what it records, and every kind of damage verify() must name. */
class ManifestTest {
  @TempDir
  Path dir;

  @BeforeEach
  void files() throws IOException {
    Npy.write(dir.resolve("gram.npy"), new double[] {1, 2, 3, 4}, 2, 2);
    Files.createDirectories(dir.resolve("model"));
    Files.writeString(dir.resolve("model/model.json"), "{}");
    Files.writeString(dir.resolve("metrics.json"), "{\"N\": 2}");
    Manifest.write(dir, List.of("gram.npy", "model/model.json", "metrics.json"), "abc123");
  }

  /** Sizes and SHA-256 as recorded; the SHA-256 of "{}" is the well-known value. */
  @Test
  void anUntouchedDirectoryVerifies() throws IOException {
    List<Manifest.Entry> entries = Manifest.verify(dir);
    assertEquals(List.of("gram.npy", "model/model.json", "metrics.json"),
        entries.stream().map(Manifest.Entry::path).toList());
    assertEquals(128 + 32, entries.get(0).size());
    assertEquals("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", entries.get(1).sha256());
    assertEquals("abc123", Manifest.settingsFingerprint(dir));
  }

  @Test
  void aTruncatedFileIsNamed() throws IOException {
    byte[] gram = Files.readAllBytes(dir.resolve("gram.npy"));
    Files.write(dir.resolve("gram.npy"), java.util.Arrays.copyOf(gram, gram.length - 8));
    IOException e = assertThrows(IOException.class, () -> Manifest.verify(dir));
    assertTrue(e.getMessage().startsWith("gram.npy has 152 bytes, manifest.json records 160"), e.getMessage());
  }

  /** Same size, one byte changed: only the checksum can tell. */
  @Test
  void anAlteredFileIsNamed() throws IOException {
    Files.writeString(dir.resolve("metrics.json"), "{\"N\": 3}", StandardCharsets.UTF_8);
    IOException e = assertThrows(IOException.class, () -> Manifest.verify(dir));
    assertTrue(e.getMessage().startsWith("metrics.json has SHA-256 "), e.getMessage());
    assertTrue(e.getMessage().contains("changed after the run"), e.getMessage());
  }

  @Test
  void aMissingFileIsNamed() throws IOException {
    Files.delete(dir.resolve("model/model.json"));
    IOException e = assertThrows(IOException.class, () -> Manifest.verify(dir));
    assertTrue(e.getMessage().startsWith("model/model.json is listed in manifest.json but missing"), e.getMessage());
  }

  @Test
  void noManifestMeansNoCompleteRun() throws IOException {
    Files.delete(dir.resolve(Manifest.FILE));
    IOException e = assertThrows(IOException.class, () -> Manifest.verify(dir));
    assertTrue(e.getMessage().contains("has no manifest.json"), e.getMessage());
    assertNull(Manifest.settingsFingerprint(dir));
  }

  /** A crafted manifest cannot make verify() read outside the directory. */
  @Test
  void entriesOutsideTheDirectoryAreRefused() throws IOException {
    Files.writeString(dir.resolve(Manifest.FILE), "{\"format\": \"spark-ntk-manifest\", \"version\": 1, "
        + "\"files\": [{\"path\": \"../outside\", \"size\": 1, \"sha256\": \"00\"}]}");
    IOException e = assertThrows(IOException.class, () -> Manifest.verify(dir));
    assertTrue(e.getMessage().contains("malformed entry"), e.getMessage());
  }
}
