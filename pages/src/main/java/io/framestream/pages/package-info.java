/** The browser pages of framestream as class-path resources; see {@link io.framestream.pages.FrameStreamPages}. */
package io.framestream.pages;
