import ArgumentParser
import Foundation
import HeraldCore
import HeraldPostgres
import HeraldSQLite
import HeraldServer
import Logging

/// The database settings every subcommand that opens the database shares (``HeraldSettings/store``).
struct StoreOptions {
    let location: String
    let migrations: String?
    let synchronous: SQLiteStore.Synchronous
    /// The log level given; nil when none was (each command has its own default).
    let level: Logger.Level?
    let json: Bool
    /// The keys webhooks' secrets are sealed and opened with.
    let secretBox: SecretBox

    init(_ settings: SettingsReader) throws {
        location = try settings.text(HeraldSettings.database) ?? "herald.sqlite"
        if let scheme = Self.scheme(of: location), !["sqlite", "postgres", "postgresql"].contains(scheme) {
            throw StartUp.fail(
                "unknown database URL scheme '\(scheme)://'; use a SQLite file path (or sqlite://path) "
                    + "or postgres://user:password@host:port/database")
        }
        migrations = try settings.text(HeraldSettings.migrations)
        synchronous =
            SQLiteStore.Synchronous(rawValue: try settings.text(HeraldSettings.sqliteSynchronous) ?? "") ?? .full
        level = (try settings.givenText(HeraldSettings.logLevel)).flatMap(Logger.Level.init(rawValue:))
        json = try settings.text(HeraldSettings.logFormat) == "json"
        secretBox = try Self.secretBox(
            current: try settings.text(HeraldSettings.encryptionKey),
            previous: try settings.text(HeraldSettings.previousEncryptionKeys))
    }

    static func secretBox(current: String?, previous: String?) throws -> SecretBox {
        func key(_ text: String, _ variable: String) throws -> SecretBox.Key {
            do {
                return try SecretBox.Key(base64: text)
            } catch {
                throw StartUp.fail("\(variable) \(error)")
            }
        }
        let previous = try (previous ?? "").split(separator: ",").map {
            try key(String($0), "a key of HERALD_PREVIOUS_ENCRYPTION_KEYS")
        }
        return SecretBox(current: try current.map { try key($0, "HERALD_ENCRYPTION_KEY") }, previous: previous)
    }

    /// The scheme of a `scheme://...` location (lower-cased); nil for a plain path.
    static func scheme(of location: String) -> String? {
        guard let range = location.range(of: "://") else { return nil }
        let scheme = location[..<range.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else {
            return nil
        }
        return scheme.lowercased()
    }

    var isPostgres: Bool { ["postgres", "postgresql"].contains(Self.scheme(of: location) ?? "") }

    var databasePath: String {
        location.hasPrefix("sqlite://") ? String(location.dropFirst("sqlite://".count)) : location
    }

    /// The migrations directory: the setting, `./migrations`, or the source tree's.
    func migrationsDirectory(backend: String) throws -> URL {
        let candidates =
            [migrations].compactMap { $0 }.map { URL(fileURLWithPath: $0) }
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
        do {
            try await PostgresStore.checkConnection(url: location, logger: logger)
        } catch let error as PostgresConnectError {
            throw StartUp.fail(error.description)
        }
        let client = try PostgresStore.client(url: location)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let store = PostgresStore(client: client, logger: logger, secretBox: secretBox)
            let applied = try await store.migrate(from: try migrationsDirectory(backend: "postgres"))
            for name in applied { logger.info("applied migration", metadata: ["migration": "\(name)"]) }
            return try await body(store)
        }
    }

    /// Opens the configured store (applying pending migrations) and runs `body` on it.
    func withStore<T: Sendable>(logger: Logger, _ body: (any HeraldStore) async throws -> T) async throws -> T {
        if isPostgres { return try await withPostgres(logger: logger) { try await body($0) } }
        return try await body(try openStore(logger: logger))
    }

    /// Refuses a SQLite path with no database there, for commands that work on an existing one: a
    /// mistyped path would otherwise make, migrate and work on an empty database.
    func requireExistingDatabase() throws {
        guard !isPostgres, !FileManager.default.fileExists(atPath: databasePath) else { return }
        throw StartUp.fail(
            "no database at \(databasePath); give --database (or HERALD_DATABASE_URL), or make it with herald migrate")
    }

    /// The PostgreSQL store a server runs on: its client's pool runs among the server's services.
    func servedPostgres(logger: Logger) throws -> PostgresStore {
        PostgresStore(client: try PostgresStore.client(url: location), logger: logger, secretBox: secretBox)
    }

    func openStore(logger: Logger) throws -> SQLiteStore {
        let store = try SQLiteStore(path: databasePath, synchronous: synchronous, secretBox: secretBox)
        let applied = try store.migrate(from: try migrationsDirectory(backend: "sqlite"))
        for name in applied { logger.info("applied migration", metadata: ["migration": "\(name)"]) }
        return store
    }

    /// Sends log lines to standard error at the level given, else at `defaultLevel`.
    func bootstrapLogging(defaultLevel: Logger.Level = .info) -> Logger {
        let level = self.level ?? defaultLevel
        let json = self.json
        LoggingSystem.bootstrap { label in
            if json {
                var handler = JSONLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
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
