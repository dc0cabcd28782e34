package dev.mclease.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ApiLatencyTest {

  @Test
  void aRowPerRequestWithItsSamplesAndPercentilesAndOtherBenchesIgnored() throws Exception {
    JsonNode jmh = new ObjectMapper().readTree("[{\"benchmark\":\"dev.mclease.bench.ApiLatencyBench.putSpec\","
        + "\"mode\":\"sample\",\"primaryMetric\":{\"score\":12.0,\"scoreUnit\":\"ms/op\","
        + "\"scorePercentiles\":{\"50.0\":11.2,\"90.0\":14.4,\"99.0\":20.5},"
        + "\"rawDataHistogram\":[[[[11.0,300],[14.0,100]],[[12.0,200]]]]}},"
        + "{\"benchmark\":\"dev.mclease.bench.FailoverBench.gracefulHandover\",\"primaryMetric\":{}}]");

    JsonNode rows = ApiLatency.of(jmh);

    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).path("request").asText()).isEqualTo("putSpec");
    assertThat(rows.get(0).path("samples").asLong()).isEqualTo(600);
    StringBuilder md = new StringBuilder();
    ApiLatency.markdown(md, rows);
    assertThat(md.toString()).contains("| putSpec | 600 | 11.2 | 14.4 | 20.5 |");
  }
}
