/**
 * The runnable example server ({@link io.framestream.examples.ExampleServer}) with its browser pages
 * (class-path folder {@code framestream/static/}), and an example of a custom source ({@link
 * io.framestream.examples.LifeSource}).
 *
 * @since 0.1.0
 */
package io.framestream.examples;
