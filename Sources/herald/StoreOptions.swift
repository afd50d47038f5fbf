import ArgumentParser
import Foundation
import HeraldPostgres
import HeraldSQLite
import Logging

/// Options every subcommand that opens the database shares; each falls back to a `HERALD_*`
/// variable, then to a default.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "SQLite file path or sqlite:// URL, or postgres://user:pass@host:port/db (env HERALD_DATABASE_URL or HERALD_DATABASE; default ./herald.sqlite)."
    )
    var database: String?

    @Option(name: .long, help: "Directory holding sqlite/*.sql migrations (env HERALD_MIGRATIONS).")
    var migrations: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (env HERALD_LOG_LEVEL).")
    var logLevel: String?

    /// The database named by the option or the environment.
    var databaseLocation: String {
        database ?? Environment.value("HERALD_DATABASE_URL") ?? Environment.value("HERALD_DATABASE") ?? "herald.sqlite"
    }

    var isPostgres: Bool { databaseLocation.hasPrefix("postgres://") || databaseLocation.hasPrefix("postgresql://") }

    var databasePath: String {
        let value = databaseLocation
        if value.hasPrefix("sqlite://") { return String(value.dropFirst("sqlite://".count)) }
        return value
    }

    var level: Logger.Level {
        (logLevel ?? Environment.value("HERALD_LOG_LEVEL")).flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    }

    /// The migrations directory: the option, the variable, `./migrations`, or the source tree's.
    func migrationsDirectory(backend: String) throws -> URL {
        let candidates =
            [migrations, Environment.value("HERALD_MIGRATIONS")].compactMap { $0 }
            .map { URL(fileURLWithPath: $0) }
            + [
                URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("migrations"),
                URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("migrations"),
            ]
        for base in candidates {
            let directory = base.appendingPathComponent(backend)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
            {
                return directory
            }
        }
        throw ValidationError("no migrations/\(backend) directory found; pass --migrations DIR")
    }

    /// Connects to PostgreSQL with a client of its own that runs until `body` returns, and applies
    /// pending migrations first.
    func withPostgres<T: Sendable>(logger: Logger, _ body: (PostgresStore) async throws -> T) async throws -> T {
        let client = try PostgresStore.client(url: databaseLocation)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let store = PostgresStore(client: client, logger: logger)
            let applied = try await store.migrate(from: try migrationsDirectory(backend: "postgres"))
            for name in applied { logger.info("applied migration", metadata: ["migration": "\(name)"]) }
            return try await body(store)
        }
    }

    func openStore(logger: Logger) throws -> SQLiteStore {
        let store = try SQLiteStore(path: databasePath)
        let applied = try store.migrate(from: try migrationsDirectory(backend: "sqlite"))
        for name in applied { logger.info("applied migration", metadata: ["migration": "\(name)"]) }
        return store
    }

    func bootstrapLogging() -> Logger {
        let level = self.level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "herald")
        logger.logLevel = level
        return logger
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
