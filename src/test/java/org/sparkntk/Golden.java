package org.sparkntk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sparkntk.io.ModelStore;
import org.sparkntk.io.Npy;
import org.sparkntk.model.Mlp;

/**
 * The golden cases made by scripts/golden/make_jacobian_golden.py with PyTorch autograd: a saved
 * model, inputs x [N, n0], outputs f [N, O], Jacobians [N, O, P], and the NTK Grams.
 */
public record Golden(String name, Path dir) {
  public static List<Golden> cases() {
    try {
      Path root = Path.of(Golden.class.getResource("/golden/jacobian/cases.json").toURI()).getParent();
      JsonNode json = new ObjectMapper().readTree(root.resolve("cases.json").toFile());
      List<Golden> out = new ArrayList<>();
      json.path("cases").forEach(c -> out.add(new Golden(c.asText(), root.resolve(c.asText()))));
      if (out.isEmpty()) {
        throw new IllegalStateException("no golden cases listed in " + root.resolve("cases.json"));
      }
      return out;
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public Mlp model() {
    try {
      return ModelStore.load(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Npy.Array array(String file) {
    try {
      return Npy.read(dir.resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
