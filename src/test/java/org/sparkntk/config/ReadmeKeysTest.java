package org.sparkntk.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The key table of docs/CONFIG.md (moved there from the README, hence the name) documents every key
 * the job accepts (and no key it refuses).
 */
class ReadmeKeysTest {
  @Test
  void everyKeyIsDocumented() throws IOException {
    String all = Files.readString(Path.of("docs/CONFIG.md"));
    int start = all.indexOf("## Configuration keys");
    assertTrue(start >= 0, "docs/CONFIG.md has no 'Configuration keys' section");
    int end = all.indexOf("\n## ", start + 1);
    String section = all.substring(start, end < 0 ? all.length() : end);
    for (ConfigKey<?> key : ConfigKeys.all()) {
      assertTrue(section.contains("| `" + key.name() + "` |"),
          key.name() + " is missing from docs/CONFIG.md's key table");
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\| `([a-zA-Z]+\\.[a-zA-Z]+)` \\|").matcher(section);
    while (m.find()) {
      assertTrue(ConfigKeys.find(m.group(1)) != null, "docs/CONFIG.md documents an unknown key " + m.group(1));
    }
  }
}
