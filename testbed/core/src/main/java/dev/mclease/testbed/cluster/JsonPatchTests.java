package dev.mclease.testbed.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.Optional;

/**
 * The {@code test} operations of a JSON Patch, judged as kube-apiserver's evanphx/json-patch v4 judges them, for the
 * embedded mock: a member that is absent matches a test for {@code null} (zjsonpatch, which the CRUD mock applies
 * with, fails such a test), and a test whose parent is absent does not apply. The clients' spec writes are CASes
 * built of such tests (docs/protocol.md, rule 1), so the mock must fail exactly the tests a real server fails, and
 * answer as it does.
 */
final class JsonPatchTests {

  /** What kube-apiserver answers (422 Invalid, empty details) for a patch that does not apply, a failed test too. */
  static final String SERVER_MESSAGE = "the server rejected our request due to an error in our request";

  private JsonPatchTests() {
  }

  /** Why the first failed test of {@code patch} on {@code current} failed (a real server answers it 422, see below). */
  static Optional<String> firstFailure(JsonNode patch, JsonNode current) {
    if (patch == null || !patch.isArray() || current == null) {
      return Optional.empty();
    }
    for (JsonNode op : patch) {
      if (!"test".equals(op.path("op").asText())) {
        continue;
      }
      String path = op.path("path").asText();
      int cut = path.lastIndexOf('/');
      JsonNode parent = cut <= 0 ? current : current.at(path.substring(0, cut));
      if (parent.isMissingNode() || !parent.isContainerNode()) {
        return Optional.of("test operation does not apply: is missing path: " + path + ": missing value");
      }
      JsonNode actual = current.at(path);
      JsonNode expected = op.get("value");
      boolean absentOrNull = actual.isMissingNode() || actual.isNull();
      boolean matches = absentOrNull ? expected == null || expected.isNull() : actual.equals(expected);
      if (!matches) {
        return Optional.of("testing value " + path + " failed: test failed");
      }
    }
    return Optional.empty();
  }

  /** {@code patch} without its tests, once {@link #firstFailure} passed them: what is left for zjsonpatch. */
  static JsonNode withoutTests(JsonNode patch) {
    ArrayNode rest = ((ArrayNode) patch).arrayNode();
    for (JsonNode op : patch) {
      if (!"test".equals(op.path("op").asText())) {
        rest.add(op);
      }
    }
    return rest;
  }
}
