package io.framestream.conformance;

import java.lang.reflect.Method;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGenerator;

/** Names a test after its method alone ({@code w4_invalidChannelNameIs400}), without parameter types. */
final class RuleNames extends DisplayNameGenerator.Standard {

  @Override
  public String generateDisplayNameForMethod(List<Class<?>> enclosingInstanceTypes, Class<?> testClass,
      Method testMethod) {
    return testMethod.getName();
  }
}
