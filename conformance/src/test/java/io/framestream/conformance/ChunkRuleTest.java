package io.framestream.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A rule of the chunk stream (W12), run once per host: {@code w12_... [WS_CHUNKS on EMBEDDED]}. */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{displayName} [{0}]")
@MethodSource("io.framestream.conformance.Combination#chunks")
@interface ChunkRuleTest {}
