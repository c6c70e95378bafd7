package io.gridwire;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package structure issue 16 set: families on top (energy, simulator, deviceevents, autocore, sites, pdu), then
 * platform, api, sink, mqtt, metrics, message and cluster below them, with no cycle between packages and no shared package
 * reaching up into a family.
 */
class ArchitectureTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.gridwire");

    @Test
    void noPackageCycles() {
        slices().matching("io.gridwire.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void sharedPackagesDoNotDependOnFamilies() {
        noClasses().that().resideInAnyPackage("io.gridwire.platform..", "io.gridwire.api..", "io.gridwire.sink..",
                        "io.gridwire.mqtt..", "io.gridwire.metrics..", "io.gridwire.message..", "io.gridwire.cluster..")
                .should().dependOnClassesThat().resideInAnyPackage("io.gridwire.energy..", "io.gridwire.simulator..",
                        "io.gridwire.deviceevents..", "io.gridwire.autocore..", "io.gridwire.sites..", "io.gridwire.pdu..")
                .check(MAIN);
    }

    @Test
    void familiesDoNotDependOnEachOtherExceptDeviceEventsMirroringIntoTheSimulator() {
        String[] families = {"energy", "simulator", "deviceevents", "autocore", "sites", "pdu"};
        for (String family : families) {
            for (String other : families) {
                if (family.equals(other) || family.equals("deviceevents") && other.equals("simulator")) {
                    continue;
                }
                noClasses().that().resideInAPackage("io.gridwire." + family + "..")
                        .should().dependOnClassesThat().resideInAPackage("io.gridwire." + other + "..")
                        .because("a family is changed without touching another (seed 000 mirrors devices into the simulator)")
                        .check(MAIN);
            }
        }
    }
}
