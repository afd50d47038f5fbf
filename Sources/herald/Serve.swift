import ArgumentParser
import Foundation
import HeraldCore
import HeraldPostgres
import HeraldSQLite
import HeraldServer
import Hummingbird
import Logging
import Metrics
import Prometheus

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Herald server.",
        discussion: "SETTINGS (flag, else HERALD_* variable, else --config file, else default):\n\n"
            + HeraldSettings.help(HeraldSettings.serve))

    @Argument(parsing: .allUnrecognized, help: .hidden) var options: [String] = []

    func run() async throws {
        let settings = try await SettingsReader.load(arguments: options, declared: HeraldSettings.serve)
        let store = try StoreOptions(settings)
        let logger = store.bootstrapLogging()
        var configuration = try settings.serverConfiguration()
        try await StartUp.ensureListenable(host: configuration.host, port: configuration.port)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        configuration.metrics = registry
        configuration.tracing = try TraceExport.start(settings: settings, logger: logger)
        configuration.openAPISpec = try? store.migrationsDirectory(backend: "sqlite").deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("api-spec/openapi.yaml")
        if !configuration.targetPolicy.allowed.isEmpty {
            logger.warning(
                "target policy opened",
                metadata: ["allowed": "\(configuration.targetPolicy.allowed.map(\.description))"])
        }
        let adminKey = try settings.text(HeraldSettings.adminKey)
        if store.isPostgres {
            // Migrations and the first key with a short-lived client; the served store's client
            // runs among the application's services.
            try await store.withPostgres(logger: logger) { try await announceAdminKey(in: $0, seed: adminKey) }
            let database = PostgresStore(client: try PostgresStore.client(url: store.location), logger: logger)
            try await buildApplication(store: database, configuration: configuration, logger: logger).runService()
        } else {
            let database = try store.openStore(logger: logger)
            try await announceAdminKey(in: database, seed: adminKey)
            try await buildApplication(store: database, configuration: configuration, logger: logger).runService()
        }
    }

    /// Creates the first platform admin key of an empty database and prints it once.
    func announceAdminKey(in database: some TenantStore, seed: String?) async throws {
        if let key = try await AdminBootstrap.ensureAdminKey(in: database, seed: seed) {
            // Unbuffered, so a script reading our output sees the key before the server starts.
            FileHandle.standardOutput.write(Data("Platform admin key (shown once, keep it safe): \(key)\n".utf8))
        }
    }
}
