package dev.mclease.testbed.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a runtime takes from an image to start its container: the {@code config} object of an OCI image
 * configuration. Absent fields are empty, as the spec defaults them.
 *
 * @param entrypoint {@code Entrypoint}
 * @param cmd {@code Cmd}, appended to the entrypoint
 * @param env {@code Env} as {@code NAME=value} entries, in order
 * @param user {@code User}, e.g. {@code 65532:65532}
 * @param workingDir {@code WorkingDir}; {@code /} when empty
 * @param exposedPorts the keys of {@code ExposedPorts}, e.g. {@code 8080/tcp}
 * @param labels {@code Labels}
 */
record ImageConfig(List<String> entrypoint, List<String> cmd, List<String> env, String user, String workingDir,
    Set<String> exposedPorts, Map<String, String> labels) {

  static ImageConfig of(JsonNode imageConfiguration) {
    JsonNode c = imageConfiguration.path("config");
    Set<String> ports = new TreeSet<>();
    c.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
    Map<String, String> labels = new LinkedHashMap<>();
    c.path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    String wd = c.path("WorkingDir").asText("");
    return new ImageConfig(strings(c.path("Entrypoint")), strings(c.path("Cmd")), strings(c.path("Env")),
        c.path("User").asText(""), wd.isEmpty() ? "/" : wd, Set.copyOf(ports), Map.copyOf(labels));
  }

  /** Entrypoint and Cmd: the container's command line. */
  List<String> command() {
    List<String> all = new ArrayList<>(entrypoint);
    all.addAll(cmd);
    return all;
  }

  /** {@link #env()} as a map (a later entry of the same name wins, as in a runtime). */
  Map<String, String> environment() {
    Map<String, String> m = new LinkedHashMap<>();
    for (String e : env) {
      int eq = e.indexOf('=');
      m.put(eq < 0 ? e : e.substring(0, eq), eq < 0 ? "" : e.substring(eq + 1));
    }
    return m;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return List.copyOf(out);
  }
}
