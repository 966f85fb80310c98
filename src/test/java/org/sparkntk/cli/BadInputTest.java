package org.sparkntk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.ModelStore;

/**
 * Bad input through the CLI (issue 7): each stops with exit status 2 and one message that names
 * the file, row, column or key and says what was expected, and leaves neither metrics.json nor
 * manifest.json. The training data has 16 rows of {@code f1,y1,f2,f3,y2}; each case edits a copy
 * or sets a key.
 */
class BadInputTest {
  @TempDir
  static Path dir;
  static Path conf;

  @BeforeAll
  static void files() throws IOException {
    conf = NtkMainTest.writeJob(dir, 3, 16, 0, "model.hidden = 4", "solver.steps = 5");
    List<String> lines = Files.readAllLines(dir.resolve("train.csv"));
    edited("inf.csv", lines, 3, "0.5,1.0,0.2,Infinity,0.2");
    edited("ninf.csv", lines, 9, "0.5,-Infinity,0.2,0.3,0.2");
    edited("short.csv", lines, 4, "0.5,1.0,0.2,0.3");
    edited("long.csv", lines, 6, "0.5,1.0,0.2,0.3,0.2,9.9");
    edited("text.csv", lines, 7, "0.5,1.0,abc,0.3,0.2");
    Files.write(dir.resolve("empty.csv"), List.of(lines.get(0)));
    List<String> wide = new ArrayList<>(List.of("f1,y1,f2,f3,f4,y2"));
    for (String l : lines.subList(1, 6)) {
      int last = l.lastIndexOf(',');
      wide.add(l.substring(0, last) + ",0.5" + l.substring(last));
    }
    Files.write(dir.resolve("wide.csv"), wide);
    ModelStore.save(Mlp.initialise(Architecture.of(5, new int[] {4}, 2,
        org.sparkntk.model.Activation.fromConfig("relu"), org.sparkntk.model.Parameterization.NTK, 1, 0.1), 0),
        dir.resolve("model5"));
    Path pickled = dir.resolve("pickled");
    ModelStore.save(Mlp.initialise(Architecture.of(3, new int[] {4}, 2,
        org.sparkntk.model.Activation.fromConfig("relu"), org.sparkntk.model.Parameterization.NTK, 1, 0.1), 0),
        pickled);
    byte[] w0 = Files.readAllBytes(pickled.resolve("W0.npy"));
    String header = new String(w0, 10, 118, java.nio.charset.StandardCharsets.ISO_8859_1)
        .replace("'<f8'", "'|O' ");
    System.arraycopy(header.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, w0, 10, 118);
    Files.write(pickled.resolve("W0.npy"), w0);
  }

  private static void edited(String name, List<String> lines, int row, String line) throws IOException {
    List<String> copy = new ArrayList<>(lines);
    copy.set(row, line);
    Files.write(dir.resolve(name), copy);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "data.train=inf.csv | inf.csv | row 3, column 'f3': Infinity is not a finite number",
      "data.train=ninf.csv | ninf.csv | row 9, column 'y1': -Infinity is not a finite number",
      "data.train=short.csv | short.csv | row 4: '0.5,1.0,0.2,0.3' has 4 fields, expected 5",
      "data.train=long.csv | long.csv | row 6: '0.5,1.0,0.2,0.3,0.2,9.9' has 6 fields, expected 5",
      "data.train=text.csv | text.csv | feature column 'f2' has type string, expected a number; the first "
          + "non-numeric value is 'abc' in row 7",
      "data.train=empty.csv | empty.csv | the data set is empty",
      "data.label=y1,y3 | train.csv | label column(s) [y3] not found",
      "data.test=wide.csv | wide.csv | has 4 feature columns [f1, f2, f3, f4] but data.train",
      "model.load=model5 | model5 | has 5 inputs and 2 outputs, but the data has 3 feature columns",
      "model.load=pickled | W0.npy | dtype '|O' is not supported: expected float64 little-endian '<f8' (object",
      "model.hidden=4.5 | model.hidden = '4.5' | width 1 '4.5' is not an integer",
      "model.hidden=8,-2 | model.hidden = '8,-2' | width 2 is -2, it must be positive",
      "model.activation=rleu | model.activation = 'rleu' | did you mean 'relu'?",
      "solver.type=regresion | solver.type = 'regresion' | did you mean 'regression'?",
      "output.gram=ture | output.gram = 'ture' | did you mean 'true'?",
      "kernel.maxDriverBytes=1k | kernel.maxDriverBytes | needs about",
      "kernel.maxDriverBytes=1k | kernel.outputs = trace, fewer training rows, or a larger spark.driver.memory | "
          + "the kernels do not fit in the driver",
      "solver.lr=1e9 | solver.lr | diverges"})
  void exitsWithStatusTwoAndOneClearMessage(String setting, String names, String expected) {
    int eq = setting.indexOf('=');
    String key = setting.substring(0, eq);
    String value = setting.substring(eq + 1);
    if (key.startsWith("data.") && !key.equals("data.label") || key.equals("model.load")) {
      value = dir.resolve(value).toString();
    }
    Path out = dir.resolve("out-" + Integer.toHexString((setting + names).hashCode()));
    Object[] result = NtkMainTest.run(conf.toString(), "output.dir=" + out, key + "=" + value);
    String stderr = (String) result[1];
    assertEquals(2, result[0], stderr);
    List<String> messages = stderr.lines().filter(l -> l.startsWith("spark-ntk: ") && !l.contains("BLAS")).toList();
    assertEquals(1, messages.size(), "one message: " + stderr);
    assertTrue(messages.get(0).contains(names), "the message must name " + names + ": " + messages.get(0));
    assertTrue(messages.get(0).contains(expected), "expected '" + expected + "' in: " + messages.get(0));
    assertFalse(Files.exists(out.resolve("metrics.json")), "nothing may look complete after an error");
    assertFalse(Files.exists(out.resolve("manifest.json")), "nothing may look complete after an error");
  }
}
