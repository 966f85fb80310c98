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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkntk.io.ModelStore;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;

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

    // Issue 18: inputs whose size or values the job used to trust.
    Files.writeString(dir.resolve("big.libsvm"), "0.1 1:0.2 2:0.3 2000000000:0.4\n0.2 1:0.1 2:0.5\n");
    Files.writeString(dir.resolve("unsorted.libsvm"), "0.1 1:0.2 2:0.3\n# a comment\n0.2 2:0.1 1:0.5\n");
    Files.writeString(dir.resolve("zero.libsvm"), "0.1 0:0.2 2:0.3\n");
    Files.writeString(dir.resolve("duplicate.libsvm"), "0.1 1:0.2\n0.3 1:0.2 2:0.3\n\n0.2 1:0.1 1:0.5\n");
    Files.writeString(dir.resolve("three.libsvm"), "0.1 1:0.2\n0.3 1:0.2 3:0.3\n");
    try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(dir.resolve("repeated.libsvm.gz")))) {
      gz.write("0.1 1:0.2\n0.2 1:0.3 1:0.4\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
    edited("huge-feature.csv", lines, 5, "0.5,1.0,1e300,0.3,0.2");
    edited("huge-label.csv", lines, 7, "0.5,1e300,0.2,0.3,0.2");
    edited("literal-d.csv", lines, 2, "0.5,1.0,0.2,1.5d,0.2");
    edited("literal-f.csv", lines, 3, "0.5,2f,0.2,0.3,0.2");
    edited("literal-hex.csv", lines, 4, "0x1p-3,1.0,0.2,0.3,0.2");
    List<String> dotted = new ArrayList<>(List.of(lines.get(0) + ",x.y"));
    for (String l : lines.subList(1, lines.size())) {
      dotted.add(l + ",abc");
    }
    Files.write(dir.resolve("dotted-header.csv"), dotted);
    List<String> many = new ArrayList<>(List.of(lines.get(0)));
    for (int i = 0; i < 600; i++) {
      many.add(lines.get(1 + i % (lines.size() - 1)));
    }
    Files.write(dir.resolve("many.csv"), many);
    Architecture small = Architecture.of(3, new int[] {4}, 2, org.sparkntk.model.Activation.fromConfig("relu"),
        org.sparkntk.model.Parameterization.NTK, 1, 0.1);
    for (String name : List.of("nan-model", "inf-model", "duplicate-key-model")) {
      ModelStore.save(Mlp.initialise(small, 0), dir.resolve(name));
    }
    setEntry(dir.resolve("nan-model/W0.npy"), 1, Double.NaN);
    setEntry(dir.resolve("inf-model/b0.npy"), 2, Double.POSITIVE_INFINITY);
    Path json = dir.resolve("duplicate-key-model/model.json");
    Files.writeString(json, Files.readString(json).replaceFirst("\\{", "{\n  \"sigmaW\" : 2.0,"));
  }

  /** Sets entry {@code k} of a float64 little-endian .npy written by {@link org.sparkntk.io.Npy} (128-byte header). */
  private static void setEntry(Path npy, int k, double value) throws IOException {
    byte[] bytes = Files.readAllBytes(npy);
    java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putDouble(128 + 8 * k, value);
    Files.write(npy, bytes);
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
    assertFalse(stderr.contains("_spark_ntk"), "an internal column name reached the user: " + stderr);
  }

  /**
   * Issue 18: sizes the input states (a libsvm index, widths, a feature count, a block size) are
   * checked before anything is allocated for them; models must be finite and model.json keys
   * unique; an overflow to ±∞ or NaN names the row, column or parameter; numbers are decimals.
   * Each setting list is space-separated; file names are in the test directory.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "data.train=big.libsvm | big.libsvm, line 1 | feature index 2000000000 is above data.maxFeatures = 1000000",
      "data.train=unsorted.libsvm | unsorted.libsvm, line 3 | feature index 1 follows index 2: libsvm indices must "
          + "be in ascending order",
      "data.train=zero.libsvm | zero.libsvm, line 1 | index 0, but libsvm indices start at 1",
      "data.train=duplicate.libsvm | duplicate.libsvm, line 4 | feature index 1 appears twice",
      "data.train=three.libsvm data.maxFeatures=2 | three.libsvm, line 2 | feature index 3 is above "
          + "data.maxFeatures = 2",
      "data.train=repeated.libsvm.gz | repeated.libsvm.gz, line 2 | feature index 1 appears twice",
      "model.hidden=100000000 | model.hidden = 100000000 | gives the network 3 → 100000000 → 2 with P = 600000002 "
          + "parameters",
      "model.hidden=100000,100000 | model.hidden = 100000,100000 | whose W1 would have 100000 × 100000 = "
          + "10000000000 entries, more than one Java array holds",
      "input.mapping=gaussian input.features=100000000 | input.features = 100000000 | draws B of 100000000 × 3",
      "report.type=convergence report.widths=100000000 | report.widths = 100000000 | gives the network "
          + "3 → 100000000 → 2",
      "data.train=many.csv kernel.blockSize=1 | kernel.blockSize = 1 | cuts 600 training rows into 180300 Gram "
          + "blocks",
      "model.load=nan-model | nan-model/W0.npy | entry [0, 1] is NaN",
      "model.load=inf-model | inf-model/b0.npy | entry [2] is Infinity",
      "model.load=duplicate-key-model | duplicate-key-model/model.json | Duplicate field 'sigmaW'",
      "data.train=huge-feature.csv | row 5 | column 'f2' = 1.0E300",
      "model.sigmaW=1e308 | model.sigmaW = 1.0E308 | overflow double precision",
      "data.train=huge-label.csv | row 7, column 'y1' | the label 1.0E300",
      "data.train=literal-d.csv | row 2, column 'f3' | '1.5d' is not a number",
      "data.train=literal-f.csv | row 3, column 'y1' | '2f' is not a number",
      "data.train=literal-hex.csv | row 4, column 'f1' | '0x1p-3' is not a number",
      "data.train=dotted-header.csv | dotted-header.csv | feature column 'x.y' has type string, expected a number; "
          + "the first non-numeric value is 'abc' in row 1"})
  void sizesValuesAndNumbersAreCheckedBeforeUse(String settings, String names, String expected) {
    List<String> args = new ArrayList<>(List.of(conf.toString()));
    for (String setting : settings.trim().split(" ")) {
      int eq = setting.indexOf('=');
      String key = setting.substring(0, eq);
      String value = setting.substring(eq + 1);
      if (key.equals("data.train") || key.equals("model.load")) {
        value = dir.resolve(value).toString();
      }
      args.add(key + "=" + value);
      if (value.endsWith(".libsvm") || value.endsWith(".libsvm.gz")) {
        args.addAll(List.of("data.format=libsvm", "data.label=label"));
      }
    }
    Path out = dir.resolve("out18-" + Integer.toHexString(settings.hashCode()));
    args.add("output.dir=" + out);
    Object[] result = NtkMainTest.run(args.toArray(new String[0]));
    String stderr = (String) result[1];
    assertEquals(2, result[0], stderr);
    List<String> messages = stderr.lines().filter(l -> l.startsWith("spark-ntk: ") && !l.contains("BLAS")).toList();
    assertEquals(1, messages.size(), "one message: " + stderr);
    assertTrue(messages.get(0).contains(names), "the message must name " + names + ": " + messages.get(0));
    assertTrue(messages.get(0).contains(expected), "expected '" + expected + "' in: " + messages.get(0));
    assertFalse(stderr.contains("\tat "), "no stack trace for bad input: " + stderr);
    assertFalse(Files.exists(out.resolve("metrics.json")), "nothing may look complete after an error");
    assertFalse(Files.exists(out.resolve("manifest.json")), "nothing may look complete after an error");
  }

  /** A bad value is not a misspelt name: no "did you mean" for -5; a misspelt choice keeps its suggestion. */
  @Test
  void aSuggestionIsOfferedForMisspeltNamesOnly() {
    Object[] result = NtkMainTest.run(conf.toString(), "output.dir=" + dir.resolve("out-suggest"),
        "kernel.maxDriverBytes=-5");
    String stderr = (String) result[1];
    assertEquals(2, result[0], stderr);
    assertTrue(stderr.contains("kernel.maxDriverBytes = '-5'"), stderr);
    assertFalse(stderr.contains("did you mean"), stderr);
  }
}
