package dev.mclease.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HealthServerTest {

  @Test
  void servesProbesAndPrometheusMetrics() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ControllerMetrics m = new ControllerMetrics(registry, "east");
    m.acquired();
    m.held(1);
    m.echoed();
    m.released("released");
    m.backendError("acquire");
    m.statusWritten(Duration.ofMillis(12));
    AtomicBoolean ready = new AtomicBoolean(false);
    try (HealthServer server = new HealthServer(0, () -> true, ready::get, registry)) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.port();
      assertThat(get(http, base + "/healthz").statusCode()).isEqualTo(200);
      assertThat(get(http, base + "/readyz").statusCode()).isEqualTo(503);
      ready.set(true);
      assertThat(get(http, base + "/readyz").statusCode()).isEqualTo(200);
      String metrics = get(http, base + "/metrics").body();
      assertThat(metrics).contains("mclease_leases_held{cluster=\"east\"} 1")
          .contains("mclease_acquisitions_total{cluster=\"east\"} 1")
          .contains("mclease_echoes_total{cluster=\"east\"} 1")
          .contains("mclease_releases_total{cluster=\"east\",reason=\"released\"} 1")
          .contains("mclease_backend_errors_total{cluster=\"east\",op=\"acquire\"} 1")
          .contains("mclease_status_write_seconds_count{cluster=\"east\"} 1")
          .contains("mclease_leases_watched");
    }
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
