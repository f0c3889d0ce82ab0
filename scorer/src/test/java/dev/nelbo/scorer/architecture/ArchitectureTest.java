package dev.nelbo.scorer.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering the code relies on, checked on the compiled classes of the scorer and everything below it (schemas,
 * engine, registry): a change that breaks it fails here, naming the offending dependency.
 */
class ArchitectureTest {

    /** Main classes only: test classes, and the test jars other modules share their fixtures in, may reach anywhere. */
    private static final JavaClasses CLASSES = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.matches(java.util.regex.Pattern.compile(".*-tests\\.jar.*"))).importPackages("dev.nelbo");

    private static void check(final ArchRule rule) {
        rule.check(CLASSES);
    }

    /** Exactly-once batching leans on Streams internals in one audited place ({@code PreCommitFlushContractTest}). */
    @Test
    void only_streams_internals_touches_kafka_streams_internals() {
        check(noClasses().that().haveNameNotMatching("dev\\.nelbo\\.scorer\\.topology\\.StreamsInternals(\\$.*)?")
                .should().dependOnClassesThat().resideInAPackage("org.apache.kafka.streams..internals.."));
    }

    /** The scoring pipeline runs without Kafka Streams (tests drive it directly); only the topology adapts it. */
    @Test
    void the_pipeline_does_not_depend_on_kafka_streams() {
        check(noClasses().that().resideInAPackage("dev.nelbo.scorer.pipeline..")
                .should().dependOnClassesThat().resideInAPackage("org.apache.kafka.streams.."));
    }

    /**
     * Lower modules never reach up: contract (topic names, output fields, settings) at the bottom and Kafka-free schemas
     * and engine beside it, schemas below the engine and the registry, those below the scorer.
     */
    @Test
    void modules_depend_only_downwards() {
        check(noClasses().that().resideInAPackage("dev.nelbo.contract..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.nelbo.schemas..", "dev.nelbo.engine..",
                        "dev.nelbo.registry..", "dev.nelbo.scorer..", "dev.nelbo.trainer..", "dev.nelbo.deploy.."));
        check(noClasses().that().resideInAnyPackage("dev.nelbo.schemas..", "dev.nelbo.engine..")
                .should().dependOnClassesThat().resideInAPackage("dev.nelbo.contract.."));
        check(noClasses().that().resideInAPackage("dev.nelbo.schemas..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.nelbo.engine..", "dev.nelbo.registry..",
                        "dev.nelbo.scorer..", "dev.nelbo.trainer..", "dev.nelbo.deploy.."));
        check(noClasses().that().resideInAnyPackage("dev.nelbo.engine..", "dev.nelbo.registry..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.nelbo.scorer..", "dev.nelbo.trainer..",
                        "dev.nelbo.deploy.."));
        check(noClasses().that().resideInAPackage("dev.nelbo.engine..")
                .should().dependOnClassesThat().resideInAPackage("dev.nelbo.registry.."));
    }

    /** The scorer's packages form no cycle (app on top, then topology, pipeline, model, output, metrics, config). */
    @Test
    void the_scorers_packages_are_free_of_cycles() {
        check(slices().matching("dev.nelbo.scorer.(*)..").should().beFreeOfCycles());
    }
}
