/**
 * Implementation of the embedded server. Not API: may change in any release.
 */
package io.framestream.server.internal;
