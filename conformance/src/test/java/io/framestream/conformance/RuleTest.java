package io.framestream.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A rule, run once per {@link Combination}; each case is named {@code <rule> [<transport> on <host>]}, such as
 * {@code w4_invalidChannelNameIs400 [SSE on JETTY]}, so a rule that one combination breaks fails by that name.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{displayName} [{0}]")
@MethodSource("io.framestream.conformance.Combination#all")
@interface RuleTest {}
