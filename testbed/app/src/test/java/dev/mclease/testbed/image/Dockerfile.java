package dev.mclease.testbed.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The instructions of controller/Dockerfile that become the image's configuration. */
record Dockerfile(List<String> entrypoint, String user, String workdir, List<String> exposedPorts,
    Map<String, String> labels) {

  private static final Pattern LABEL = Pattern.compile("(\\S+?)=\"([^\"]*)\"");

  static Dockerfile read(Path file) throws IOException {
    // continuation lines joined, comments dropped
    String text = Files.readString(file).replaceAll("(?m)^\\s*#.*\\n", "").replace("\\\n", " ");
    List<String> entrypoint = List.of();
    String user = "";
    String workdir = "/";
    List<String> ports = new ArrayList<>();
    Map<String, String> labels = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      String[] parts = line.trim().split("\\s+", 2);
      String arg = parts.length > 1 ? parts[1].trim() : "";
      switch (parts[0].toUpperCase()) {
        case "ENTRYPOINT" -> entrypoint = List.of(new ObjectMapper().readValue(arg, String[].class));
        case "USER" -> user = arg;
        case "WORKDIR" -> workdir = arg;
        case "EXPOSE" -> {
          for (String p : arg.split("\\s+")) {
            ports.add(p.contains("/") ? p : p + "/tcp");
          }
        }
        case "LABEL" -> {
          Matcher m = LABEL.matcher(arg);
          while (m.find()) {
            labels.put(m.group(1), m.group(2));
          }
        }
        default -> {
        }
      }
    }
    return new Dockerfile(entrypoint, user, workdir, List.copyOf(ports), Map.copyOf(labels));
  }
}
