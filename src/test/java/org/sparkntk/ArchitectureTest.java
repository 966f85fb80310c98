package org.sparkntk;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaConstructorCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkntk.kernel.BlockKernel;
import org.sparkntk.kernel.Kernels;

/**
 * The layout's rules, checked on the compiled main classes (docs/ARCHITECTURE.md): the numerics
 * have no Spark in them, the top-level packages depend on each other without cycles, and kernels
 * are built by {@link Kernels} only. Every rule is written for a root package, and is also run on
 * fixture classes under {@code org.sparkntk.architecture.fixture} that break it, so a rule that
 * cannot fail (a typo in a package pattern, say) fails this test.
 */
class ArchitectureTest {
  static final String ROOT = "org.sparkntk";
  static final String FIXTURE = "org.sparkntk.architecture.fixture";
  static JavaClasses main;
  static JavaClasses fixture;

  @BeforeAll
  static void importClasses() {
    main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);
    fixture = new ClassFileImporter().importPackages(FIXTURE);
  }

  /** The packages that compute and hold numbers, usable without a Spark session. */
  static ArchRule numericsWithoutSpark(String root) {
    String[] numerics = Arrays.stream(new String[] {"linalg", "model", "jacobian", "kernel", "solver"})
        .map(p -> root + "." + p + "..").toArray(String[]::new);
    return noClasses().that().resideInAnyPackage(numerics)
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "scala..")
        .because("the numerics run in plain Java, on the driver and in tests, without a Spark session");
  }

  static ArchRule topLevelPackagesWithoutCycles(String root) {
    return slices().matching(root + ".(*)..").should().beFreeOfCycles();
  }

  /** A kernel (a BlockKernel class of the kernel packages) is constructed only inside them. */
  static ArchRule kernelsBuiltInTheKernelPackages(String root) {
    DescribedPredicate<JavaConstructorCall> buildsAKernel = new DescribedPredicate<>(
        "a BlockKernel of " + root + ".kernel..") {
      @Override
      public boolean test(JavaConstructorCall call) {
        JavaClass c = call.getTargetOwner();
        return !c.isInterface() && c.isAssignableTo(BlockKernel.class)
            && (c.getPackageName() + ".").startsWith(root + ".kernel.");
      }
    };
    return noClasses().that().resideOutsideOfPackages(root + ".kernel..")
        .should().callConstructorWhere(buildsAKernel)
        .because("Kernels is the one place kernels are built, so every route builds the same kernel for the "
            + "same keys");
  }

  /** Within kernel/, only the factory knows the implementations in the packages below it. */
  static ArchRule kernelCoreIndependentOfItsImplementations() {
    return noClasses().that().resideInAPackage(ROOT + ".kernel").and().doNotHaveSimpleName("Kernels")
        .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".kernel.*..")
        .because("the kernel interfaces and blocks are the ground the implementations stand on");
  }

  @Test
  void numericsHaveNoSpark() {
    numericsWithoutSpark(ROOT).check(main);
  }

  @Test
  void packagesHaveNoCycles() {
    topLevelPackagesWithoutCycles(ROOT).check(main);
  }

  @Test
  void kernelsAreBuiltByTheFactoryOnly() {
    kernelsBuiltInTheKernelPackages(ROOT).check(main);
    kernelCoreIndependentOfItsImplementations().check(main);
  }

  @Test
  void eachRuleCatchesAViolation() {
    assertTrue(fixture.size() >= 5, "the fixture classes were not imported: " + fixture.size());
    assertThrows(AssertionError.class, () -> numericsWithoutSpark(FIXTURE).check(fixture), "Spark in linalg passed");
    assertThrows(AssertionError.class, () -> topLevelPackagesWithoutCycles(FIXTURE).check(fixture),
        "the cycle a → b → a passed");
    assertThrows(AssertionError.class, () -> kernelsBuiltInTheKernelPackages(FIXTURE).check(fixture),
        "a kernel built in report/ passed");
  }
}
