package dev.mclease.bench.sut;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiRequestCounterTest {

  private static final String METRICS = String.join("\n",
      "# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb...",
      "# TYPE apiserver_request_total counter",
      "apiserver_request_total{code=\"200\",component=\"apiserver\",dry_run=\"\",group=\"mclease.dev\","
          + "resource=\"multiclusterleases\",scope=\"resource\",subresource=\"\",verb=\"GET\",version=\"v1alpha1\"} 12",
      "apiserver_request_total{code=\"404\",component=\"apiserver\",dry_run=\"\",group=\"mclease.dev\","
          + "resource=\"multiclusterleases\",scope=\"resource\",subresource=\"\",verb=\"GET\",version=\"v1alpha1\"} 3",
      "apiserver_request_total{code=\"200\",component=\"apiserver\",dry_run=\"\",group=\"mclease.dev\","
          + "resource=\"multiclusterleases\",scope=\"resource\",subresource=\"status\",verb=\"PATCH\","
          + "version=\"v1alpha1\"} 7",
      "apiserver_request_total{code=\"201\",component=\"apiserver\",dry_run=\"\",group=\"coordination.k8s.io\","
          + "resource=\"leases\",scope=\"resource\",subresource=\"\",verb=\"POST\",version=\"v1\"} 1e+03",
      "apiserver_request_duration_seconds_bucket{resource=\"multiclusterleases\",verb=\"GET\",le=\"0.1\"} 99");

  @Test
  void countsOneResourceByVerbAndSubresourceOverAllCodes() {
    assertThat(ApiRequestCounter.parse(METRICS, "multiclusterleases"))
        .containsExactlyInAnyOrderEntriesOf(Map.of("GET", 15.0, "PATCH status", 7.0));
    assertThat(ApiRequestCounter.parse(METRICS, "leases")).containsExactlyInAnyOrderEntriesOf(Map.of("POST", 1000.0));
  }

  @Test
  void aDeltaIsWhatTheWindowAdded() {
    assertThat(ApiRequestCounter.delta(Map.of("GET", 15.0), Map.of("GET", 40.0, "PUT", 2.0)))
        .containsExactlyInAnyOrderEntriesOf(Map.of("GET", 25.0, "PUT", 2.0));
  }
}
