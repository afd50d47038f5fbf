import AsyncHTTPClient
import Foundation
import HeraldCore
import Metrics
import NIOCore
import Prometheus
import Testing

@testable import HeraldServer

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

    /// The served binary counts events by name and dialect, attempts and their durations, and
    /// HTTP requests by route and status, in Prometheus text.
    @Test func theServerCountsEventsAttemptsAndRequests() async throws {
        let receiver = try await TestReceiver.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "herald-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let herald = try HeraldProcess(database: directory.appendingPathComponent("herald.sqlite").path)
        defer { herald.stop() }
        try await herald.waitUntilReady()
        let (key, property) = try await herald.tenantWithWebhook(to: receiver.url)
        for _ in 0..<2 {
            _ = try await herald.call(
                "POST", "/api/v1/events", key: key,
                body: ["event": ["name": "booking_new", "property_id": .string(property)]])
        }
        try await receiver.waitFor(2)
        var text = ""
        for _ in 0..<100 {
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: herald.url + "/metrics"), timeout: .seconds(10))
            text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            if text.contains("herald_delivery_attempt_duration_seconds") { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(text.contains(#"herald_events_ingested_total{event="booking_new",dialect="channex"} 2"#), "\(text)")
        #expect(text.contains("herald_delivery_attempt_duration_seconds"))
        #expect(text.contains(#"herald_delivery_attempts_total{outcome="succeeded"} 2"#))
        #expect(text.contains("hb_requests"))
        #expect(text.contains("herald_deliveries_due"))
        #expect(text.contains("herald_oldest_due_age_seconds"))
        #expect(text.contains("herald_circuits_open 0"))
        #expect(text.contains(#"herald_store_duration_seconds_count{operation="ingest"} 2"#), "\(text)")
        #expect(text.contains(#"herald_store_duration_seconds_count{operation="api_key"}"#))
        #expect(text.contains(#"herald_store_duration_seconds_count{operation="settle"}"#))
        await receiver.stop()
    }

    /// The per-tenant gauges name the busiest tenants of each scrape only: a tenant that left them
    /// loses its series, so the label set never grows past ``QueueStats/busiest``.
    @Test func perTenantGaugesNameOnlyTheBusiestTenants() {
        let registry = PrometheusCollectorRegistry()
        let gauges = QueueGauges(perTenant: true, factory: PrometheusMetricsFactory(registry: registry))
        func scrape() -> String {
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
        let first = (0..<QueueStats.busiest).map { _ in UUID() }
        let noisy = first[0]
        let now = Date()
        gauges.record(
            QueueStats(
                dueNow: 500, scheduled: 0, inFlight: 3, oldestDue: now.addingTimeInterval(-90), openCircuits: 2,
                dueByTenant: Dictionary(uniqueKeysWithValues: first.map { ($0, $0 == noisy ? 400 : 10) }),
                openCircuitsByTenant: [noisy: 2]), now: now)
        var text = scrape()
        #expect(text.contains(#"herald_tenant_deliveries_due{tenant="\#(noisy.text)"} 400"#), "\(text)")
        #expect(text.contains(#"herald_tenant_circuits_open{tenant="\#(noisy.text)"} 2"#))
        #expect(text.contains("herald_circuits_open 2"))
        #expect(text.contains("herald_oldest_due_age_seconds 90"))
        #expect(text.components(separatedBy: "herald_tenant_deliveries_due{").count - 1 == QueueStats.busiest)

        // The noisy tenant's receivers recover; others fill the ten.
        let second = (0..<QueueStats.busiest).map { _ in UUID() }
        gauges.record(
            QueueStats(
                dueNow: 100, scheduled: 0, inFlight: 0, oldestDue: nil,
                dueByTenant: Dictionary(uniqueKeysWithValues: second.map { ($0, 10) })), now: now)
        text = scrape()
        #expect(!text.contains(noisy.text))
        #expect(text.components(separatedBy: "herald_tenant_deliveries_due{").count - 1 == QueueStats.busiest)
        #expect(text.contains("herald_circuits_open 0"))

        // Off (the default), no tenant is named at all.
        let quiet = PrometheusCollectorRegistry()
        QueueGauges(perTenant: false, factory: PrometheusMetricsFactory(registry: quiet)).record(
            QueueStats(dueNow: 5, scheduled: 0, inFlight: 0, oldestDue: nil, dueByTenant: [noisy: 5]), now: now)
        var buffer: [UInt8] = []
        quiet.emit(into: &buffer)
        let shown = String(decoding: buffer, as: UTF8.self)
        #expect(shown.contains("herald_deliveries_due 5") && !shown.contains("tenant"))
    }

    /// With a collector named, the served binary sends its spans there over OTLP/HTTP, and each
    /// delivery continues the publisher's trace: the receiver's `traceparent` carries its trace id.
    @Test func deliveriesContinueThePublishersTraceAndSpansReachTheCollector() async throws {
        let collector = try await TestReceiver.start()
        let receiver = try await TestReceiver.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "herald-traces-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let herald = try HeraldProcess(
            database: directory.appendingPathComponent("herald.sqlite").path,
            environment: ["HERALD_OTLP_ENDPOINT": collector.url, "OTEL_BSP_SCHEDULE_DELAY": "50"])
        defer { herald.stop() }
        try await herald.waitUntilReady()
        let (key, property) = try await herald.tenantWithWebhook(to: receiver.url)
        let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
        _ = try await herald.call(
            "POST", "/api/v1/events", key: key,
            body: ["event": ["name": "booking_new", "property_id": .string(property)]],
            headers: ["traceparent": "00-\(traceId)-00f067aa0ba902b7-01"])
        let delivery = try #require(try await receiver.waitFor(1).first)
        let traceparent = try #require(delivery.header("traceparent"))
        let parts = traceparent.split(separator: "-")
        #expect(parts.count == 4 && parts[0] == "00" && parts[1] == traceId, "\(traceparent)")
        #expect(parts.count == 4 && parts[2] != "00f067aa0ba902b7" && parts[2].count == 16)

        // The spans, as protobuf: their names and the publisher's trace id (16 raw bytes) are in it.
        let rawTraceId = Data(
            stride(from: 0, to: 32, by: 2).map { offset in
                let start = traceId.index(traceId.startIndex, offsetBy: offset)
                return UInt8(traceId[start..<traceId.index(start, offsetBy: 2)], radix: 16)!
            })
        var exported = Data()
        for _ in 0..<200 {
            exported = collector.requests.filter { $0.path == "/v1/traces" }.reduce(into: Data()) { $0 += $1.body }
            if ["/api/v1/events", "events.ingest", "fan_out", "delivery.attempt"].allSatisfy({
                exported.range(of: Data($0.utf8)) != nil
            }) {
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // The request's own span (Hummingbird's, named by route), then Herald's.
        for name in ["/api/v1/events", "events.ingest", "fan_out", "delivery.attempt"] {
            #expect(exported.range(of: Data(name.utf8)) != nil, "no \(name) span exported")
        }
        #expect(exported.range(of: rawTraceId) != nil)
        // Spans carry ids and the host, never the callback's path or the key.
        #expect(exported.range(of: Data(key.utf8)) == nil)
        await receiver.stop()
        await collector.stop()
    }
}
