/**
 * Implementation details of framestream-core. <b>Not API</b>: the classes here are public only so that
 * other framestream packages can use them; they may change or disappear in any release.
 */
package io.framestream.core.internal;
