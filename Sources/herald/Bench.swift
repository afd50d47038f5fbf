import ArgumentParser
import AsyncHTTPClient
import Foundation
import HeraldCore
import HeraldDelivery
import HeraldPostgres
import HeraldSQLite
import HeraldServer
import Histogram
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Measures Herald end to end on this machine against the ceiling of the same machine: the same
/// signed body posted by AsyncHTTPClient straight to the same receiver Herald delivers to.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Herald on this machine: the ceiling, ingest, delivery and latency.",
        discussion: "Runs on a fresh SQLite database in a temporary directory. Build with -c release for figures.")

    @Flag(help: "A short run (a smoke test: figures are not meaningful).")
    var quick = false

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(
        help: """
            The store: a postgres:// URL of an empty database to measure PostgreSQL; SQLite (a fresh file in a \
            temporary directory) when absent.
            """)
    var database: String?

    @Option(help: "Requests under way at once: publishers, and the ceiling's and Herald's senders.")
    var concurrency = 64

    /// The platform admin key each run of Herald is seeded with.
    static let adminKey = "hrld_bench-platform-admin-key-00000000000000000000"

    struct Scale {
        var ceilingRequests: Int
        var singleEvents: Int
        var batches: Int
        var latencySeconds: Double
        var loads: [Int]
        var fanOutWebhooks: Int
        var matchingWebhooks: [Int]

        static let full = Scale(
            ceilingRequests: 20_000, singleEvents: 20_000, batches: 10, latencySeconds: 3, loads: [1_000, 5_000],
            fanOutWebhooks: 10_000, matchingWebhooks: [1_000, 100_000])
        static let quick = Scale(
            ceilingRequests: 500, singleEvents: 500, batches: 2, latencySeconds: 1, loads: [200], fanOutWebhooks: 100,
            matchingWebhooks: [100, 1_000])
    }

    func run() async throws {
        let scale = quick ? Scale.quick : Scale.full
        var logger = Logger(label: "herald-bench")
        logger.logLevel = ProcessInfo.processInfo.environment["HERALD_BENCH_LOG"] == nil ? .critical : .debug
        let receiver = try await BenchReceiver.start()
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(timeout: .init(connect: .seconds(5), read: .seconds(60))))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "herald-bench-\(UUID().uuidString)")
        var report = BenchReport(concurrency: concurrency, quick: quick)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            report.ceiling = try await ceiling(client, receiver, requests: scale.ceilingRequests)
            progress("ceiling: \(Int(report.ceiling)) requests/s")
            let postgres = database.map { $0.hasPrefix("postgres://") || $0.hasPrefix("postgresql://") } ?? false
            report.store = postgres ? "postgresql" : "sqlite"
            let settings = try await SettingsReader.load(
                arguments: ["--database", database ?? directory.appendingPathComponent("bench.sqlite").path],
                environment: [:], declared: HeraldSettings.store)
            let options = try StoreOptions(settings)
            if postgres {
                try await options.withPostgres(logger: logger) { store in
                    let url = options.location
                    try await measure(
                        store, served: { PostgresStore(client: try PostgresStore.client(url: url), logger: logger) },
                        scale: scale, receiver: receiver, client: client, logger: logger, into: &report)
                    report.processes = try await processes(
                        served: { PostgresStore(client: try PostgresStore.client(url: url), logger: logger) },
                        scale: scale, receiver: receiver, client: client, logger: logger)
                    progress(
                        "delivery with 1 and 2 processes: \(Int(report.processes?.one ?? 0)) and "
                            + "\(Int(report.processes?.two ?? 0)) deliveries/s")
                    // Matching among each count of webhooks, a tenant each on the one database.
                    for webhooks in scale.matchingWebhooks {
                        report.matching.append(
                            .init(
                                webhooks: webhooks,
                                microsecondsPerEvent: try await matching(
                                    store, webhooks: webhooks, history: (scale.matchingWebhooks.last ?? 0) / 10)))
                    }
                }
            } else {
                let store = try options.openStore(logger: logger)
                try await measure(
                    store, served: { store }, scale: scale, receiver: receiver, client: client, logger: logger,
                    into: &report)
                // Matching among each count of webhooks, each on a fresh database with the same history.
                let migrations = try options.migrationsDirectory(backend: "sqlite")
                for webhooks in scale.matchingWebhooks {
                    let fresh = try SQLiteStore(
                        path: directory.appendingPathComponent("matching-\(webhooks).sqlite").path)
                    try fresh.migrate(from: migrations)
                    report.matching.append(
                        .init(
                            webhooks: webhooks,
                            microsecondsPerEvent: try await matching(
                                fresh, webhooks: webhooks, history: (scale.matchingWebhooks.last ?? 0) / 10)))
                }
            }
        } catch {
            try? await client.shutdown()
            await receiver.stop()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        try await client.shutdown()
        await receiver.stop()
        try? FileManager.default.removeItem(at: directory)
        report.peakRSSMegabytes = Self.peakRSSMegabytes()
        print(json ? report.json.encodedString() : report.table)
    }

    /// Ingest, drain, latency and fan-out on `store`, over Herald's HTTP API.
    /// `store` is the set-up's; `served` makes the one each run of Herald serves.
    func measure<Store: HeraldStore>(
        _ store: some HeraldStore, served: () throws -> Store, scale: Scale, receiver: BenchReceiver,
        client: HTTPClient, logger: Logger, into report: inout BenchReport
    ) async throws {
        let admin = Self.adminKey
        _ = try await AdminBootstrap.ensureAdminKey(in: store, seed: admin)
        let already = receiver.count

        // Ingest with no dispatcher: what the API takes in, and a backlog to drain.
        let (world, single, batch) = try await BenchHerald.run(
            store: served, client: client, admin: admin, dispatching: false, concurrency: concurrency,
            logger: logger
        ) { herald, _ in
            let world = try await herald.setUp(receiver: receiver)
            let single = try await herald.publishSingly(world, events: scale.singleEvents, concurrency: concurrency)
            progress("single ingest: \(Int(single)) events/s")
            let batch = try await herald.publishBatches(world, batches: scale.batches)
            return (world, single, batch)
        }
        progress("batch ingest: \(Int(batch)) events/s")
        report.singleIngest = single
        report.batchIngest = batch
        report.backlog = scale.singleEvents + scale.batches * BenchHerald.batchSize

        // The same database with a dispatcher: drain the backlog, then hold offered loads.
        let backlog = report.backlog
        let (drain, latencies, fanOut) = try await BenchHerald.run(
            store: served, client: client, admin: admin, dispatching: true, concurrency: concurrency, logger: logger
        ) { herald, store in
            let start = ContinuousClock.now
            guard try await receiver.waitFor(already + backlog, timeout: .seconds(900)) else {
                throw BenchError("the backlog did not drain within 15 minutes")
            }
            let drain = Double(backlog) / (ContinuousClock.now - start).seconds
            progress("drain: \(Int(drain)) deliveries/s")
            _ = receiver.takeLatencies()
            var expected = already + backlog
            var latencies: [BenchReport.Latency] = []
            for load in scale.loads {
                let sent = try await herald.publishAtRate(
                    world, perSecond: load, seconds: scale.latencySeconds, concurrency: concurrency)
                expected += sent
                guard try await receiver.waitFor(expected, timeout: .seconds(120)) else {
                    throw BenchError("deliveries at \(load)/s did not all arrive within 2 minutes")
                }
                latencies.append(.init(load: load, sent: sent, histogram: receiver.takeLatencies()))
                progress("latency at \(load)/s measured")
            }
            let fanOut = try await herald.fanOut(
                world, store: store, receiver: receiver, webhooks: scale.fanOutWebhooks)
            progress(
                "fan-out to \(scale.fanOutWebhooks): 202 in \(Int(fanOut.accepted)) ms (first \(Int(fanOut.firstAccepted)) ms)"
            )
            return (drain, latencies, fanOut)
        }
        report.drain = drain
        report.latencies = latencies
        report.fanOut = .init(
            webhooks: scale.fanOutWebhooks, firstAccepted: fanOut.firstAccepted, accepted: fanOut.accepted,
            lastArrival: fanOut.lastArrival)
    }

    /// Deliveries/s draining equal backlogs to two endpoints, first with one Herald on the
    /// database, then with two: as two processes would, each has its own connections and
    /// dispatcher, and the claims share the work out.
    func processes<Store: HeraldStore>(
        served: () throws -> Store, scale: Scale, receiver: BenchReceiver, client: HTTPClient, logger: Logger
    ) async throws -> BenchReport.Processes {
        let admin = Self.adminKey
        let batches = max(1, scale.batches / 2)
        let world = try await BenchHerald.run(
            store: served, client: client, admin: admin, dispatching: false, concurrency: concurrency, logger: logger
        ) { herald, _ in
            let world = try await herald.setUp(receiver: receiver)
            try await herald.addEndpoint(world, receiver: receiver)
            return world
        }
        var rates: [Double] = []
        for count in [1, 2] {
            let already = receiver.count
            _ = try await BenchHerald.run(
                store: served, client: client, admin: admin, dispatching: false, concurrency: concurrency,
                logger: logger
            ) { herald, _ in try await herald.publishBatches(world, batches: batches) }
            let backlog = 2 * batches * BenchHerald.batchSize
            let start = ContinuousClock.now
            func drain(_ remaining: Int) async throws {
                guard remaining > 0 else {
                    guard try await receiver.waitFor(already + backlog, timeout: .seconds(900)) else {
                        throw BenchError("the backlog did not drain within 15 minutes")
                    }
                    return
                }
                try await BenchHerald.run(
                    store: served, client: client, admin: admin, dispatching: true, concurrency: concurrency,
                    logger: logger
                ) { _, _ in try await drain(remaining - 1) }
            }
            try await drain(count)
            rates.append(Double(backlog) / (ContinuousClock.now - start).seconds)
        }
        return BenchReport.Processes(one: rates[0], two: rates[1])
    }

    /// Matching and storing among `webhooks` webhooks, with its progress line.
    func matching<Store: HeraldStore>(_ store: Store, webhooks: Int, history: Int) async throws -> Double {
        let cost = try await BenchWorlds.matching(store, webhooks: webhooks, history: history)
        progress("matching among \(webhooks) webhooks: \(Int(cost)) µs/event")
        return cost
    }

    /// AsyncHTTPClient posting one signed delivery body to the receiver, `concurrency` at once.
    func ceiling(_ client: HTTPClient, _ receiver: BenchReceiver, requests: Int) async throws -> Double {
        let body = Data(
            #"{"event":"booking_new","property_id":"00000000-0000-0000-0000-000000000000","payload":{"booking_id":"b-1","n":1}}"#
                .utf8)
        let secret = KeyMaterial.newSigningSecret()
        let start = ContinuousClock.now
        try await forEach(0..<requests, concurrency: concurrency) { n in
            let id = "msg_bench\(n)"
            let timestamp = Int64(Date().timeIntervalSince1970)
            var request = HTTPClientRequest(url: receiver.url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "webhook-id", value: id)
            request.headers.add(name: "webhook-timestamp", value: "\(timestamp)")
            request.headers.add(
                name: "webhook-signature",
                value: Signer.signature(id: id, timestamp: timestamp, body: body, secret: secret))
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 16)
        }
        return Double(requests) / (ContinuousClock.now - start).seconds
    }

    /// A line on standard error, so a long run shows where it is.
    func progress(_ line: String) {
        let rss = Self.memory("VmRSS").map { String(format: " (RSS %.0f MB)", $0) } ?? ""
        FileHandle.standardError.write(Data("bench: \(line)\(rss)\n".utf8))
    }

    /// The process's peak resident memory (VmHWM), in MB.
    static func peakRSSMegabytes() -> Double? { memory("VmHWM") }

    /// A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB.
    static func memory(_ field: String) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }
}

/// Runs `body` for each of `items`, `concurrency` at once.
func forEach<Items: Sequence & Sendable>(
    _ items: Items, concurrency: Int, _ body: @escaping @Sendable (Items.Element) async throws -> Void
) async throws where Items.Element: Sendable {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var iterator = items.makeIterator()
        for _ in 0..<concurrency {
            guard let item = iterator.next() else { break }
            group.addTask { try await body(item) }
        }
        while try await group.next() != nil {
            guard let item = iterator.next() else { continue }
            group.addTask { try await body(item) }
        }
    }
}
