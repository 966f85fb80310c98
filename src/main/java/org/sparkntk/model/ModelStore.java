package org.sparkntk.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.sparkntk.output.Npy;

/**
 * The saved model format: a directory with {@code model.json} (format, version, widths,
 * activation, parameterization, sigmaW, sigmaB) and one float64 {@code .npy} per tensor,
 * {@code W<l>.npy} of shape [n_{l+1}, n_l] and {@code b<l>.npy} of shape [n_{l+1}], holding the
 * raw N(0, 1) draws (the σ_w/√n_l and σ_b factors are applied in the forward pass).
 * {@code np.load} reads every tensor.
 */
public final class ModelStore {
  public static final String FORMAT = "spark-ntk-mlp";
  public static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelStore() {}

  public static void save(Mlp mlp, Path dir) throws IOException {
    Files.createDirectories(dir);
    Architecture arch = mlp.architecture();
    ObjectNode json = JSON.createObjectNode();
    json.put("format", FORMAT);
    json.put("version", VERSION);
    ArrayNode widths = json.putArray("widths");
    for (int w : arch.widths()) {
      widths.add(w);
    }
    json.put("activation", arch.activation().configName());
    json.put("parameterization", arch.parameterization().configName());
    json.put("sigmaW", arch.sigmaW());
    json.put("sigmaB", arch.sigmaB());
    for (int l = 0; l < arch.depth(); l++) {
      Npy.write(dir.resolve("W" + l + ".npy"), mlp.weight(l), arch.width(l + 1), arch.width(l));
      Npy.write(dir.resolve("b" + l + ".npy"), mlp.bias(l), arch.width(l + 1));
    }
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.json").toFile(), json);
  }

  /** Loads a saved model, checking model.json and every tensor's shape against it. */
  public static Mlp load(Path dir) throws IOException {
    Path file = dir.resolve("model.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException("model directory " + dir + " has no model.json");
    }
    JsonNode json;
    try {
      json = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    if (!FORMAT.equals(json.path("format").asText())) {
      throw new IOException(file + ": \"format\" is '" + json.path("format").asText() + "', expected '" + FORMAT + "'");
    }
    if (json.path("version").asInt(-1) != VERSION) {
      throw new IOException(file + ": \"version\" is " + json.path("version") + ", this build reads " + VERSION);
    }
    JsonNode w = json.path("widths");
    if (!w.isArray() || w.size() < 2) {
      throw new IOException(file + ": \"widths\" must be an array of at least two positive integers");
    }
    int[] widths = new int[w.size()];
    for (int i = 0; i < widths.length; i++) {
      if (!w.get(i).canConvertToInt() || !w.get(i).isIntegralNumber() || w.get(i).asInt() <= 0) {
        throw new IOException(file + ": widths[" + i + "] = " + w.get(i) + " is not a positive integer");
      }
      widths[i] = w.get(i).asInt();
    }
    Architecture arch;
    try {
      arch = new Architecture(widths, Activation.fromConfig(text(json, file, "activation")),
          Parameterization.fromConfig(text(json, file, "parameterization")),
          number(json, file, "sigmaW"), number(json, file, "sigmaB"));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
    double[][] weights = new double[arch.depth()][];
    double[][] biases = new double[arch.depth()][];
    for (int l = 0; l < arch.depth(); l++) {
      weights[l] = tensor(dir.resolve("W" + l + ".npy"), arch.width(l + 1), arch.width(l));
      biases[l] = tensor(dir.resolve("b" + l + ".npy"), arch.width(l + 1));
    }
    return new Mlp(arch, weights, biases);
  }

  private static double[] tensor(Path file, long... shape) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("model tensor " + file + " is missing");
    }
    Npy.Array a = Npy.read(file);
    if (!Arrays.equals(a.shape(), shape)) {
      throw new IOException(file + ": shape " + Arrays.toString(a.shape()) + " does not match model.json, which needs "
          + Arrays.toString(shape));
    }
    return a.data();
  }

  private static String text(JsonNode json, Path file, String field) throws IOException {
    JsonNode n = json.path(field);
    if (!n.isTextual()) {
      throw new IOException(file + ": \"" + field + "\" must be a string");
    }
    return n.asText();
  }

  private static double number(JsonNode json, Path file, String field) throws IOException {
    JsonNode n = json.path(field);
    if (!n.isNumber()) {
      throw new IOException(file + ": \"" + field + "\" must be a number");
    }
    return n.asDouble();
  }
}
