package org.sparkntk.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.sparkntk.SparkTestSession;
import org.sparkntk.io.ModelStore;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/**
 * The child JVM of {@link MalformedInputTest}: {@code MalformedInputs <work dir> <seed> <cases>}
 * writes, for each case, one malformed CSV, libsvm or model file of at most 4 KB (a valid one
 * edited at random: tokens that are no numbers or Java literals, huge or zero or unsorted indices,
 * duplicate keys, flipped bytes, truncation) into a fresh sandbox, runs the CLI on it, and checks
 * the outcome: status 0, or status 2 with exactly one {@code spark-ntk:} message line; and no file
 * written in the sandbox outside output.dir. Prints one line per case and exits 0 when every case
 * passed, 1 otherwise. It runs with a small -Xmx, so an input that makes the job allocate by its
 * own size fails the case with an OutOfMemoryError (status 1).
 */
public final class MalformedInputs {
  static final int MAX_BYTES = 4096;
  /** Tokens a field or value is replaced by: numbers at the edges, Java literals, words, blanks. */
  static final String[] TOKENS = {"", " ", "NaN", "Infinity", "-Inf", "1e300", "-1e308", "1e400", "4.9e-324", "1.5d",
      "2f", "0x1p-3", "0x10", "abc", "1_000", "1,5", "\"7\"", "99999999999999999999", "-0", "+.5", "5.", "1e", "--1",
      "1e+", ".", "null", "true", "٣", "\u0000", "\t1"};
  static final String[] INDICES = {"0", "-1", "1", "2", "3", "2000000000", "2147483648", "99999999999999", "a", "",
      "1.5", "+2", " 3"};

  private MalformedInputs() {}

  public static void main(String[] args) throws IOException {
    Path work = Path.of(args[0]);
    Random random = new Random(Long.parseLong(args[1]));
    int cases = Integer.parseInt(args[2]);
    SparkTestSession.get();
    Path model = work.resolve("base-model");
    ModelStore.save(Mlp.initialise(Architecture.of(2, new int[] {3}, 1, Activation.fromConfig("relu"),
        Parameterization.NTK, 1, 0.1), 0), model);
    int failed = 0;
    int[] statuses = new int[3];
    for (int c = 0; c < cases; c++) {
      Path sandbox = work.resolve("case-" + c);
      Files.createDirectories(sandbox);
      String kind = switch (c % 3) {
        case 0 -> "csv";
        case 1 -> "libsvm";
        default -> "model";
      };
      List<String> args2 = new ArrayList<>();
      Path job = sandbox.resolve("job.conf");
      Files.writeString(job, "model.hidden = 3\nsolver.steps = 2\noutput.checkpoint = false\n"
          + "kernel.type = analytic\n");
      args2.add(job.toString());
      String edit;
      switch (kind) {
        case "csv" -> {
          String[] text = csv(random, true);
          edit = text[1];
          write(sandbox.resolve("train.csv"), text[0].getBytes(StandardCharsets.UTF_8), random);
          args2.addAll(List.of("data.train=" + sandbox.resolve("train.csv"), "data.label=y"));
        }
        case "libsvm" -> {
          String[] text = libsvm(random);
          edit = text[1];
          write(sandbox.resolve("train.libsvm"), text[0].getBytes(StandardCharsets.UTF_8), random);
          args2.addAll(List.of("data.train=" + sandbox.resolve("train.libsvm"), "data.format=libsvm"));
        }
        default -> {
          String[] text = csv(random, false);
          Files.writeString(sandbox.resolve("train.csv"), text[0]);
          Path copy = sandbox.resolve("model");
          Files.createDirectories(copy);
          try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.toList()) {
              Files.copy(f, copy.resolve(f.getFileName()));
            }
          }
          edit = mutateModel(copy, random);
          args2.addAll(List.of("data.train=" + sandbox.resolve("train.csv"), "data.label=y",
              "model.load=" + copy, "kernel.type=empirical"));
        }
      }
      Path out = sandbox.resolve("out");
      args2.add("output.dir=" + out);
      Set<String> before = listing(sandbox);
      Object[] result = run(args2.toArray(new String[0]));
      int status = (int) result[0];
      String stderr = (String) result[1];
      List<String> messages = stderr.lines().filter(l -> l.startsWith("spark-ntk: ") && !l.contains("BLAS")).toList();
      List<String> problems = new ArrayList<>();
      if (status == 2 && messages.size() != 1) {
        problems.add("status 2 with " + messages.size() + " messages");
      } else if (status != 0 && status != 2) {
        problems.add("status " + status);
      }
      if (stderr.contains("_spark_ntk")) {
        problems.add("an internal column name in the output");
      }
      Set<String> after = listing(sandbox);
      after.removeAll(before);
      after.removeIf(p -> p.equals("out") || p.startsWith("out/"));
      if (!after.isEmpty()) {
        problems.add("files written outside output.dir: " + after);
      }
      statuses[status == 0 ? 0 : status == 2 ? 1 : 2]++;
      String message = messages.isEmpty() ? "" : messages.get(messages.size() - 1);
      System.out.println(String.format(Locale.ROOT, "case %d %s (%s): status %d %s%s", c, kind, edit, status,
          message.length() > 300 ? message.substring(0, 300) + "…" : message,
          problems.isEmpty() ? "" : "\nFAILED: " + problems + "\n" + stderr));
      if (!problems.isEmpty()) {
        failed++;
      }
    }
    System.out.println("status 0: " + statuses[0] + ", status 2: " + statuses[1] + ", other: " + statuses[2]
        + "; failed cases: " + failed);
    System.out.flush();
    System.exit(failed == 0 ? 0 : 1);
  }

  /** A valid CSV of 8 rows with one edit; {text, what was edited}. */
  static String[] csv(Random r, boolean edited) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"f1", "f2", "y"});
    for (int i = 0; i < 8; i++) {
      rows.add(new String[] {num(r), num(r), num(r)});
    }
    String edit = "none";
    if (edited && r.nextInt(8) != 0) {
      int row = r.nextInt(rows.size());
      int col = r.nextInt(3);
      switch (r.nextInt(4)) {
        case 0, 1 -> {
          String t = TOKENS[r.nextInt(TOKENS.length)];
          rows.get(row)[col] = t;
          edit = "row " + row + " col " + col + " = '" + t + "'";
        }
        case 2 -> {
          String[] shorter = new String[2];
          System.arraycopy(rows.get(row), 0, shorter, 0, 2);
          rows.set(row, shorter);
          edit = "row " + row + " short";
        }
        default -> {
          rows.set(row, new String[] {rows.get(row)[0], rows.get(row)[1], rows.get(row)[2], num(r)});
          edit = "row " + row + " long";
        }
      }
    }
    StringBuilder s = new StringBuilder();
    for (String[] row : rows) {
      s.append(String.join(",", row)).append('\n');
    }
    return new String[] {s.toString(), edit};
  }

  /** A valid libsvm file of 8 lines (label, ascending 1-based indices ≤ 3) with one edit. */
  static String[] libsvm(Random r) {
    List<List<String>> lines = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      List<String> items = new ArrayList<>(List.of(num(r)));
      for (int j = 1; j <= 3; j++) {
        if (r.nextInt(4) != 0 || j == 3) {
          items.add(j + ":" + num(r));
        }
      }
      lines.add(items);
    }
    String edit = "none";
    if (r.nextInt(8) != 0) {
      List<String> line = lines.get(r.nextInt(lines.size()));
      int item = r.nextInt(line.size());
      switch (r.nextInt(5)) {
        case 0 -> {
          String t = TOKENS[r.nextInt(TOKENS.length)];
          String old = line.get(item);
          line.set(item, item == 0 ? t : old.substring(0, old.indexOf(':') + 1) + t);
          edit = "value '" + t + "'";
        }
        case 1, 2 -> {
          String t = INDICES[r.nextInt(INDICES.length)];
          if (item == 0) {
            item = 1;
          }
          String old = line.get(item);
          line.set(item, t + old.substring(old.indexOf(':')));
          edit = "index '" + t + "'";
        }
        case 3 -> {
          line.add(line.get(line.size() - 1));
          edit = "duplicate item";
        }
        default -> {
          if (line.size() > 2) {
            String a = line.get(1);
            line.set(1, line.get(2));
            line.set(2, a);
          }
          line.set(item, line.get(item).replace(":", r.nextBoolean() ? "" : "::"));
          edit = "swapped items, colon changed";
        }
      }
    }
    StringBuilder s = new StringBuilder();
    for (List<String> line : lines) {
      s.append(String.join(r.nextInt(20) == 0 ? "\t" : " ", line)).append('\n');
    }
    return new String[] {s.toString(), edit};
  }

  /** Edits one file of a saved model: JSON fields and duplicate keys, .npy bytes, truncation. */
  static String mutateModel(Path dir, Random r) throws IOException {
    switch (r.nextInt(6)) {
      case 0 -> {
        String json = Files.readString(dir.resolve("model.json"));
        String[] fields = {"\"sigmaW\" : 1.0", "\"sigmaB\" : 0.1", "\"widths\" : [ 2, 3, 1 ]", "\"activation\" : \"relu\""};
        String[] values = {"\"sigmaW\" : 1e308", "\"sigmaB\" : -1", "\"widths\" : [ 2, 100000000, 1 ]",
            "\"widths\" : [ 2, 2147483647, 2147483647, 1 ]", "\"activation\" : \"rleu\"", "\"sigmaW\" : \"x\"",
            "\"widths\" : [ 2, 3.5, 1 ]", "\"widths\" : [ 2, -3, 1 ]", "\"sigmaW\" : NaN"};
        String f = fields[r.nextInt(fields.length)];
        String v = values[r.nextInt(values.length)];
        Files.writeString(dir.resolve("model.json"), json.replace(f.replace(" : ", " : "), v));
        return "model.json " + v;
      }
      case 1 -> {
        String json = Files.readString(dir.resolve("model.json"));
        Files.writeString(dir.resolve("model.json"), json.replaceFirst("\\{", "{\n  \"sigmaW\" : 2.0,"));
        return "model.json duplicate sigmaW";
      }
      default -> {
        String[] tensors = {"W0.npy", "b0.npy", "W1.npy", "b1.npy", "model.json"};
        Path f = dir.resolve(tensors[r.nextInt(tensors.length)]);
        byte[] bytes = Files.readAllBytes(f);
        int kind = r.nextInt(4);
        if (kind == 0) {
          Files.write(f, java.util.Arrays.copyOf(bytes, r.nextInt(bytes.length)));
          return f.getFileName() + " truncated";
        }
        if (kind == 1 && f.toString().endsWith(".npy") && bytes.length >= 136) {
          // one float64 of the data set to NaN, +Inf or a huge value
          long[] bits = {0x7ff8000000000000L, 0x7ff0000000000000L, Double.doubleToLongBits(1e300)};
          int at = 128 + 8 * r.nextInt((bytes.length - 128) / 8);
          long b = bits[r.nextInt(bits.length)];
          for (int k = 0; k < 8; k++) {
            bytes[at + k] = (byte) (b >>> (8 * k));
          }
          Files.write(f, bytes);
          return f.getFileName() + " value bits " + Long.toHexString(b);
        }
        int at = r.nextInt(bytes.length);
        bytes[at] = (byte) r.nextInt(256);
        Files.write(f, bytes);
        return f.getFileName() + " byte " + at + " changed";
      }
    }
  }

  private static String num(Random r) {
    return String.format(Locale.ROOT, "%.4f", r.nextGaussian());
  }

  /** Writes {@code bytes}, sometimes with a random byte run inserted or cut short; at most 4 KB. */
  private static void write(Path file, byte[] bytes, Random r) throws IOException {
    byte[] out = bytes;
    if (r.nextInt(6) == 0) {
      int at = r.nextInt(bytes.length + 1);
      byte[] noise = new byte[1 + r.nextInt(8)];
      r.nextBytes(noise);
      out = new byte[bytes.length + noise.length];
      System.arraycopy(bytes, 0, out, 0, at);
      System.arraycopy(noise, 0, out, at, noise.length);
      System.arraycopy(bytes, at, out, at + noise.length, bytes.length - at);
    } else if (r.nextInt(10) == 0) {
      out = java.util.Arrays.copyOf(bytes, r.nextInt(bytes.length));
    }
    if (out.length > MAX_BYTES) {
      throw new IllegalStateException("case larger than 4 KB: " + out.length);
    }
    Files.write(file, out);
  }

  private static Set<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      Set<String> names = new TreeSet<>();
      s.filter(p -> !p.equals(dir)).forEach(p -> names.add(dir.relativize(p).toString().replace('\\', '/')));
      return names;
    }
  }

  private static Object[] run(String... args) {
    PrintStream err = System.err;
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      int status = NtkMain.run(args);
      return new Object[] {status, captured.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setErr(err);
      System.setOut(stdout);
    }
  }
}
