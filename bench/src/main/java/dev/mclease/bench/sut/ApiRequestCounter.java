package dev.mclease.bench.sut;

import dev.mclease.testbed.cluster.Cluster;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API servers' own count of the requests they answered on one resource, by verb: {@code apiserver_request_total}
 * from each kube-apiserver's {@code /metrics}, summed over the clusters. A snapshot before and after a window gives
 * what the system under test sent in it — reads (GET, LIST, WATCH) as well as writes — whoever sent them. An
 * embedded mock server has no such metrics: then nothing is counted.
 */
public final class ApiRequestCounter {

  private static final Pattern SAMPLE = Pattern.compile("^apiserver_request_total\\{([^}]*)\\} ([0-9.e+]+)$");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private final List<? extends Cluster> clusters;
  private final String resource;

  /** @param resource the plural resource name, e.g. {@code multiclusterleases} or {@code leases} */
  public ApiRequestCounter(List<? extends Cluster> clusters, String resource) {
    this.clusters = clusters;
    this.resource = resource;
  }

  /** Requests answered so far on the resource, by verb (and subresource: {@code PATCH status}), over all clusters. */
  public Map<String, Double> snapshot() {
    Map<String, Double> byVerb = new TreeMap<>();
    for (Cluster c : clusters) {
      String text;
      try {
        text = c.client().raw("/metrics");
      } catch (RuntimeException e) {
        continue; // no metrics (the embedded mock): nothing to count
      }
      if (text == null) {
        continue;
      }
      parse(text, resource).forEach((k, v) -> byVerb.merge(k, v, Double::sum));
    }
    return byVerb;
  }

  /** {@code after - before} per key. */
  public static Map<String, Double> delta(Map<String, Double> before, Map<String, Double> after) {
    Map<String, Double> d = new TreeMap<>();
    after.forEach((k, v) -> d.put(k, v - before.getOrDefault(k, 0.0)));
    return d;
  }

  /** The samples of {@code apiserver_request_total} for {@code resource} in one /metrics text, by verb. */
  static Map<String, Double> parse(String metrics, String resource) {
    Map<String, Double> byVerb = new TreeMap<>();
    for (String line : metrics.split("\n")) {
      Matcher m = SAMPLE.matcher(line.trim());
      if (!m.matches()) {
        continue;
      }
      Map<String, String> labels = new TreeMap<>();
      Matcher l = LABEL.matcher(m.group(1));
      while (l.find()) {
        labels.put(l.group(1), l.group(2));
      }
      if (!resource.equals(labels.get("resource"))) {
        continue;
      }
      String sub = labels.getOrDefault("subresource", "");
      String key = labels.getOrDefault("verb", "?") + (sub.isEmpty() ? "" : " " + sub);
      byVerb.merge(key, Double.parseDouble(m.group(2)), Double::sum);
    }
    return byVerb;
  }
}
