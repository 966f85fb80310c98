package org.sparkntk.model;

import java.util.SplittableRandom;

/**
 * Random draws that are a pure function of (seed, stream): stream t of a seed is a SplitMix64
 * generator seeded by mix(seed, t), so a model's parameters depend neither on partitions,
 * executors nor the JDK's Gaussian algorithm, and distinct tensors of one model (distinct stream
 * numbers) are independent. A stream's first k draws do not depend on how many are asked for.
 */
final class SeededDraws {
  private SeededDraws() {}

  private static SplittableRandom stream(long seed, long stream) {
    return new SplittableRandom(mix64(seed ^ mix64(stream + 0x9E3779B97F4A7C15L)));
  }

  /** {@code count} N(0, 1) draws by Box–Muller, two per pair of uniforms. */
  static double[] gaussians(long seed, long stream, int count) {
    SplittableRandom random = stream(seed, stream);
    double[] out = new double[count];
    for (int i = 0; i < count; i += 2) {
      double u1 = 1.0 - random.nextDouble(); // (0, 1]: log is finite
      double u2 = random.nextDouble();
      double r = Math.sqrt(-2.0 * Math.log(u1));
      out[i] = r * Math.cos(2.0 * Math.PI * u2);
      if (i + 1 < count) {
        out[i + 1] = r * Math.sin(2.0 * Math.PI * u2);
      }
    }
    return out;
  }

  /** {@code count} U[0, 1) draws. */
  static double[] uniforms(long seed, long stream, int count) {
    SplittableRandom random = stream(seed, stream);
    double[] out = new double[count];
    for (int i = 0; i < count; i++) {
      out[i] = random.nextDouble();
    }
    return out;
  }

  /** The SplitMix64 finaliser (Steele, Lea, Flood 2014). */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
