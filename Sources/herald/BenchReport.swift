import Foundation
import HeraldCore
import Histogram

/// What `herald bench` measured, as a table or one JSON object.
struct BenchReport {
    struct Latency {
        var load: Int
        var sent: Int
        var histogram: Histogram<UInt64>

        func millis(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
        var max: Double { Double(histogram.max) / 1000 }
    }

    var concurrency: Int
    var quick: Bool
    /// `sqlite` or `postgresql`.
    var store = "sqlite"
    /// Requests/s AsyncHTTPClient posts straight to the receiver.
    var ceiling = 0.0
    var singleIngest = 0.0
    var batchIngest = 0.0
    /// Deliveries waiting when the dispatcher started.
    var backlog = 0
    /// Deliveries/s while draining the backlog.
    var drain = 0.0
    var latencies: [Latency] = []
    struct FanOut {
        var webhooks: Int
        /// ms from publishing to the 202 of the first event after the webhooks were made (their
        /// routes not yet cached), then of the next event, and to the last delivery's arrival.
        var firstAccepted: Double
        var accepted: Double
        var lastArrival: Double
    }
    var fanOut: FanOut?
    struct Matching {
        var webhooks: Int
        var microsecondsPerEvent: Double
    }
    /// Matching and storing an event, at each count of webhooks.
    var matching: [Matching] = []
    /// The cost at the most webhooks over the cost at the fewest.
    var matchingRatio: Double? {
        guard let first = matching.first, let last = matching.last, first.microsecondsPerEvent > 0 else { return nil }
        return last.microsecondsPerEvent / first.microsecondsPerEvent
    }
    /// Deliveries/s draining one backlog to two endpoints with one Herald process on the database,
    /// then another with two (PostgreSQL only).
    struct Processes {
        var one: Double
        var two: Double
    }
    var processes: Processes?
    var peakRSSMegabytes: Double?

    var build: String {
        #if DEBUG
            "debug"
        #else
            "release"
        #endif
    }

    var ratio: Double { ceiling > 0 ? drain / ceiling : 0 }

    var table: String {
        func number(_ value: Double) -> String { String(format: "%.0f", value) }
        func ms(_ value: Double) -> String { String(format: "%.1f", value) }
        var rows: [(String, String)] = [
            ("ceiling: AsyncHTTPClient → receiver", "\(number(ceiling)) requests/s"),
            ("ingest, single events", "\(number(singleIngest)) events/s"),
            ("ingest, batches of \(BenchHerald.batchSize)", "\(number(batchIngest)) events/s"),
            (
                "delivery, draining \(backlog)",
                "\(number(drain)) deliveries/s (\(String(format: "%.2f", ratio)) × ceiling)"
            ),
        ]
        for latency in latencies {
            rows.append(
                (
                    "publish → arrival at \(latency.load)/s",
                    "p50 \(ms(latency.millis(50))) ms, p99 \(ms(latency.millis(99))) ms, max \(ms(latency.max)) ms"
                ))
        }
        if let fanOut {
            rows.append(
                (
                    "fan-out: 1 event → \(fanOut.webhooks) webhooks",
                    "202 in \(ms(fanOut.accepted)) ms (first \(ms(fanOut.firstAccepted)) ms), "
                        + "last arrival at \(ms(fanOut.lastArrival)) ms"
                ))
        }
        for matching in self.matching {
            rows.append(
                ("match + store, \(matching.webhooks) webhooks", "\(ms(matching.microsecondsPerEvent)) µs/event"))
        }
        if let matchingRatio {
            rows.append(("matching cost, most ÷ fewest webhooks", String(format: "%.2f×", matchingRatio)))
        }
        if let processes {
            rows.append(
                (
                    "delivery, 1 → 2 processes",
                    "\(number(processes.one)) → \(number(processes.two)) deliveries/s "
                        + "(\(String(format: "%.2f", processes.two / processes.one))×)"
                ))
        }
        if let peakRSSMegabytes {
            rows.append(
                (
                    "peak RSS (\(matching.last.map { "\($0.webhooks) webhooks cached" } ?? "-"))",
                    "\(number(peakRSSMegabytes)) MB"
                ))
        }
        let width = rows.map(\.0.count).max() ?? 0
        let header =
            "herald bench (\(build) build, \(store == "sqlite" ? "SQLite" : "PostgreSQL"), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
            + "concurrency \(concurrency)\(quick ? ", quick: not meaningful" : ""))"
        return ([header] + rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 })
            .joined(separator: "\n")
    }

    var json: JSONValue {
        func rounded(_ value: Double) -> JSONValue { .double((value * 100).rounded() / 100) }
        return [
            "build": .string(build), "store": .string(store), "quick": .bool(quick),
            "cores": .int(Int64(ProcessInfo.processInfo.activeProcessorCount)),
            "concurrency": .int(Int64(concurrency)),
            "ceiling_requests_per_second": rounded(ceiling),
            "ingest_single_events_per_second": rounded(singleIngest),
            "ingest_batch_events_per_second": rounded(batchIngest),
            "drain_backlog": .int(Int64(backlog)),
            "drain_deliveries_per_second": rounded(drain),
            "drain_ratio_to_ceiling": rounded(ratio),
            "latency": .array(
                latencies.map { latency in
                    [
                        "offered_per_second": .int(Int64(latency.load)), "events": .int(Int64(latency.sent)),
                        "p50_ms": rounded(latency.millis(50)), "p99_ms": rounded(latency.millis(99)),
                        "max_ms": rounded(latency.max),
                    ]
                }),
            "fan_out": fanOut.map { fanOut in
                [
                    "webhooks": .int(Int64(fanOut.webhooks)), "first_accepted_ms": rounded(fanOut.firstAccepted),
                    "accepted_ms": rounded(fanOut.accepted),
                    "last_arrival_ms": rounded(fanOut.lastArrival),
                ]
            } ?? .null,
            "matching": .array(
                matching.map {
                    ["webhooks": .int(Int64($0.webhooks)), "microseconds_per_event": rounded($0.microsecondsPerEvent)]
                }),
            "matching_ratio": matchingRatio.map(rounded) ?? .null,
            "processes": processes.map { ["one": rounded($0.one), "two": rounded($0.two)] } ?? .null,
            "peak_rss_mb": peakRSSMegabytes.map(rounded) ?? .null,
        ]
    }
}
