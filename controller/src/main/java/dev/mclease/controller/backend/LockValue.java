package dev.mclease.controller.backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * What a held key says (protocol.md): {@code {"holder": "<identity>", "cluster": "<cluster>",
 * "acquiredAt": "<RFC 3339>"}}.
 */
public record LockValue(String holder, String cluster, Instant acquiredAt) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public LockValue {
    Objects.requireNonNull(holder, "holder");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(acquiredAt, "acquiredAt");
  }

  /** The JSON stored in the backend. */
  public String toJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("holder", holder);
    node.put("cluster", cluster);
    node.put("acquiredAt", DateTimeFormatter.ISO_INSTANT.format(acquiredAt));
    return node.toString();
  }

  /**
   * Parses a stored value.
   *
   * @throws IllegalArgumentException when it is not exactly the protocol's JSON object with three strings
   */
  public static LockValue fromJson(String json) {
    return parse(json);
  }

  /**
   * Parses a stored value for a watch event: {@code null} when it is malformed (acquire and current report it,
   * events only say the key is held).
   */
  public static LockValue parseOrNull(String json) {
    try {
      return parse(json);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static LockValue parse(String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    String holder = text(node, "holder");
    String cluster = text(node, "cluster");
    String acquiredAt = text(node, "acquiredAt");
    if (holder.isEmpty() || cluster.isEmpty()) {
      throw new IllegalArgumentException("holder and cluster must not be empty");
    }
    try {
      return new LockValue(holder, cluster, DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(acquiredAt, Instant::from));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("acquiredAt is not RFC 3339: " + acquiredAt, e);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' missing or not a string");
    }
    return v.asText();
  }
}
