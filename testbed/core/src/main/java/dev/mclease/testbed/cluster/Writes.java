package dev.mclease.testbed.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonPatch;

/**
 * Predicts the object a write will store, so it can be validated before the CRUD dispatcher stores it: the
 * same spec/status split as a real API server with the status subresource on.
 */
final class Writes {

  private Writes() {
  }

  /**
   * The object {@code method} would leave in storage, or null when it cannot be told (the write then goes
   * ahead unvalidated, and the CRUD dispatcher answers as it would).
   *
   * @param subresource {@code "status"} or null
   * @param current the stored object (null for POST or when absent)
   */
  static JsonNode predict(String method, String subresource, String contentType, JsonNode body, JsonNode current,
      boolean statusSubresource) {
    if (body == null) {
      return null;
    }
    JsonNode written;
    switch (method) {
      case "POST":
        written = body.deepCopy();
        if (statusSubresource && written.isObject()) {
          ((ObjectNode) written).remove("status");
        }
        return written;
      case "PUT":
        written = body;
        break;
      case "PATCH":
        if (current == null) {
          return null;
        }
        try {
          written = contentType != null && contentType.contains("json-patch")
              ? JsonPatch.apply(body, current) : mergePatch(current, body);
        } catch (RuntimeException e) {
          return null;
        }
        break;
      default:
        return null;
    }
    if (current == null || !written.isObject() || !current.isObject()) {
      return written;
    }
    if ("status".equals(subresource)) {
      ObjectNode result = current.deepCopy();
      setOrRemove(result, "status", written.get("status"));
      return result;
    }
    ObjectNode result = written.deepCopy();
    if (statusSubresource) {
      setOrRemove(result, "status", current.get("status"));
    }
    return result;
  }

  /** RFC 7386 JSON merge patch. */
  static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy()
        : JsonNodeFactory.instance.objectNode();
    patch.fields().forEachRemaining(e -> {
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else {
        result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
      }
    });
    return result;
  }

  private static void setOrRemove(ObjectNode o, String field, JsonNode value) {
    if (value == null) {
      o.remove(field);
    } else {
      o.set(field, value);
    }
  }
}
