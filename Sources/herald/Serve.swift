import ArgumentParser
import Foundation
import HeraldCore
import HeraldDelivery
import HeraldServer
import Hummingbird
import Metrics
import Prometheus

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Herald server.")

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "Address to listen on (env HERALD_HOST; default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (env HERALD_PORT; default 8080).")
    var port: Int?

    @Option(
        name: .long,
        help: "Seconds to wait for a callback to accept the connection (env HERALD_CONNECT_TIMEOUT; default 5).")
    var connectTimeout: Int?

    @Option(name: .long, help: "Seconds a delivery may take in all (env HERALD_REQUEST_TIMEOUT; default 15).")
    var requestTimeout: Int?

    @Option(name: .long, help: "Deliveries sent at once (env HERALD_DELIVERY_CONCURRENCY; default 64).")
    var concurrency: Int?

    @Option(
        name: .long,
        help:
            "Hours a webhook may fail without a success before it is disabled (env HERALD_DISABLE_AFTER_HOURS; default 72)."
    )
    var disableAfterHours: Double?

    @Option(name: .long, help: "Hours a rotated-out secret keeps signing (env HERALD_SECRET_GRACE_HOURS; default 24).")
    var secretGraceHours: Double?

    func run() async throws {
        let logger = store.bootstrapLogging()
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let database = try store.openStore(logger: logger)
        if let key = try await AdminBootstrap.ensureAdminKey(in: database, seed: Environment.value("HERALD_ADMIN_KEY"))
        {
            // Unbuffered, so a script reading our output sees the key before the server starts.
            FileHandle.standardOutput.write(Data("Platform admin key (shown once, keep it safe): \(key)\n".utf8))
        }
        var dispatcher = DispatcherConfiguration()
        dispatcher.concurrency = try setting(concurrency, "HERALD_DELIVERY_CONCURRENCY", default: 64, in: 1...10_000)
        dispatcher.batchSize = min(dispatcher.concurrency, 64)
        dispatcher.lifecycle = DeliveryLifecycle(
            disableAfter: try setting(disableAfterHours, "HERALD_DISABLE_AFTER_HOURS", default: 72, in: 0.001...100_000)
                * 3600)
        let configuration = HeraldConfiguration(
            host: host ?? Environment.value("HERALD_HOST") ?? "127.0.0.1",
            port: try setting(port, "HERALD_PORT", default: 8080, in: 0...65535),
            openAPISpec: try? store.migrationsDirectory(backend: "sqlite").deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("api-spec/openapi.yaml"),
            timeouts: .init(
                connect: .seconds(try setting(connectTimeout, "HERALD_CONNECT_TIMEOUT", default: 5, in: 1...300)),
                total: .seconds(try setting(requestTimeout, "HERALD_REQUEST_TIMEOUT", default: 15, in: 1...600))),
            dispatcher: dispatcher,
            secretGracePeriod: try setting(secretGraceHours, "HERALD_SECRET_GRACE_HOURS", default: 24, in: 0...10_000)
                * 3600,
            metrics: registry
        )
        let app = buildApplication(store: database, configuration: configuration, logger: logger)
        try await app.runService()
    }

    /// The flag, else the variable, else the default; refused outside `range`.
    func setting<Value: LosslessStringConvertible & Comparable>(
        _ flag: Value?, _ variable: String, default fallback: Value, in range: ClosedRange<Value>
    ) throws -> Value {
        var value = fallback
        if let flag {
            value = flag
        } else if let text = Environment.value(variable) {
            guard let parsed = Value(text) else { throw ValidationError("\(variable) must be a number, not \(text)") }
            value = parsed
        }
        guard range.contains(value) else { throw ValidationError("\(variable) must be within \(range)") }
        return value
    }
}
