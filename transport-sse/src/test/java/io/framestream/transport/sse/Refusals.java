package io.framestream.transport.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;

/** Checks a refusal: its status and the one JSON error body ({@code ErrorBody}) naming the cause. */
final class Refusals {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Refusals() {}

  static void assertError(HttpResponse<String> r, int status, String fragment) throws IOException {
    assertEquals(status, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"),
        r.headers().map().toString());
    JsonNode json = JSON.readTree(r.body());
    assertEquals(1, json.size(), r.body());
    assertTrue(json.get("error").asText().contains(fragment), r.body());
  }
}
