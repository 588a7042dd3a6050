/**
 * An example Spring Boot application with the framestream starter (not published).
 */
package io.framestream.examples.spring;
