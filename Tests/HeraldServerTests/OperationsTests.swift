import Foundation
import HeraldCore
import Metrics
import Prometheus
import Testing

@Suite struct OperationsTests {
    @Test func healthAndReadyAnswerWithoutAKey() async throws {
        try await TestHerald().run { api in
            let health = try await api.call(.get, "/health", key: nil)
            let ready = try await api.call(.get, "/ready", key: nil)
            #expect(health.json == ["status": "ok"])
            #expect(ready.json == ["status": "ready", "checks": ["database": "ok", "dispatcher": "ok"]])
        }
    }

    @Test func metricsAreServedInPrometheusText() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "herald_test", unitName: "total", helpText: "test")
        ).increment()
        var herald = try await TestHerald()
        herald.configuration.metrics = registry
        try await herald.run { api in
            let reply = try await api.call(.get, "/metrics", key: nil)
            #expect(reply.status == .ok)
            #expect(reply.json.stringValue?.contains("herald_test_total 1") == true)
        }
    }
}
