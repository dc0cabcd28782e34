package dev.mclease.testbed.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a custom resource against its CRD's OpenAPI v3 schema the way the API server does for the keywords our
 * CRDs use: type, minimum/maximum (with exclusive), minLength/maxLength, pattern, enum, required, properties,
 * items, minItems/maxItems. {@code metadata}, {@code apiVersion} and {@code kind} are the server's own business
 * and are skipped. Messages follow the server's wording ({@code spec.x in body should be ...}).
 */
final class SchemaValidator {

  private SchemaValidator() {
  }

  /** The violations, empty when {@code object} conforms (or there is no schema). */
  static List<String> validate(JSONSchemaProps schema, JsonNode object) {
    List<String> errors = new ArrayList<>();
    if (schema == null || object == null || !object.isObject()) {
      return errors;
    }
    Map<String, JSONSchemaProps> props = schema.getProperties();
    if (props != null) {
      props.forEach((name, s) -> {
        if (!name.equals("metadata") && !name.equals("apiVersion") && !name.equals("kind") && object.has(name)) {
          check(s, object.get(name), name, errors);
        }
      });
    }
    return errors;
  }

  private static void check(JSONSchemaProps s, JsonNode v, String path, List<String> errors) {
    if (v == null || v.isNull()) {
      // The API server prunes nulls of non-nullable fields instead of rejecting them.
      return;
    }
    String type = s.getType();
    if (type != null && !hasType(v, type)) {
      errors.add(path + ": Invalid value: \"" + kind(v) + "\": " + path + " in body must be of type " + type
          + ": \"" + kind(v) + "\"");
      return;
    }
    if (s.getEnum() != null && !s.getEnum().isEmpty()
        && s.getEnum().stream().noneMatch(e -> e != null && e.equals(v))) {
      errors.add(path + ": Unsupported value: " + v + ": supported values: " + s.getEnum());
    }
    if (v.isNumber()) {
      double d = v.asDouble();
      if (s.getMinimum() != null && (d < s.getMinimum()
          || Boolean.TRUE.equals(s.getExclusiveMinimum()) && d == s.getMinimum())) {
        errors.add(path + ": Invalid value: " + v + ": " + path + " in body should be greater than "
            + (Boolean.TRUE.equals(s.getExclusiveMinimum()) ? "" : "or equal to ") + num(s.getMinimum()));
      }
      if (s.getMaximum() != null && (d > s.getMaximum()
          || Boolean.TRUE.equals(s.getExclusiveMaximum()) && d == s.getMaximum())) {
        errors.add(path + ": Invalid value: " + v + ": " + path + " in body should be less than "
            + (Boolean.TRUE.equals(s.getExclusiveMaximum()) ? "" : "or equal to ") + num(s.getMaximum()));
      }
    }
    if (v.isTextual()) {
      int len = v.asText().codePointCount(0, v.asText().length());
      if (s.getMaxLength() != null && len > s.getMaxLength()) {
        errors.add(path + ": Too long: may not be more than " + s.getMaxLength() + " bytes");
      }
      if (s.getMinLength() != null && len < s.getMinLength()) {
        errors.add(path + ": Invalid value: \"" + v.asText() + "\": " + path + " in body should be at least "
            + s.getMinLength() + " chars long");
      }
      if (s.getPattern() != null && !Pattern.compile(s.getPattern()).matcher(v.asText()).find()) {
        errors.add(path + ": Invalid value: \"" + v.asText() + "\": " + path + " in body should match '"
            + s.getPattern() + "'");
      }
    }
    if (v.isObject()) {
      if (s.getRequired() != null) {
        for (String r : s.getRequired()) {
          if (!v.has(r)) {
            errors.add(path + "." + r + ": Required value");
          }
        }
      }
      if (s.getProperties() != null) {
        s.getProperties().forEach((name, ps) -> {
          if (v.has(name)) {
            check(ps, v.get(name), path + "." + name, errors);
          }
        });
      }
    }
    if (v.isArray()) {
      if (s.getMaxItems() != null && v.size() > s.getMaxItems()) {
        errors.add(path + ": Too many: " + v.size() + ": must have at most " + s.getMaxItems() + " items");
      }
      if (s.getMinItems() != null && v.size() < s.getMinItems()) {
        errors.add(path + ": Invalid value: " + v.size() + ": " + path + " in body should have at least "
            + s.getMinItems() + " items");
      }
      if (s.getItems() != null && s.getItems().getSchema() != null) {
        for (int i = 0; i < v.size(); i++) {
          check(s.getItems().getSchema(), v.get(i), path + "[" + i + "]", errors);
        }
      }
    }
  }

  private static boolean hasType(JsonNode v, String type) {
    switch (type) {
      case "string":
        return v.isTextual();
      case "integer":
        return v.isIntegralNumber() || v.isNumber() && v.asDouble() == Math.rint(v.asDouble());
      case "number":
        return v.isNumber();
      case "boolean":
        return v.isBoolean();
      case "object":
        return v.isObject();
      case "array":
        return v.isArray();
      default:
        return true;
    }
  }

  private static String kind(JsonNode v) {
    if (v.isTextual()) {
      return "string";
    }
    if (v.isIntegralNumber()) {
      return "integer";
    }
    if (v.isNumber()) {
      return "number";
    }
    if (v.isBoolean()) {
      return "boolean";
    }
    if (v.isArray()) {
      return "array";
    }
    return v.isObject() ? "object" : "null";
  }

  private static String num(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }
}
