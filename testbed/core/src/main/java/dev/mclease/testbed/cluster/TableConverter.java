package dev.mclease.testbed.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Turns a custom resource (or a list of them) into the {@code meta.k8s.io/v1 Table} that kubectl asks for with
 * {@code Accept: ...;as=Table}, using the CRD's additionalPrinterColumns, so {@code kubectl get mcl} shows
 * Holder, Leader, Cluster and Token as on a real cluster.
 */
final class TableConverter {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private TableConverter() {
  }

  static ObjectNode table(JsonNode listOrObject, CustomResourceDefinitionVersion version, Clock clock) {
    List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns() == null ? List.of()
        : version.getAdditionalPrinterColumns();
    ObjectNode table = F.objectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
    table.putObject("metadata").put("resourceVersion",
        listOrObject.path("metadata").path("resourceVersion").asText(""));
    ArrayNode defs = table.putArray("columnDefinitions");
    defs.addObject().put("name", "Name").put("type", "string").put("format", "name")
        .put("description", "Name must be unique within a namespace.").put("priority", 0);
    for (CustomResourceColumnDefinition c : columns) {
      defs.addObject().put("name", c.getName()).put("type", c.getType())
          .put("format", c.getFormat() == null ? "" : c.getFormat())
          .put("description", c.getDescription() == null ? "" : c.getDescription())
          .put("priority", c.getPriority() == null ? 0 : c.getPriority());
    }
    ArrayNode rows = table.putArray("rows");
    Iterable<JsonNode> items = listOrObject.has("items") ? listOrObject.get("items") : List.of(listOrObject);
    for (JsonNode item : items) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      cells.add(item.path("metadata").path("name").asText());
      for (CustomResourceColumnDefinition c : columns) {
        cells.add(cell(item, c, clock));
      }
      ObjectNode object = row.putObject("object").put("kind", "PartialObjectMetadata")
          .put("apiVersion", "meta.k8s.io/v1");
      object.set("metadata", item.path("metadata").deepCopy());
    }
    return table;
  }

  private static JsonNode cell(JsonNode item, CustomResourceColumnDefinition c, Clock clock) {
    JsonNode v = item;
    for (String part : c.getJsonPath().replaceFirst("^\\.", "").split("\\.")) {
      v = v.path(part);
    }
    if (v.isMissingNode() || v.isNull()) {
      return F.nullNode();
    }
    if ("date".equals(c.getType())) {
      try {
        return F.textNode(age(Duration.between(Instant.parse(v.asText()), clock.instant())));
      } catch (RuntimeException e) {
        return F.textNode(v.asText());
      }
    }
    return v.isValueNode() ? v : F.textNode(v.toString());
  }

  /** Like Kubernetes' duration.HumanDuration, coarsened. */
  static String age(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s < 120) {
      return s + "s";
    }
    long m = s / 60;
    if (m < 10) {
      return m + "m" + (s % 60 == 0 ? "" : s % 60 + "s");
    }
    if (m < 180) {
      return m + "m";
    }
    long h = m / 60;
    if (h < 48) {
      return h + "h";
    }
    return h / 24 + "d";
  }
}
