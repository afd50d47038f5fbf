import Foundation
import HeraldCore
import Logging
import PostgresNIO

/// Herald's shared store: one PostgreSQL database for several Herald processes. Its
/// ``companions`` (the client's pool and the LISTEN loop) must run while it is used.
public struct PostgresStore: HeraldStore, Sendable {
    public let client: PostgresClient
    let logger: Logger
    /// Fed by the LISTEN service with every commit that made work, in any process, and at once by
    /// this process's own ingests.
    let work = WorkSignal()
    /// The active webhooks events are matched against.
    let routes: RouteCache
    /// The endpoints this process's next claim looks at.
    let claimWindow = ClaimWindow()
    /// The channel NOTIFY wakes idle workers on.
    public static let wakeChannel = "herald_deliveries"

    /// Concurrent ingests, committed together.
    let ingests: GroupCommit<IngestRequest, [IngestResult]>

    /// Seals the secrets of webhooks as they are written and opens them as they are read.
    public let secretBox: SecretBox

    public init(client: PostgresClient, logger: Logger, secretBox: SecretBox = .clear) {
        self.client = client
        self.logger = logger
        self.secretBox = secretBox
        let routes = RouteCache()
        self.routes = routes
        let work = self.work
        let wakes = WakeNotifier(client: client, logger: logger)
        ingests = GroupCommit(maxCost: 2_000, capacity: 8_192, parallel: 2, cost: { $0.events.count }) { requests in
            let (results, makesWork) = await Self.commit(
                requests, client: client, routes: routes, box: secretBox, logger: logger)
            if makesWork {
                // This process's workers at once; every process's (this one's again) by NOTIFY.
                work.announce()
                wakes.notify()
            }
            return results
        }
    }

    /// The connection pool, and the LISTEN connection that turns every process's commits into
    /// ``workAvailable()``.
    public var companions: [any StoreCompanion] {
        [client, PostgresWakeListener(client: client, logger: logger, work: work)]
    }

    /// What a `postgres://user:password@host:port/database?sslmode=…` URL says.
    struct Location {
        var host: String
        var port: Int
        var user: String
        var password: String?
        var database: String?
        var tls: PostgresTLS

        init(url: String) throws {
            guard let components = URLComponents(string: url),
                components.scheme == "postgres" || components.scheme == "postgresql", let host = components.host,
                let user = components.user
            else { throw PostgresURLError(url: url) }
            let database = String(components.path.drop(while: { $0 == "/" }))
            self.host = host
            port = components.port ?? 5432
            self.user = user.removingPercentEncoding ?? user
            password = components.password?.removingPercentEncoding
            self.database = database.isEmpty ? nil : database
            tls = try PostgresTLS(url: components, host: host)
        }
    }

    /// A client for `postgres://user:password@host:port/database`.
    public static func client(url: String, maxConnections: Int = 20) throws -> PostgresClient {
        let location = try Location(url: url)
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: location.tls.configuration)
        configuration.options.maximumConnections = maxConnections
        // Ingest writes without BEGIN/COMMIT (one statement, atomic on its own). A commit that
        // fails after the statement completed would go unreported, and at READ COMMITTED
        // (PostgreSQL's default, pinned here whatever the database's) with no deferred
        // constraints and no NOTIFY in the statement, nothing can fail there.
        configuration.options.additionalStartupParameters = [("default_transaction_isolation", "read committed")]
        return PostgresClient(configuration: configuration)
    }

    /// One connection made from `url`, not pooled: it fails at once, naming the cause, where the
    /// pool keeps retrying a connection it cannot make (a refused TLS handshake, a wrong password,
    /// a host that does not answer within 10 s). The caller closes it.
    public static func connect(url: String, logger: Logger) async throws -> PostgresConnection {
        let location = try Location(url: url)
        let configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: try location.tls.connectionConfiguration())
        return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
    }

    /// Connects once with `url` and closes; throws ``PostgresConnectError`` saying why it could not.
    /// A server that is starting or has no connection to spare is asked again for up to `patience`;
    /// what waiting cannot mend (TLS, the password, a database that does not exist) fails at once.
    public static func checkConnection(url: String, logger: Logger, patience: Duration = .seconds(10)) async throws {
        let location = try Location(url: url)
        let deadline = ContinuousClock.now + patience
        var pause = Duration.milliseconds(100)
        while true {
            do {
                try await connect(url: url, logger: logger).close()
                return
            } catch let error as PSQLError {
                // 53300: too many connections; 57P03: the server is starting up or shutting down.
                if ["53300", "57P03"].contains(error.serverInfo?[.sqlState]), ContinuousClock.now + pause < deadline {
                    try await Task.sleep(for: pause)
                    pause = min(pause * 2, .seconds(1))
                    continue
                }
                var reason = "\(error.code)"
                if let message = error.serverInfo?[.message] { reason += ": \(message)" }
                if let underlying = error.underlying { reason += ": \(underlying)" }
                throw PostgresConnectError(host: location.host, port: location.port, reason: reason)
            } catch {
                throw PostgresConnectError(host: location.host, port: location.port, reason: "\(error)")
            }
        }
    }

    /// Runs `body` in a transaction; an error from inside comes out as itself, not wrapped in
    /// PostgresNIO's `PostgresTransactionError`, so callers can tell a unique violation apart.
    func transaction<T: Sendable>(
        isolation: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        try await Self.transaction(client: client, logger: logger, isolation: isolation, body)
    }

    static func transaction<T: Sendable>(
        client: PostgresClient, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        do {
            return try await client.withTransaction(logger: logger, isolation: isolation, body)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.commitError ?? error.beginError ?? error
        }
    }

    public func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    /// Applies the pending `NNNN_name.sql` files of `directory` in name order, under an advisory
    /// lock so that processes starting together do not race. Returns what it applied.
    @discardableResult
    public func migrate(from directory: URL) async throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let scripts = try files.map {
            ($0.deletingPathExtension().lastPathComponent, try String(contentsOf: $0, encoding: .utf8))
        }
        let logger = self.logger
        return try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(4242001)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at bigint NOT NULL)",
                logger: logger)
            var applied: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM schema_migrations", logger: logger)
                .decode(String.self)
            {
                applied.insert(name)
            }
            var done: [String] = []
            for (name, sql) in scripts where !applied.contains(name) {
                for statement in Self.statements(sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (\(name), \(Timestamp.millis(Date())))",
                    logger: logger)
                done.append(name)
            }
            return done
        }
    }

    /// The statements of a migration file: split at `;` ending a line, comments dropped.
    static func statements(_ sql: String) -> [String] {
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            guard let comment = line.range(of: "--") else { return line }
            return line[..<comment.lowerBound]
        }
        return lines.joined(separator: "\n").components(separatedBy: ";\n")
            .map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(
                    in: CharacterSet(charactersIn: ";"))
            }
            .filter { !$0.isEmpty }
    }
}

extension PostgresClient: StoreCompanion {}

/// Why Herald could not connect to PostgreSQL, without the URL's password.
public struct PostgresConnectError: Error, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var reason: String
    public var description: String { "cannot connect to PostgreSQL at \(host):\(port): \(reason)" }
}

public struct PostgresURLError: Error, CustomStringConvertible {
    public var url: String
    public var problem = "not a postgres://user:password@host:port/database URL"
    public var description: String { problem }
}
