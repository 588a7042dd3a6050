/**
 * Spring Boot 4 auto-configuration for framestream ({@link io.framestream.spring.FrameStreamAutoConfiguration}):
 * add {@code io.framestream:framestream-spring-boot-starter} to a Spring Boot web application and it gets a
 * {@link io.framestream.core.ChannelRegistry} bean and serves {@code /ws/live/{channel}}, {@code
 * /ws/publish/{channel}} and {@code /sse/{channel}} on its own port, in its own Tomcat, configured by the
 * {@code framestream.*} properties ({@link io.framestream.spring.FrameStreamProperties}).
 *
 * @since 0.3.0
 */
package io.framestream.spring;
