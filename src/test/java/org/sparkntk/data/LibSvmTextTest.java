package org.sparkntk.data;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The line check in front of Spark's libsvm reader: what Spark's parser would read as meant passes,
 * everything it would throw on (or read as a huge vector) is named.
 */
class LibSvmTextTest {
  @ParameterizedTest
  @ValueSource(strings = {"1 1:0.5 3:-2", "  -1 2:1e-3  5:4 ", "0", "# a comment 0:1", "", "   ", "2.5 1:NaN",
      "1 1000000:1"})
  void linesSparkReadsAsMeantPass(String line) {
    assertNull(LibSvmText.problem(line, 1_000_000), line);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "0.1 1:0.2 2000000000:0.4 | feature index 2000000000 is above data.maxFeatures = 1000000",
      "0.1 1:0.2 99999999999999999999:0.4 | feature index 99999999999999999999 is above data.maxFeatures",
      "0.1 2:0.2 1:0.4 | feature index 1 follows index 2",
      "0.1 2:0.2 2:0.4 | feature index 2 appears twice",
      "0.1 0:0.2 | index 0, but libsvm indices start at 1",
      "0.1 -1:0.2 | the index '-1' is not a positive integer",
      "0.1 +1:0.2 | the index '+1' is not a positive integer",
      "0.1 1:0.2:3 | is not index:value",
      "0.1 1 | is not index:value",
      "0.1 1:1.5d | the value '1.5d' is not a number",
      "0.1 1: | the value '' is not a number",
      "1.5d 1:0.2 | the label '1.5d' is not a number",
      "0.1\t1:0.2 | holds a tab"})
  void linesSparkWouldThrowOnAreNamed(String line, String expected) {
    String problem = LibSvmText.problem(line, 1_000_000);
    assertTrue(problem != null && problem.contains(expected), line + " → " + problem);
  }
}
