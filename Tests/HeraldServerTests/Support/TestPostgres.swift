import Foundation
import GRDB
import HeraldCore
import HeraldPostgres
import HeraldSQLite
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The PostgreSQL server the tests use: `HERALD_TEST_DATABASE_URL` when set (CI sets it), else a
/// throw-away cluster started by `tools/postgres.sh` for this test process. Without either the
/// Postgres tests fail; they never skip.
actor TestPostgres {
    static let shared = TestPostgres()

    private var url: String?

    /// The server's URL (a database the user may create other databases from).
    func serverURL() throws -> String {
        if let url { return url }
        if let given = ProcessInfo.processInfo.environment["HERALD_TEST_DATABASE_URL"], !given.isEmpty {
            url = given
            return given
        }
        let directory = "/tmp/herald-test-pg-\(UUID().text)"
        let output = try Self.run(["bash", Self.tools.appendingPathComponent("postgres.sh").path, "start", directory])
        guard let started = output.split(separator: "\n").last.map(String.init), started.hasPrefix("postgres://") else {
            throw TestFailure("could not start PostgreSQL for the tests: \(output)")
        }
        Self.clusterDirectory = directory
        atexit {
            if let directory = TestPostgres.clusterDirectory {
                _ = try? TestPostgres.run([
                    "bash", TestPostgres.tools.appendingPathComponent("postgres.sh").path, "stop", directory,
                ])
            }
        }
        url = started
        return started
    }

    nonisolated(unsafe) static var clusterDirectory: String?

    static var tools: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("tools")
    }

    static var migrations: URL {
        tools.deletingLastPathComponent().appendingPathComponent("migrations/postgres")
    }

    /// A new, empty, migrated database of its own; returns its URL.
    func freshDatabase() async throws -> String {
        let server = try serverURL()
        let name = "herald_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let admin = try PostgresStore.client(url: server, maxConnections: 1)
        _ = try await Self.with(admin) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        guard var components = URLComponents(string: server) else { throw TestFailure("bad URL \(server)") }
        components.path = "/" + name
        return components.string!
    }

    /// Runs `body` with `client` running.
    static func with<T: Sendable>(_ client: PostgresClient, _ body: (PostgresClient) async throws -> T) async throws
        -> T
    {
        let task = Task { await client.run() }
        defer { task.cancel() }
        return try await body(client)
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let (status, text) = try ChildProcess.runBlocking("/usr/bin/env", arguments)
        guard status == 0 else { throw TestFailure("\(arguments.joined(separator: " ")): \(text)") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The stores the contract suite runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh, migrated store of this backend.
    func withStore<T: Sendable>(_ body: (any HeraldStore) async throws -> T) async throws -> T {
        try await withTwoStores { store, _ in try await body(store) }
    }

    /// Runs `body` with two stores on one fresh, migrated database, as two processes would have:
    /// each with its own caches.
    func withTwoStores<T: Sendable>(_ body: (any HeraldStore, any HeraldStore) async throws -> T) async throws -> T {
        try await withDatabase { _, first, second in try await body(first, second) }
    }

    /// Opens stores on one database that seal with the box given (as processes configured with
    /// different keys would), and reads the database's webhook columns as they are stored.
    struct SealingDatabase: Sendable {
        let open: @Sendable (SecretBox) throws -> any HeraldStore
        /// Every value of the secret columns of every webhook, read with plain SQL.
        let stored: @Sendable () async throws -> [String]
    }

    /// Runs `body` on one fresh, migrated database (``SealingDatabase``).
    func withSealingDatabase<T: Sendable>(_ body: (SealingDatabase) async throws -> T) async throws -> T {
        let columns = SecretColumns.names.joined(separator: ", ")
        switch self {
        case .sqlite:
            return try await withDatabase { path, _, _ in
                try await body(
                    SealingDatabase(
                        open: { box in try SQLiteStore(path: path, secretBox: box) },
                        stored: {
                            try DatabaseQueue(path: path).read { db in
                                try Row.fetchAll(db, sql: "SELECT \(columns) FROM webhooks").flatMap { row in
                                    SecretColumns.names.compactMap { row[$0] as String? }
                                }
                            }
                        }))
            }
        case .postgres:
            return try await withDatabase { _, first, _ in
                let client = (first as! PostgresStore).client
                var logger = Logger(label: "herald-test-postgres")
                logger.logLevel = .warning
                return try await body(
                    SealingDatabase(
                        open: { [logger] box in PostgresStore(client: client, logger: logger, secretBox: box) },
                        stored: { [logger] in
                            var values: [String] = []
                            for try await row in try await client.query(
                                PostgresQuery(unsafeSQL: "SELECT \(columns) FROM webhooks"), logger: logger)
                            {
                                let random = row.makeRandomAccess()
                                for name in SecretColumns.names {
                                    if let value = try random[name].decode(String?.self) { values.append(value) }
                                }
                            }
                            return values
                        }))
            }
        }
    }

    /// ``withTwoStores(_:)``, also giving the database's location as `herald --database` takes it.
    func withDatabase<T: Sendable>(
        _ body: (String, any HeraldStore, any HeraldStore) async throws -> T
    ) async throws -> T {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "herald-contract-\(UUID().text)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("herald.sqlite").path
            let first = try SQLiteStore(path: path)
            try first.migrate(from: TestHerald.migrations)
            return try await body(path, first, try SQLiteStore(path: path))
        case .postgres:
            let url = try await TestPostgres.shared.freshDatabase()
            let client = try PostgresStore.client(url: url, maxConnections: 8)
            var logger = Logger(label: "herald-test-postgres")
            logger.logLevel = .warning
            return try await TestPostgres.with(client) { client in
                let first = PostgresStore(client: client, logger: logger)
                try await first.migrate(from: TestPostgres.migrations)
                return try await body(url, first, PostgresStore(client: client, logger: logger))
            }
        }
    }
}
