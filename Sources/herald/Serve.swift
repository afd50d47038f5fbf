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
        if let adminPort = configuration.adminPort {
            try await StartUp.ensureListenable(
                host: configuration.adminHost, port: adminPort, portOption: "--admin-port")
        }
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
        if let adminKey, let problem = KeyMaterial.seededKeyProblem(adminKey) {
            throw StartUp.fail("HERALD_ADMIN_KEY \(problem)")
        }
        if store.isPostgres {
            // Migrations and the first key with a short-lived client; the served store's client
            // runs among the application's services.
            try await store.withPostgres(logger: logger) {
                try await Secrets.checkAtStart($0, logger: logger)
                try await announceAdminKey(in: $0, seed: adminKey, logger: logger)
            }
            let database = try store.servedPostgres(logger: logger)
            try await buildApplication(store: database, configuration: configuration, logger: logger).runService()
        } else {
            let database = try store.openStore(logger: logger)
            try await Secrets.checkAtStart(database, logger: logger)
            try await announceAdminKey(in: database, seed: adminKey, logger: logger)
            try await buildApplication(store: database, configuration: configuration, logger: logger).runService()
        }
    }

    /// Creates the first platform admin key of an empty database and shows it once, on the
    /// terminal only: standard output that is not a terminal is often a log stream (a container's
    /// output, a pipe into a collector), and a key written there would be kept by whoever keeps
    /// the logs. Without a terminal no key is made, and the log says how to make one.
    func announceAdminKey(in database: some TenantStore, seed: String?, logger: Logger) async throws {
        if seed == nil, isatty(STDOUT_FILENO) == 0 {
            if try await !database.hasAPIKeys() {
                logger.warning(
                    "no platform admin key: none is generated without a terminal to show it on; set HERALD_ADMIN_KEY, or run `herald keys create --role admin`"
                )
            }
            return
        }
        if let key = try await AdminBootstrap.ensureAdminKey(in: database, seed: seed) {
            // Unbuffered, so the person at the terminal sees the key before the server's own output.
            FileHandle.standardOutput.write(Data("Platform admin key (shown once, keep it safe): \(key)\n".utf8))
        }
    }
}
