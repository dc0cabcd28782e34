package dev.mclease.features;

import org.junit.platform.suite.api.IncludeEngines;
import org.junit.platform.suite.api.SelectPackages;
import org.junit.platform.suite.api.Suite;

/**
 * Runs every {@code .feature} under {@code src/test/resources/features} with Cucumber on the JUnit Platform.
 * Configuration (glue, plugins, tag filter, parallelism) is in {@code junit-platform.properties}, so that each key
 * can be overridden with {@code -D} on the Maven command line.
 */
@Suite
@IncludeEngines("cucumber")
@SelectPackages("features")
public class RunFeaturesTest {
}
