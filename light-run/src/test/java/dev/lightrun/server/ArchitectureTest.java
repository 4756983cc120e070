package dev.lightrun.server;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The boundaries the design promises (docs/architecture.md), checked on the compiled classes of the server and the
 * SDK, so every dependency counts: imports, fully-qualified names, signatures and calls alike.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.lightrun");
    }

    @Test
    void serverPackagesHaveNoCycles() {
        slices().matching("dev.lightrun.server.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void sdkPackagesHaveNoCycles() {
        slices().matching("dev.lightrun.(runner)..").should().beFreeOfCycles()
                .because("the SDK is one slice here; its docker package is checked by the next rule")
                .check(classes);
        noClasses().that().resideInAPackage("dev.lightrun.runner")
                .should().dependOnClassesThat().resideInAPackage("dev.lightrun.runner.docker..")
                .because("the SDK's API names no backend: a second backend implements it beside docker")
                .check(classes);
    }

    @Test
    void lowerLayersDependOnNeitherRunsNorHttp() {
        noClasses().that().resideInAnyPackage("dev.lightrun.server.store..", "dev.lightrun.server.artifacts..",
                        "dev.lightrun.server.callbacks..", "dev.lightrun.server.logs..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.lightrun.server.runs..",
                        "dev.lightrun.server.http..")
                .check(classes);
    }

    @Test
    void modelDependsOnNoOtherServerPackage() {
        noClasses().that().resideInAPackage("dev.lightrun.server.model..")
                .should().dependOnClassesThat(resideInAPackage("dev.lightrun.server..")
                        .and(not(resideInAPackage("dev.lightrun.server.model.."))))
                .because("the model is the vocabulary every other package uses; it reaches up into none of them")
                .check(classes);
    }

    @Test
    void runsDoesNotDependOnHttp() {
        noClasses().that().resideInAPackage("dev.lightrun.server.runs..")
                .should().dependOnClassesThat().resideInAPackage("dev.lightrun.server.http..")
                .check(classes);
    }

    @Test
    void theRunServiceEmitsEventsAndKnowsNoMetricsTracingOrAuth() {
        noClasses().that().resideInAPackage("dev.lightrun.server.runs..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.lightrun.server.metrics..",
                        "dev.lightrun.server.tracing..", "dev.lightrun.server.auth..", "io.micrometer..",
                        "io.opentelemetry..")
                .because("metrics and traces listen to RunEvents; who may call is decided before the run service")
                .check(classes);
    }

    @Test
    void authDependsOnlyOnTheModel() {
        noClasses().that().resideInAPackage("dev.lightrun.server.auth..")
                .should().dependOnClassesThat(resideInAPackage("dev.lightrun.server..")
                        .and(not(resideInAPackage("dev.lightrun.server.model..")))
                        .and(not(resideInAPackage("dev.lightrun.server.auth.."))))
                .check(classes);
    }

    @Test
    void onlyTheDockerBackendImportsDockerJava() {
        noClasses().that().resideOutsideOfPackage("dev.lightrun.runner.docker..")
                .should().dependOnClassesThat().resideInAPackage("com.github.dockerjava..")
                .check(classes);
    }

    @Test
    void onlyTheClientCommandsUseTheClientLibrary() {
        noClasses().that().resideInAPackage("dev.lightrun.server..")
                .and().resideOutsideOfPackage("dev.lightrun.server.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.lightrun.client..")
                .because("the server serves the API; only the command line calls it (light-run-client/README.md)")
                .check(classes);
        noClasses().that().resideInAPackage("dev.lightrun.client..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.lightrun.server..", "dev.lightrun.runner..")
                .because("the client speaks HTTP only: it names neither the server's nor the SDK's types")
                .check(classes);
    }

    @Test
    void theSdkKnowsNothingOfTheServer() {
        noClasses().that().resideInAPackage("dev.lightrun.runner..")
                .should().dependOnClassesThat().resideInAPackage("dev.lightrun.server..")
                .check(classes);
    }
}
