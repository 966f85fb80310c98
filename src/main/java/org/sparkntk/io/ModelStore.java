package org.sparkntk.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

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
  /** Refuses a key given twice in model.json: Jackson's default keeps the last one silently. */
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private ModelStore() {}

  public static void save(Mlp mlp, Path dir) throws IOException {
    save(mlp, null, dir);
  }

  /**
   * Saves the network and its input mapping (null or none: no mapping). A mapping is recorded in
   * model.json as {@code "inputMapping": {"type", "inputs", "scale", "features"}}, with the Gaussian
   * mapping's B in {@code B.npy} [m, d]; the network's widths[0] is then the mapped width n_0.
   */
  public static void save(Mlp mlp, InputMapping mapping, Path dir) throws IOException {
    if (mapping != null && !mapping.isFinite()) {
      throw new IllegalArgumentException("the m → ∞ Gaussian mapping has no finite network to save");
    }
    if (mapping != null && mapping.kind() != InputMapping.Kind.NONE && mapping.outputs() != mlp.architecture().inputs()) {
      throw new IllegalArgumentException("the mapping gives " + mapping.outputs() + " inputs, the network takes "
          + mlp.architecture().inputs());
    }
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
    if (mapping != null && mapping.kind() != InputMapping.Kind.NONE) {
      ObjectNode m = json.putObject("inputMapping");
      m.put("type", mapping.kind().configName());
      m.put("inputs", mapping.inputs());
      m.put("scale", mapping.scale());
      m.put("features", mapping.features());
      if (mapping.kind() == InputMapping.Kind.GAUSSIAN) {
        Npy.write(dir.resolve("B.npy"), mapping.gaussianMatrix(), mapping.features(), mapping.inputs());
      }
    }
    for (int l = 0; l < arch.depth(); l++) {
      Npy.write(dir.resolve("W" + l + ".npy"), mlp.weight(l), arch.width(l + 1), arch.width(l));
      Npy.write(dir.resolve("b" + l + ".npy"), mlp.bias(l), arch.width(l + 1));
    }
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.json").toFile(), json);
  }

  /**
   * Loads a saved model, checking model.json and every tensor's shape against it. A model/ inside
   * a job's output.dir is first checked against that run's manifest.json
   * ({@link org.sparkntk.io.Manifest#verifyIfListed}).
   */
  public static Mlp load(Path dir) throws IOException {
    Manifest.verifyIfListed(dir);
    Path file = dir.resolve("model.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException("model directory " + dir + " has no model.json");
    }
    JsonNode json = readJson(file);
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

  /**
   * The input mapping saved with a model ({@link InputMapping#none} when model.json has none), checked
   * against model.json: its output width must be the network's widths[0], B.npy must be [m, d].
   * Like {@link #load}, first checks a run's model/ against that run's manifest.json.
   */
  public static InputMapping loadMapping(Path dir) throws IOException {
    Manifest.verifyIfListed(dir);
    Path file = dir.resolve("model.json");
    JsonNode json = readJson(file);
    int n0 = json.path("widths").path(0).asInt(-1);
    JsonNode m = json.path("inputMapping");
    if (m.isMissingNode() || m.isNull()) {
      return InputMapping.none(Math.max(1, n0));
    }
    InputMapping mapping;
    try {
      if (!m.path("type").isTextual() || !m.path("scale").isNumber()) {
        throw new IOException(file + ": inputMapping needs a string \"type\" and a number \"scale\"");
      }
      InputMapping.Kind kind = InputMapping.Kind.fromConfig(m.path("type").asText());
      int inputs = positiveInt(m, file, "inputs");
      double scale = m.path("scale").asDouble();
      mapping = switch (kind) {
        case NONE -> InputMapping.none(inputs);
        case BASIC -> InputMapping.basic(inputs);
        case POSITIONAL -> InputMapping.positional(inputs, scale, positiveInt(m, file, "features"));
        case GAUSSIAN -> InputMapping.gaussian(inputs, scale,
            tensor(dir.resolve("B.npy"), positiveInt(m, file, "features"), inputs));
      };
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": inputMapping: " + e.getMessage(), e);
    }
    if (mapping.outputs() != n0) {
      throw new IOException(file + ": inputMapping " + mapping.describe() + " gives " + mapping.outputs()
          + " network inputs but widths[0] is " + n0);
    }
    return mapping;
  }

  /** model.json as a tree; a syntax error or a duplicate key is one line naming the file, line and column. */
  private static JsonNode readJson(Path file) throws IOException {
    try {
      return JSON.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      var at = e.getLocation();
      throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage()
          + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"), e);
    } catch (IOException e) {
      throw new IOException(file + ": cannot be read: " + e.getMessage(), e);
    }
  }

  private static int positiveInt(JsonNode node, Path file, String field) throws IOException {
    JsonNode n = node.path(field);
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() <= 0) {
      throw new IOException(file + ": inputMapping." + field + " = " + n + " is not a positive integer");
    }
    return n.asInt();
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
    double[] data = a.data();
    for (int k = 0; k < data.length; k++) {
      if (!Double.isFinite(data[k])) {
        String at = shape.length == 2 ? "[" + k / shape[1] + ", " + k % shape[1] + "]" : "[" + k + "]";
        throw new IOException(file + ": entry " + at + " is " + data[k] + "; a model's parameters must be finite "
            + "numbers (the first non-finite entry is named)");
      }
    }
    return data;
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
