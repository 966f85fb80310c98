package org.sparkntk.io;

import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private static Architecture arch() {
    return Architecture.of(3, new int[] {5, 4}, 2, Activation.GELU, Parameterization.STANDARD, 1.5, 0.0);
  }

  @Test
  void saveThenLoadGivesTheSameNetwork() throws IOException {
    Mlp mlp = Mlp.initialise(arch(), 42);
    ModelStore.save(mlp, dir);
    Mlp back = ModelStore.load(dir);

    assertEquals(mlp.architecture(), back.architecture());
    assertEquals(3, back.architecture().depth());
    for (int l = 0; l < 3; l++) {
      assertArrayEquals(mlp.weight(l), back.weight(l), "W" + l);
      assertArrayEquals(mlp.bias(l), back.bias(l), "b" + l);
    }
    double[] x = new Random(1).doubles(4 * 3).toArray();
    assertArrayEquals(mlp.outputs(x, 4), back.outputs(x, 4), "same parameters, same function");

    // The files np.load and json.load see.
    ObjectNode json = (ObjectNode) JSON.readTree(dir.resolve("model.json").toFile());
    assertEquals("spark-ntk-mlp", json.get("format").asText());
    assertEquals(1, json.get("version").asInt());
    assertEquals("[3,5,4,2]", json.get("widths").toString());
    assertEquals("gelu", json.get("activation").asText());
    assertEquals("standard", json.get("parameterization").asText());
    assertEquals(1.5, json.get("sigmaW").asDouble());
    assertEquals(0.0, json.get("sigmaB").asDouble());
    assertArrayEquals(new long[] {5, 3}, Npy.read(dir.resolve("W0.npy")).shape(), "W_l is [n_{l+1}, n_l]");
    assertArrayEquals(new long[] {2, 4}, Npy.read(dir.resolve("W2.npy")).shape());
    assertArrayEquals(new long[] {4}, Npy.read(dir.resolve("b1.npy")).shape());
    assertFalse(Files.exists(dir.resolve("W3.npy")));
  }

  @Test
  void loadRejectsATensorOfTheWrongShape() throws IOException {
    ModelStore.save(Mlp.initialise(arch(), 1), dir);
    // Same number of values, transposed shape [n_0, n_1].
    Npy.write(dir.resolve("W0.npy"), new double[15], 3, 5);
    IOException e = assertThrows(IOException.class, () -> ModelStore.load(dir));
    assertContains(e.getMessage(), "W0.npy", "[3, 5]", "[5, 3]");
  }

  @Test
  void loadRejectsAMissingTensor() throws IOException {
    ModelStore.save(Mlp.initialise(arch(), 1), dir);
    Files.delete(dir.resolve("b1.npy"));
    IOException e = assertThrows(IOException.class, () -> ModelStore.load(dir));
    assertContains(e.getMessage(), "b1.npy", "missing");
  }

  @Test
  void loadRejectsAMissingModelJson() throws IOException {
    IOException e = assertThrows(IOException.class, () -> ModelStore.load(dir));
    assertContains(e.getMessage(), "model.json");
  }

  @Test
  void loadRejectsABadModelJson() throws IOException {
    ModelStore.save(Mlp.initialise(arch(), 1), dir);
    assertBadJson(j -> j.put("format", "keras"), "\"format\"", "'keras'");
    assertBadJson(j -> j.put("version", 2), "\"version\"", "2");
    assertBadJson(j -> j.putArray("widths").add(3).add(2.5).add(4).add(2), "widths[1]", "2.5");
    assertBadJson(j -> j.putArray("widths").add(3).add("5").add(4).add(2), "widths[1]");
    assertBadJson(j -> j.putArray("widths").add(3).add(0).add(4).add(2), "widths[1]");
    assertBadJson(j -> j.putArray("widths").add(3), "\"widths\"");
    assertBadJson(j -> j.put("widths", "3,5,4,2"), "\"widths\"");
    assertBadJson(j -> j.put("activation", "relux"), "relux");
    assertBadJson(j -> j.put("sigmaW", "1.5"), "\"sigmaW\"");
    assertBadJson(j -> j.put("sigmaW", -1.0), "sigmaW");
    assertBadJson(j -> j.remove("parameterization"), "\"parameterization\"");

    Files.writeString(dir.resolve("model.json"), "{\"format\": ");
    IOException e = assertThrows(IOException.class, () -> ModelStore.load(dir));
    assertContains(e.getMessage(), "model.json", "not valid JSON");
  }

  /** Applies {@code edit} to a freshly saved model.json and expects load to fail naming the file and the parts. */
  private void assertBadJson(Consumer<ObjectNode> edit, String... parts) throws IOException {
    ModelStore.save(Mlp.initialise(arch(), 1), dir);
    Path file = dir.resolve("model.json");
    ObjectNode json = (ObjectNode) JSON.readTree(file.toFile());
    edit.accept(json);
    JSON.writeValue(file.toFile(), json);
    IOException e = assertThrows(IOException.class, () -> ModelStore.load(dir), json.toString());
    assertContains(e.getMessage(), file.toString());
    assertContains(e.getMessage(), parts);
  }

  @Test
  void initialiseIsAPureFunctionOfTheSeed() {
    Architecture a = Architecture.of(4, new int[] {6, 6}, 3, Activation.RELU, Parameterization.NTK, 1.0, 0.1);
    Mlp one = Mlp.initialise(a, 7);
    Mlp two = Mlp.initialise(a, 7);
    Mlp other = Mlp.initialise(a, 8);
    for (int l = 0; l < a.depth(); l++) {
      assertArrayEquals(one.weight(l), two.weight(l), "same seed, W" + l);
      assertArrayEquals(one.bias(l), two.bias(l), "same seed, b" + l);
      assertFalse(Arrays.equals(one.weight(l), other.weight(l)), "another seed, W" + l);
      assertFalse(Arrays.equals(one.bias(l), other.bias(l)), "another seed, b" + l);
    }
    // Each tensor has its own stream: W1 (6×6) is not a copy or a prefix of another tensor's draws.
    assertFalse(Arrays.equals(one.weight(1), Arrays.copyOf(one.weight(0), 36)));
    assertFalse(Arrays.equals(one.bias(0), one.bias(1)));
    assertFalse(one.weight(0)[0] == one.bias(0)[0]);
    // Widening a later layer does not change an earlier tensor: tensors are seeded by their index.
    Mlp wider = Mlp.initialise(Architecture.of(4, new int[] {6, 9}, 3, Activation.RELU, Parameterization.NTK,
        1.0, 0.1), 7);
    assertArrayEquals(one.weight(0), wider.weight(0));
  }

  /**
   * 100 000 draws of W0 against N(0, 1), each statistic within 5 standard errors (a false alarm
   * probability below 1e-6 per statistic): mean (SE 1/√n), variance (SE √(2/n)), fourth moment
   * (E x⁴ = 3, SE √((105 − 9)/n)), P(|x| < 1) = 0.6827 (SE √(p(1 − p)/n)), and the correlation of the
   * two values of each Box–Muller pair (0, SE 1/√(n/2)).
   */
  @Test
  void drawsLookStandardNormal() {
    Mlp mlp = Mlp.initialise(Architecture.of(1000, new int[0], 100, Activation.IDENTITY, Parameterization.NTK,
        1.0, 0.1), 2024);
    double[] x = mlp.weight(0);
    int n = x.length;
    assertEquals(100_000, n);
    double sum = 0;
    double sum2 = 0;
    double sum4 = 0;
    int inside = 0;
    double pairs = 0;
    for (int i = 0; i < n; i++) {
      sum += x[i];
      sum2 += x[i] * x[i];
      sum4 += x[i] * x[i] * x[i] * x[i];
      inside += Math.abs(x[i]) < 1 ? 1 : 0;
      if (i % 2 == 0) {
        pairs += x[i] * x[i + 1];
      }
    }
    double mean = sum / n;
    double variance = sum2 / n - mean * mean;
    double p = 0.6826894921370859;
    assertEquals(0.0, mean, 5 / Math.sqrt(n), "mean");
    assertEquals(1.0, variance, 5 * Math.sqrt(2.0 / n), "variance");
    assertEquals(3.0, sum4 / n, 5 * Math.sqrt(96.0 / n), "fourth moment");
    assertEquals(p, inside / (double) n, 5 * Math.sqrt(p * (1 - p) / n), "P(|x| < 1)");
    assertEquals(0.0, pairs / (n / 2.0), 5 / Math.sqrt(n / 2.0), "Box–Muller pair correlation");
    assertTrue(Arrays.stream(x).allMatch(Double::isFinite));
  }

  private static void assertContains(String message, String... parts) {
    for (String p : parts) {
      assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
    }
  }
}
