package org.sparkntk.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.apache.spark.ml.param.ParamMap;
import org.junit.jupiter.api.Test;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;

/** Params of the ML API: documented defaults, validators, uid, copy, and their mapping to job keys. */
class NtkParamsTest {

  @Test
  void defaultsAreTheCliDefaultsAndDocumented() {
    NtkRegressor r = new NtkRegressor();
    assertEquals("features", r.getFeaturesCol());
    assertEquals("label", r.getLabelCol());
    assertEquals("prediction", r.getPredictionCol());
    assertArrayEquals(new int[] {512, 512}, r.getHidden());
    assertEquals("relu", r.getActivation());
    assertEquals(1.0, r.getSigmaW());
    assertEquals(0.1, r.getSigmaB());
    assertEquals("ntk", r.getParameterization());
    assertEquals(0L, r.getSeed());
    assertEquals("analytic", r.getKernelType());
    assertEquals("structured", r.getKernelMethod());
    assertEquals("trace", r.getKernelOutputs());
    assertEquals("regression", r.getSolverType());
    assertEquals(1e-3, r.getRidge());
    assertEquals(1000, r.getSteps());
    assertEquals("auto", r.getF0());
    NtkClassifier c = new NtkClassifier();
    assertEquals("mse", c.getLoss());
    assertEquals("probability", c.getProbabilityCol());
    assertEquals("rawPrediction", c.getRawPredictionCol());
    // Every param states its default in its description, and Spark finds them all.
    assertEquals(33, c.params().length);
    Arrays.stream(c.params()).forEach(p -> assertTrue(p.doc().contains("default"), p.name() + ": " + p.doc()));
    // The defaults give the CLI's own defaults for the keys they map to, except the kernel (analytic) and the
    // solver (regression with ridge 1e-3): docs/ML-API.md, "Spark ML pipelines", the most accurate predictor measured.
    JobConfig config = JobConfig.of(r.settings("y"));
    JobConfig cli = JobConfig.of(Map.of("data.label", "y"));
    for (var key : new org.sparkntk.config.ConfigKey<?>[] {ConfigKeys.MODEL_ACTIVATION, ConfigKeys.MODEL_SIGMA_W,
        ConfigKeys.MODEL_SIGMA_B, ConfigKeys.MODEL_SEED, ConfigKeys.INPUT_MAPPING, ConfigKeys.INPUT_SCALE,
        ConfigKeys.INPUT_FEATURES, ConfigKeys.SOLVER_STEPS,
        ConfigKeys.SOLVER_LR, ConfigKeys.SOLVER_F0, ConfigKeys.SOLVER_LOSS,
        ConfigKeys.SOLVER_BACKEND, ConfigKeys.KERNEL_CACHE, ConfigKeys.SOLVER_TOL, ConfigKeys.SOLVER_MAX_ITER,
        ConfigKeys.SOLVER_PRECONDITIONER, ConfigKeys.SOLVER_RANK, ConfigKeys.SOLVER_CENTERS,
        ConfigKeys.SOLVER_CENTER_SAMPLING}) {
      assertEquals(String.valueOf(cli.get(key)), String.valueOf(config.get(key)), key.name());
    }
    assertArrayEquals(cli.get(ConfigKeys.MODEL_HIDDEN), config.get(ConfigKeys.MODEL_HIDDEN));
    assertEquals("analytic", config.get(ConfigKeys.KERNEL_TYPE));
    assertEquals("regression", config.get(ConfigKeys.SOLVER_TYPE));
    assertEquals(1e-3, config.get(ConfigKeys.SOLVER_RIDGE));
    assertEquals(org.sparkntk.solver.Loss.MSE, JobConfig.of(c.settings("a,b")).get(ConfigKeys.SOLVER_LOSS));
  }

  @Test
  void validatorsRefuseBadValues() {
    NtkClassifier c = new NtkClassifier();
    assertThrows(IllegalArgumentException.class, () -> c.setSigmaW(0));
    assertThrows(IllegalArgumentException.class, () -> c.setSigmaB(-0.1));
    assertThrows(IllegalArgumentException.class, () -> c.setActivation("softplus"));
    assertThrows(IllegalArgumentException.class, () -> c.setHidden(64, 0));
    assertThrows(IllegalArgumentException.class, () -> c.setKernelType("randomfeatures"));
    assertThrows(IllegalArgumentException.class, () -> c.setSolverType("newton"));
    assertThrows(IllegalArgumentException.class, () -> c.setLoss("hinge"));
    assertThrows(IllegalArgumentException.class, () -> c.setSteps(-1));
    assertThrows(IllegalArgumentException.class, () -> c.setInputFeatures(0));
    assertThrows(IllegalArgumentException.class, () -> c.setCenterSampling("kmeans"));
    c.setActivation("leaky_relu(0.2)").setHidden().setSolverType("regression").setLoss("mse").setRidge(1e-3);
    JobConfig config = JobConfig.of(c.settings("a,b"));
    assertEquals(0, config.get(ConfigKeys.MODEL_HIDDEN).length);
    assertEquals(1e-3, config.get(ConfigKeys.SOLVER_RIDGE));
  }

  /** The params that set a key validate with the key's own parser: what one refuses, so does the other. */
  @Test
  void validatorsAreTheKeysParsers() {
    NtkRegressor r = new NtkRegressor();
    assertThrows(IllegalArgumentException.class, () -> r.setTol(1.0), "solver.tol is in (0, 1)");
    assertThrows(IllegalArgumentException.class, () -> r.setTol(0.0));
    assertThrows(IllegalArgumentException.class, () -> r.setMaxIter(0));
    assertThrows(IllegalArgumentException.class, () -> r.setRank(0));
    assertThrows(IllegalArgumentException.class, () -> r.setKernelCache("ram"));
    assertThrows(IllegalArgumentException.class, () -> r.setBackend("gpu"));
    assertThrows(IllegalArgumentException.class, () -> r.setPreconditioner("jacobi"));
    assertThrows(IllegalArgumentException.class, () -> r.setInputMapping("fourier"));
    assertThrows(IllegalArgumentException.class, () -> r.setInputScale(0));
    assertThrows(IllegalArgumentException.class, () -> r.setKernelOutputs("diagonal"));
    assertThrows(IllegalArgumentException.class, () -> r.setKernelMethod("autograd"));
    assertThrows(IllegalArgumentException.class, () -> r.setKernelSamples(0));
    assertThrows(IllegalArgumentException.class, () -> r.setF0("random"));
    assertThrows(IllegalArgumentException.class, () -> r.setRidge(-1e-3));
    assertThrows(IllegalArgumentException.class, () -> r.setParameterization("mup"));
    // Names in any case, as in job files; each value then parses as its key.
    r.setInputMapping("Gaussian").setKernelOutputs("FULL").setF0("zero").setTol(1e-10).setKernelCache("disk");
    JobConfig config = JobConfig.of(r.settings("y"));
    assertEquals(1e-10, config.get(ConfigKeys.SOLVER_TOL));
    assertEquals("disk", config.get(ConfigKeys.KERNEL_CACHE));
  }

  @Test
  void uidConstructorAndCopy() {
    NtkRegressor r = new NtkRegressor("ntk-1").setSeed(7).setHidden(32);
    assertEquals("ntk-1", r.uid());
    assertTrue(new NtkRegressor().uid().startsWith("ntkRegressor_"));
    NtkRegressor copy = r.copy(new ParamMap().put(r.ridge().w(0.5)));
    assertNotSame(r, copy);
    assertEquals("ntk-1", copy.uid());
    assertEquals(7L, copy.getSeed());
    assertArrayEquals(new int[] {32}, copy.getHidden());
    assertEquals(0.5, copy.getRidge());
    assertEquals(1e-3, r.getRidge(), "copy must not change the original");
    NtkClassifier c = new NtkClassifier("c").setLoss("xent");
    assertEquals("xent", c.copy(ParamMap.empty()).getLoss());
  }
}
