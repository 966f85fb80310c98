package org.sparkntk.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's key table documents every key the job accepts (and no key it refuses). */
class ReadmeKeysTest {
  @Test
  void everyKeyIsDocumented() throws IOException {
    String all = Files.readString(Path.of("README.md"));
    int start = all.indexOf("## Configuration keys");
    assertTrue(start >= 0, "README.md has no 'Configuration keys' section");
    int end = all.indexOf("\n## ", start + 1);
    String readme = all.substring(start, end < 0 ? all.length() : end);
    for (ConfigKey<?> key : ConfigKeys.all()) {
      assertTrue(readme.contains("| `" + key.name() + "` |"), key.name() + " is missing from README.md's key table");
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\| `([a-zA-Z]+\\.[a-zA-Z]+)` \\|").matcher(readme);
    while (m.find()) {
      assertTrue(ConfigKeys.find(m.group(1)) != null, "README.md documents an unknown key " + m.group(1));
    }
  }
}
