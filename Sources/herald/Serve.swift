import ArgumentParser
import Foundation
import HeraldCore
import HeraldDelivery
import HeraldPostgres
import HeraldSQLite
import HeraldServer
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

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

    @Option(
        name: .long,
        help:
            "Address ranges callbacks may reach despite the target policy, e.g. 127.0.0.0/8,::1 (env HERALD_ALLOW_TARGETS)."
    )
    var allowTargets: String?

    @Option(name: .long, help: "Requests per second per API key (env HERALD_RATE_LIMIT; default 20, burst 5x).")
    var rateLimit: Double?

    @Option(name: .long, help: "Requests per second per publisher key (env HERALD_PUBLISHER_RATE_LIMIT; default 500).")
    var publisherRateLimit: Double?

    @Option(name: .long, help: "Largest request body in bytes (env HERALD_MAX_BODY_BYTES; default 65536).")
    var maxBodyBytes: Int?

    @Option(name: .long, help: "Largest event body in bytes (env HERALD_MAX_EVENT_BYTES; default 1048576).")
    var maxEventBytes: Int?

    @Option(
        name: .long,
        help: "Seconds a claimed delivery stays leased to this process (env HERALD_LEASE_SECONDS; default 60).")
    var leaseSeconds: Double?

    enum Role: String, ExpressibleByArgument, CaseIterable {
        case api, worker, all
    }

    @Option(name: .long, help: "api (serve the API only), worker (deliver only) or all (env HERALD_ROLE; default all).")
    var role: Role?

    func run() async throws {
        let logger = store.bootstrapLogging()
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let configuration = try configuration(registry: registry, logger: logger)
        if store.isPostgres {
            // Migrations and the first key with a short-lived client; the served store's client
            // runs among the application's services.
            try await store.withPostgres(logger: logger) { try await announceAdminKey(in: $0) }
            let database = PostgresStore(client: try PostgresStore.client(url: store.databaseLocation), logger: logger)
            try await buildApplication(store: database, configuration: configuration, logger: logger).runService()
        } else {
            let database = try store.openStore(logger: logger)
            try await announceAdminKey(in: database)
            try await buildApplication(store: database, configuration: configuration, logger: logger).runService()
        }
    }

    /// Creates the first platform admin key of an empty database and prints it once.
    func announceAdminKey(in database: some TenantStore) async throws {
        if let key = try await AdminBootstrap.ensureAdminKey(in: database, seed: Environment.value("HERALD_ADMIN_KEY"))
        {
            // Unbuffered, so a script reading our output sees the key before the server starts.
            FileHandle.standardOutput.write(Data("Platform admin key (shown once, keep it safe): \(key)\n".utf8))
        }
    }

    func configuration(registry: PrometheusCollectorRegistry, logger: Logger) throws -> HeraldConfiguration {
        var dispatcher = DispatcherConfiguration()
        dispatcher.concurrency = try setting(concurrency, "HERALD_DELIVERY_CONCURRENCY", default: 64, in: 1...10_000)
        dispatcher.batchSize = min(dispatcher.concurrency, 64)
        dispatcher.lease = try setting(leaseSeconds, "HERALD_LEASE_SECONDS", default: 60, in: 1...86400)
        dispatcher.lifecycle = DeliveryLifecycle(
            disableAfter: try setting(disableAfterHours, "HERALD_DISABLE_AFTER_HOURS", default: 72, in: 0.001...100_000)
                * 3600)
        let totalTimeout = try setting(requestTimeout, "HERALD_REQUEST_TIMEOUT", default: 15, in: 1...600)
        guard dispatcher.lease > Double(totalTimeout) else {
            // A lease shorter than a send would let another worker send the same delivery meanwhile.
            throw ValidationError(
                "the lease (\(dispatcher.lease) s) must be longer than the request timeout (\(totalTimeout) s)")
        }
        var configuration = HeraldConfiguration(
            host: host ?? Environment.value("HERALD_HOST") ?? "127.0.0.1",
            port: try setting(port, "HERALD_PORT", default: 8080, in: 0...65535),
            openAPISpec: try? store.migrationsDirectory(backend: "sqlite").deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("api-spec/openapi.yaml"),
            timeouts: .init(
                connect: .seconds(try setting(connectTimeout, "HERALD_CONNECT_TIMEOUT", default: 5, in: 1...300)),
                total: .seconds(totalTimeout)),
            dispatcher: dispatcher,
            secretGracePeriod: try setting(secretGraceHours, "HERALD_SECRET_GRACE_HOURS", default: 24, in: 0...10_000)
                * 3600,
            metrics: registry,
            targetPolicy: try TargetPolicy.allowing(allowTargets ?? Environment.value("HERALD_ALLOW_TARGETS") ?? "")
                .mapError { ValidationError($0.description) }.get(),
            rateLimits: try rateLimits()
        )
        let role =
            try role ?? Environment.value("HERALD_ROLE").map {
                guard let role = Role(rawValue: $0) else {
                    throw ValidationError("HERALD_ROLE must be api, worker or all")
                }
                return role
            } ?? .all
        configuration.runsDispatcher = role != .api
        configuration.servesAPI = role != .worker
        configuration.limits.maxBytes = try setting(
            maxBodyBytes, "HERALD_MAX_BODY_BYTES", default: 65536, in: 1024...(64 << 20))
        configuration.limits.maxEventBytes = try setting(
            maxEventBytes, "HERALD_MAX_EVENT_BYTES", default: 1 << 20, in: 1024...(256 << 20))
        configuration.limits.maxBatchBytes = max(configuration.limits.maxBatchBytes, configuration.limits.maxEventBytes)
        if !configuration.targetPolicy.allowed.isEmpty {
            logger.warning(
                "target policy opened",
                metadata: ["allowed": "\(configuration.targetPolicy.allowed.map(\.description))"])
        }
        return configuration
    }

    func rateLimits() throws -> RateLimits {
        let perKey = try setting(rateLimit, "HERALD_RATE_LIMIT", default: 20, in: 0.01...1_000_000)
        let publisher = try setting(
            publisherRateLimit, "HERALD_PUBLISHER_RATE_LIMIT", default: 500, in: 0.01...1_000_000)
        return RateLimits(
            perKey: .init(perSecond: perKey, burst: max(1, perKey * 5)),
            publisher: .init(perSecond: publisher, burst: max(1, publisher * 4)))
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
