package org.sparkntk.linalg;

/**
 * Whether this JVM can use the JDK's Vector API (the incubator module jdk.incubator.vector, added
 * with {@code --add-modules}). Classes that call into the module are loaded only after this says
 * yes: the JVM resolves a class at its first use.
 */
public final class VectorModule {
  private VectorModule() {}

  /** Whether the JVM was started with the module jdk.incubator.vector. */
  public static boolean present() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }
}
